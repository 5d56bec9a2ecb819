// `az ml` v2 YAML (jobs; and online endpoints and deployments, through the same JobFile), read as users
// already keep it: parsed with line positions, `--set` overrides applied, every key checked, so that a
// mistake names the file, the line and the key before anything is uploaded or submitted.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML, { isAlias, isMap, isScalar, isSeq, LineCounter, YAMLMap, type Document, type Node } from 'yaml';
import { FileError, InputError } from '../platform/errors.js';
import { PyFloat } from './python-compat.js';

export type Path = Array<string | number>;

/**
 * An `az ml` YAML file (a job, an endpoint, a deployment) with the positions of its keys, for error
 * messages. `input` is the step input that named the file; `what` says what its keys describe.
 */
export class JobFile {
  readonly dir: string;
  private constructor(
    readonly file: string,
    /** How the user names the file (relative to the workspace), for messages. */
    readonly display: string,
    readonly doc: Document,
    private readonly lines: LineCounter,
  ) {
    this.dir = path.dirname(file);
  }

  static load(file: string, display: string, input = 'job-file', what = 'job keys (type, command, …)'): JobFile {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new InputError(input, `names '${display}', which cannot be read (looked for ${file}).`);
    }
    return JobFile.parse(text, file, display, what);
  }

  /** YAML text as if read from `file` (relative paths in it resolve against the file's folder). */
  static parse(text: string, file: string, display: string, what = 'job keys (type, command, …)'): JobFile {
    const lines = new LineCounter();
    // YAML 1.1, as PyYAML (under az ml) reads it: yes/no are booleans, 1e-3 is a string, 1.0 a float.
    const doc = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, version: '1.1', merge: true });
    if (doc.errors.length) {
      const e = doc.errors[0];
      const at = lines.linePos(e.pos[0]);
      throw new FileError(display, `is not valid YAML: ${e.message.split('\n')[0]}`, at.line, at.col);
    }
    if (!isMap(doc.contents)) throw new FileError(display, `must be a YAML mapping of ${what}.`, 1);
    return new JobFile(file, display, doc, lines);
  }

  /** The node at a path, matching keys as PyYAML reads them. */
  private nodeAt(at: Path): unknown {
    let node: unknown = this.doc.contents;
    for (const k of at) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) node = node.items.find((i) => keyText(i.key) === String(k))?.value;
      else if (isSeq(node)) node = node.items[Number(k)];
      else return undefined;
    }
    return node;
  }

  /** The line of a key (or of the nearest existing parent). */
  lineOf(at: Path): number | undefined {
    for (let n = at.length; n >= 1; n--) {
      const parent = this.nodeAt(at.slice(0, n - 1));
      let node: Node | undefined;
      if (isMap(parent)) node = parent.items.find((i) => keyText(i.key) === String(at[n - 1]))?.key as Node | undefined;
      else if (isSeq(parent)) node = parent.items[Number(at[n - 1])] as Node | undefined;
      if (node?.range) return this.lines.linePos(node.range[0]).line;
    }
    return 1;
  }

  error(at: Path, problem: string): FileError {
    return new FileError(this.display, `${at.length ? `${at.join('.')}: ` : ''}${problem}`, this.lineOf(at));
  }

  /** `az ml job create --set path=value`: dotted path, value read as YAML (so numbers stay numbers). */
  applySet(line: string): void {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new InputError('set', `must hold lines of path=value (got '${line}').`);
    const keyPath = line.slice(0, eq).trim().split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    let value: unknown;
    try {
      value = YAML.parse(line.slice(eq + 1));
    } catch {
      value = line.slice(eq + 1);
    }
    // A path that goes through a scalar (`command.x=1` where command is a string) cannot be set;
    // the yaml library would throw a bare "Expected YAML collection" error.
    for (let n = 1; n < keyPath.length; n++) {
      const parent = this.doc.getIn(keyPath.slice(0, n), true);
      if (parent === undefined || parent === null) break;
      if (!isMap(parent) && !isSeq(parent)) {
        const where = keyPath.slice(0, n).join('.');
        const lineNo = this.lineOf(keyPath.slice(0, n));
        throw new InputError(
          'set',
          `line '${line.trim()}' sets '${keyPath.join('.')}', but '${where}' in ${this.display}${lineNo === undefined ? '' : `:${lineNo}`} is a single value, not a mapping or list.`,
        );
      }
    }
    try {
      // Missing parents become plain mappings (under YAML 1.1 the library would make an !!omap).
      for (let n = 1; n < keyPath.length; n++) {
        if (this.doc.getIn(keyPath.slice(0, n), true) === undefined) this.doc.setIn(keyPath.slice(0, n), new YAMLMap());
      }
      this.doc.setIn(keyPath, value ?? '');
    } catch (e) {
      throw new InputError('set', `line '${line.trim()}' cannot be applied to ${this.display}: ${(e as Error).message}.`);
    }
  }

  /** The file's data; floats as PyFloat, so a literal 1.0 is sent as "1.0", as az ml sends it. */
  data(): Record<string, unknown> {
    const doc = this.doc;
    const walk = (node: unknown): unknown => {
      if (isAlias(node)) return walk(node.resolve(doc));
      if (isMap(node)) {
        const out: Record<string, unknown> = {};
        for (const pair of node.items) {
          const key = keyText(pair.key);
          if (key === '<<' && (isAlias(pair.value) || isMap(pair.value))) Object.assign(out, walk(pair.value) as object);
          else out[key] = walk(pair.value);
        }
        return out;
      }
      if (isSeq(node)) return node.items.map(walk);
      if (isScalar(node)) {
        const v = node.value;
        // PyYAML's booleans are yes/no/on/off/true/false, not y/n.
        if (typeof v === 'boolean' && /^[yYnN]$/.test(String(node.source ?? ''))) return String(node.source);
        // PyYAML reads a lone "." (and other float look-alikes without digits) as a string.
        if (typeof v === 'number' && Number.isNaN(v) && !/^[-+]?\.nan$/i.test(String(node.source ?? ''))) return String(node.source ?? '');
        if (typeof v === 'number' && Number.isFinite(v) && (!Number.isInteger(v) || /[.eE]/.test(String(node.source ?? '')))) return new PyFloat(v);
        return v;
      }
      return node ?? null;
    };
    return (walk(doc.contents) ?? {}) as Record<string, unknown>;
  }
}

type Obj = Record<string, unknown>;

/** A mapping key as PyYAML reads it: `n` and `y` are strings there (YAML 1.1 booleans in the yaml library). */
function keyText(key: unknown): string {
  if (isScalar(key)) return typeof key.value === 'string' ? key.value : String(key.source ?? key.value);
  return String(key);
}

export const JOB_TYPES = ['command', 'pipeline', 'sweep'] as const;
export type JobType = (typeof JOB_TYPES)[number];

const COMMON_KEYS = ['$schema', 'type', 'name', 'display_name', 'experiment_name', 'description', 'tags', 'properties', 'compute', 'inputs', 'outputs', 'identity'];
const COMMAND_KEYS = [...COMMON_KEYS, 'command', 'code', 'environment', 'environment_variables', 'distribution', 'resources', 'limits', 'services'];
const PIPELINE_KEYS = [...COMMON_KEYS, 'jobs', 'settings'];
const SWEEP_KEYS = [...COMMON_KEYS, 'trial', 'search_space', 'objective', 'sampling_algorithm', 'limits', 'early_termination'];

export interface Checker {
  file: JobFile;
  obj(value: unknown, at: Path): Obj;
  keys(value: Obj, allowed: string[], at: Path): void;
  string(value: unknown, at: Path, what?: string): string;
}

/** `noun` names the thing the keys belong to in messages ("this job", "an online deployment"). */
export function checker(file: JobFile, noun = 'this job'): Checker {
  return {
    file,
    obj(value, at) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw file.error(at, 'must be a mapping.');
      return value as Obj;
    },
    keys(value, allowed, at) {
      for (const key of Object.keys(value)) {
        if (!allowed.includes(key)) {
          throw file.error([...at, key], `is not a key ${noun} can have (expected one of ${allowed.filter((k) => k !== '$schema').join(', ')}).`);
        }
      }
    },
    string(value, at, what = 'a string') {
      if (typeof value !== 'string' || value.trim() === '') throw file.error(at, `must be ${what}.`);
      return value;
    },
  };
}

/** Job types az ml knows that this step does not submit. */
const UNSUPPORTED_TYPES = ['automl', 'spark', 'parallel', 'import', 'data_transfer'];

export function jobType(file: JobFile, data: Obj): JobType {
  const type = data.type ?? 'command';
  if (typeof type === 'string' && UNSUPPORTED_TYPES.includes(type)) throw file.error(['type'], `is '${type}': ${type} jobs are not supported yet (command, pipeline and sweep jobs are).`);
  if (typeof type !== 'string' || !JOB_TYPES.includes(type as JobType)) {
    throw file.error(['type'], `must be command, pipeline or sweep (got '${String(type)}').`);
  }
  return type as JobType;
}

export function allowedKeys(type: JobType): string[] {
  return type === 'command' ? COMMAND_KEYS : type === 'pipeline' ? PIPELINE_KEYS : SWEEP_KEYS;
}

/** `${{inputs.x}}`-style references in a command, as azure-ai-ml validates them (optional `[…]` parts included). */
export function commandBindings(command: string): Array<{ scope: string; name: string }> {
  return [...command.matchAll(/\$\{\{\s*([a-zA-Z_]+)\.([a-zA-Z0-9_]+)\s*\}\}/g)].map((m) => ({ scope: m[1], name: m[2] }));
}
