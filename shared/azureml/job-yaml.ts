// `az ml` v2 YAML (jobs; and online endpoints and deployments, through the same JobFile), read as users
// already keep it: parsed with line positions, `--set` overrides applied, every key checked, so that a
// mistake names the file, the line and the key before anything is uploaded or submitted.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML, { isMap, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import { FileError, InputError } from '../platform/errors.js';

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
    const doc = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length) {
      const e = doc.errors[0];
      const at = lines.linePos(e.pos[0]);
      throw new FileError(display, `is not valid YAML: ${e.message.split('\n')[0]}`, at.line, at.col);
    }
    if (!isMap(doc.contents)) throw new FileError(display, `must be a YAML mapping of ${what}.`, 1);
    return new JobFile(file, display, doc, lines);
  }

  /** The line of a key (or of the nearest existing parent). */
  lineOf(at: Path): number | undefined {
    for (let n = at.length; n >= 0; n--) {
      const parent = n === 0 ? this.doc.contents : this.doc.getIn(at.slice(0, n - 1), true);
      if (n === 0) return 1;
      if (isMap(parent)) {
        const pair = parent.items.find((i) => isScalar(i.key) && String(i.key.value) === String(at[n - 1]));
        const node = pair?.key as Node | undefined;
        if (node?.range) return this.lines.linePos(node.range[0]).line;
      } else if (isSeq(parent)) {
        const node = parent.items[Number(at[n - 1])] as Node | undefined;
        if (node?.range) return this.lines.linePos(node.range[0]).line;
      }
    }
    return undefined;
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
      this.doc.setIn(keyPath, value ?? '');
    } catch (e) {
      throw new InputError('set', `line '${line.trim()}' cannot be applied to ${this.display}: ${(e as Error).message}.`);
    }
  }

  data(): Record<string, unknown> {
    return this.doc.toJS() as Record<string, unknown>;
  }
}

type Obj = Record<string, unknown>;

export const JOB_TYPES = ['command', 'pipeline', 'sweep'] as const;
export type JobType = (typeof JOB_TYPES)[number];

const COMMON_KEYS = ['$schema', 'type', 'name', 'display_name', 'experiment_name', 'description', 'tags', 'properties', 'compute', 'inputs', 'outputs', 'identity'];
const COMMAND_KEYS = [...COMMON_KEYS, 'command', 'code', 'environment', 'environment_variables', 'distribution', 'resources', 'limits'];
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

export function jobType(file: JobFile, data: Obj): JobType {
  const type = data.type ?? 'command';
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
