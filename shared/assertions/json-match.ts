// Compares a response body with the expected JSON: `equals` (the same document) or `contains` (every key
// the expected object has, with the same value; lists element by element), numbers within a tolerance.
// Differences come back as paths (`$.predictions[1]`) with both values, so a failure reads as a diff.
import { show, type Json } from './expressions.js';

export type MatchMode = 'equals' | 'contains';

export interface Difference {
  path: string;
  expected?: Json;
  actual?: Json;
  problem: string;
}

function kind(v: Json | undefined): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'object' : typeof v;
}

function keyPath(parent: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

export function compareJson(expected: Json, actual: Json | undefined, options: { mode: MatchMode; tolerance: number }, path = '$'): Difference[] {
  const { mode, tolerance } = options;
  if (typeof expected === 'number' && typeof actual === 'number') {
    const off = Math.abs(expected - actual);
    return off <= tolerance ? [] : [{ path, expected, actual, problem: `expected ${show(expected)}${tolerance > 0 && !(Number.isInteger(expected) && Number.isInteger(actual)) ? ` (±${tolerance})` : ''}, got ${show(actual)}` }];
  }
  if (kind(expected) !== kind(actual)) {
    return [{ path, expected, actual, problem: actual === undefined ? `missing (expected ${show(expected)})` : `expected ${kind(expected)} ${show(expected)}, got ${kind(actual)} ${show(actual)}` }];
  }
  if (Array.isArray(expected)) {
    const got = actual as Json[];
    const out: Difference[] = [];
    if (got.length !== expected.length) out.push({ path, problem: `expected ${expected.length} element${expected.length === 1 ? '' : 's'}, got ${got.length}` });
    for (let i = 0; i < Math.min(expected.length, got.length); i++) out.push(...compareJson(expected[i], got[i], options, `${path}[${i}]`));
    return out;
  }
  if (expected !== null && typeof expected === 'object') {
    const got = actual as Record<string, Json>;
    const out: Difference[] = [];
    for (const [k, v] of Object.entries(expected)) {
      const p = keyPath(path, k);
      if (!(k in got)) out.push({ path: p, expected: v, problem: `missing (expected ${show(v)})` });
      else out.push(...compareJson(v, got[k], options, p));
    }
    if (mode === 'equals') {
      for (const k of Object.keys(got)) if (!(k in expected)) out.push({ path: keyPath(path, k), actual: got[k], problem: `not expected (got ${show(got[k])})` });
    }
    return out;
  }
  return expected === actual ? [] : [{ path, expected, actual, problem: `expected ${show(expected)}, got ${show(actual)}` }];
}

/** The differences as lines, at most `limit` of them. */
export function formatDifferences(differences: Difference[], limit = 20): string[] {
  const lines = differences.slice(0, limit).map((d) => `${d.path}: ${d.problem}`);
  if (differences.length > limit) lines.push(`… and ${differences.length - limit} more difference${differences.length - limit === 1 ? '' : 's'}`);
  return lines;
}

/**
 * Where JSON text first goes wrong (0-based offset), or undefined when it is valid. JSON.parse's messages
 * carry no position on every Node version; this small scanner finds it for a file:line:column sentence.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    }
    if (c === '"') return string();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        if (!/^(["\\/bfnrt]|u[0-9a-fA-F]{4})/.test(text.slice(i + 1))) fail();
        i += text[i + 1] === 'u' ? 6 : 2;
      } else if (text.charCodeAt(i) < 0x20) fail();
      else i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (at) {
    if (typeof at === 'number') return Math.min(at, text.length);
    throw at;
  }
}
