// The few Python behaviours azure-ai-ml's wire format depends on, so our bodies and hashes match the
// ones `az ml` builds: str() of a float, json.dumps(sort_keys=True), PyYAML's dump of a conda file,
// isodate's duration format, and the anonymous asset hashes built from them.
import { createHash } from 'node:crypto';

/** A number that was a float in the YAML (`1.0`), so that it prints as Python prints it. */
export class PyFloat {
  constructor(readonly value: number) {}
  toJSON(): number {
    return this.value;
  }
}

/** Python's repr/str of a float: shortest round-trip digits, `.0` on integral values, exponent outside 1e-4 ≤ |x| < 1e16. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let text: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    text = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    text = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    text = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  } else {
    text = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return negative ? `-${text}` : text;
}

/** Python's str() of a YAML scalar as azure-ai-ml sends literal values: True/False, floats as Python prints them. */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value instanceof PyFloat) return pyFloat(value.value);
  return String(value);
}

function jsonString(s: string): string {
  // json.dumps with ensure_ascii: every non-ASCII character as \uXXXX.
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `json.dumps(value, sort_keys=True)`: ", " and ": " separators, keys sorted by code point. */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) return pyFloat(value.value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloat(value);
  if (typeof value === 'string') return jsonString(value);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  const keys = Object.keys(value as object).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
  return `{${keys.map((k) => `${jsonString(k)}: ${pyJsonDumps((value as Record<string, unknown>)[k])}`).join(', ')}}`;
}

export function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** azure-ai-ml's hash_dict: md5 of json.dumps(sort_keys=True) without some keys, written as a GUID. */
export function hashDict(items: Record<string, unknown>, omit: string[]): string {
  const kept = Object.fromEntries(Object.entries(items).filter(([k]) => !omit.includes(k)));
  const h = md5(pyJsonDumps(kept));
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** isodate.duration_isoformat of a timedelta of `seconds` (what azure-ai-ml sends for timeouts): PT1H, PT1M30S, P1DT2H. */
export function isoDuration(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  let rest = seconds - days * 86400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = Math.round((rest - minutes * 60) * 1e6) / 1e6;
  let out = 'P';
  if (days) out += `${days}D`;
  if (hours || minutes || secs) {
    out += 'T';
    if (hours) out += `${hours}H`;
    if (minutes) out += `${minutes}M`;
    if (secs) out += `${secs}S`;
  }
  return out === 'P' ? 'P0D' : out;
}

// ------------------------------------------------------------------------------------------------
// PyYAML's yaml.dump(data, sort_keys=True) in block style: how azure-ai-ml turns a conda file into
// the condaFile string it sends and hashes.

const YAML11_RESERVED = /^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|<<|=)$/;
const YAML11_INT = /^[-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const YAML11_FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const YAML11_TIMESTAMP = /^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?$/;

function plainAllowed(s: string): boolean {
  if (s === '' || s !== s.trim()) return false;
  if (YAML11_RESERVED.test(s) || YAML11_INT.test(s) || YAML11_FLOAT.test(s) || YAML11_TIMESTAMP.test(s)) return false;
  // eslint-disable-next-line no-control-regex -- PyYAML quotes control characters: matching them is the point
  if (/[\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\uffff]/.test(s)) return false;
  if (/^[#,[\]{}&*!|>'"%@`]/.test(s)) return false;
  if (/^[-?:](\s|$)/.test(s)) return false;
  if (/: |\s#|:$/.test(s)) return false;
  if (s.startsWith('---') || s.startsWith('...')) return false;
  return true;
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof PyFloat) return pyYamlFloat(value.value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyYamlFloat(value);
  const s = String(value);
  if (plainAllowed(s)) return s;
  // eslint-disable-next-line no-control-regex -- as above
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\uffff]/.test(s) || s.includes('\n')) return JSON.stringify(s);
  return `'${s.replace(/'/g, "''")}'`;
}

function pyYamlFloat(x: number): string {
  const text = pyFloat(x);
  // PyYAML writes exponents with a dot in the mantissa (1.0e-05) and lower-case inf/nan as .inf/.nan.
  if (text === 'inf') return '.inf';
  if (text === '-inf') return '-.inf';
  if (text === 'nan') return '.nan';
  return text.replace(/^(-?\d+)e/, '$1.0e');
}

function isCollection(v: unknown): v is object {
  return v !== null && typeof v === 'object' && !(v instanceof PyFloat);
}

function emptyCollection(v: object): string | undefined {
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  return Object.keys(v).length === 0 ? '{}' : undefined;
}

function dumpNode(value: unknown, indent: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isCollection(item) && !emptyCollection(item)) {
        const sub: string[] = [];
        dumpNode(item, indent + 2, sub);
        out.push(`${pad}- ${sub[0].slice(indent + 2)}`, ...sub.slice(1));
      } else {
        out.push(`${pad}- ${isCollection(item) ? emptyCollection(item) : scalar(item)}`);
      }
    }
    return;
  }
  const map = value as Record<string, unknown>;
  for (const key of Object.keys(map).sort()) {
    const v = map[key];
    const k = scalar(key);
    if (isCollection(v) && !emptyCollection(v)) {
      out.push(`${pad}${k}:`);
      // PyYAML does not indent a sequence under a mapping key.
      dumpNode(v, Array.isArray(v) ? indent : indent + 2, out);
    } else {
      out.push(`${pad}${k}: ${isCollection(v) ? emptyCollection(v) : scalar(v)}`);
    }
  }
}

export function pyYamlDump(value: unknown): string {
  if (!isCollection(value)) return `${scalar(value)}\n...\n`;
  const empty = emptyCollection(value);
  if (empty) return `${empty}\n`;
  const out: string[] = [];
  dumpNode(value, 0, out);
  return `${out.join('\n')}\n`;
}

// ------------------------------------------------------------------------------------------------
// Anonymous asset versions, as azure-ai-ml names them

export const ANONYMOUS_ENVIRONMENT = 'CliV2AnonymousEnvironment';
export const ANONYMOUS_COMPONENT = 'azureml_anonymous';

/**
 * Environment._generate_anonymous_name_version, quirks included: `"".join(md5(image))` is md5(image),
 * and `that.join(md5(conda))` puts it between every character of the conda file's md5.
 */
export function imageEnvironmentVersion(image: string, condaFile?: string, inferenceConfig?: string): string {
  let h = md5(image);
  if (inferenceConfig) h = [...md5(inferenceConfig)].join(h);
  if (condaFile) h = [...md5(condaFile)].join(h);
  return md5(h);
}

/** The same for a build context: md5 of md5 of the context's upload hash (and of the Dockerfile path when given). */
export function buildEnvironmentVersion(uploadHash: string, dockerfilePath?: string): string {
  const h = md5(uploadHash);
  return md5(dockerfilePath ? [...md5(dockerfilePath)].join(h) : h);
}

/** Component._get_anonymous_hash: the component's dict without name, id and version. */
export function componentVersion(spec: Record<string, unknown>): string {
  return hashDict(spec, ['name', 'id', 'version', '_source']);
}
