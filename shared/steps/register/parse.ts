// The register step's own small languages, parsed before anything is sent: metric gates
// (`accuracy>=0.8, auc>0.7`), key=value lines (tags, properties), a tag selector (`stage=production`),
// and the champion/challenger comparison. Pure functions; a mistake is an InputError naming the input.
import { InputError } from '../../platform/errors.js';

export const GATE_OPERATORS = ['>=', '<=', '==', '!=', '>', '<'] as const;
export type GateOperator = (typeof GATE_OPERATORS)[number];

export interface Gate {
  metric: string;
  op: GateOperator;
  threshold: number;
  /** As the user wrote it (trimmed), for messages. */
  text: string;
}

export interface GateResult extends Gate {
  value: number;
  passed: boolean;
}

const GATE = /^([A-Za-z_][\w.\-/]*)\s*(>=|<=|==|!=|>|<)\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;

/** `accuracy>=0.8, auc>0.7` (commas or new lines between gates); metric names may hold `.` (`train.auc`). */
export function parseGates(text: string | undefined, input = 'gates'): Gate[] {
  if (!text) return [];
  const gates: Gate[] = [];
  for (const raw of text.split(/[,\n]/)) {
    const part = raw.trim();
    if (!part) continue;
    const m = GATE.exec(part);
    if (!m) {
      throw new InputError(input, `has '${part}': expected <metric><op><number> such as accuracy>=0.8, with <op> one of ${GATE_OPERATORS.join(', ')}.`);
    }
    gates.push({ metric: m[1], op: m[2] as GateOperator, threshold: Number(m[3]), text: `${m[1]}${m[2]}${m[3]}` });
  }
  return gates;
}

export function compare(value: number, op: GateOperator, threshold: number): boolean {
  switch (op) {
    case '>=':
      return value >= threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '<':
      return value < threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/**
 * Every gate against the job's metrics. A gate on a metric the job did not log is not a failed gate
 * but a mistake in the gate (a typo would otherwise fail, or skip, every run): it is listed in `missing`.
 */
export function evaluateGates(gates: Gate[], metrics: Record<string, number>): { results: GateResult[]; missing: string[] } {
  const results: GateResult[] = [];
  const missing: string[] = [];
  for (const gate of gates) {
    const value = metrics[gate.metric];
    if (value === undefined || Number.isNaN(value)) {
      if (!missing.includes(gate.metric)) missing.push(gate.metric);
      continue;
    }
    results.push({ ...gate, value, passed: compare(value, gate.op, gate.threshold) });
  }
  return { results, missing };
}

/** `key=value` lines (tags, properties). The first `=` splits; keys are trimmed and must be non-empty. */
export function parsePairs(lines: string[], input: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const eq = line.indexOf('=');
    const key = eq < 0 ? '' : line.slice(0, eq).trim();
    if (!key) throw new InputError(input, `has the line '${line}': expected key=value, one per line.`);
    out[key] = line.slice(eq + 1).trim();
  }
  return out;
}

/** `stage=production` or `stage` (any value): which version is the champion. */
export function parseTagSelector(text: string | undefined, input: string): { key: string; value?: string } | undefined {
  if (!text) return undefined;
  const eq = text.indexOf('=');
  const key = (eq < 0 ? text : text.slice(0, eq)).trim();
  if (!key || /[,\s]/.test(key)) throw new InputError(input, `must be a tag name or name=value, such as stage=production (got '${text}').`);
  return eq < 0 ? { key } : { key, value: text.slice(eq + 1).trim() };
}

/** A challenger replaces the champion only when strictly better on the metric. */
export function isBetter(challenger: number, champion: number, higherIsBetter: boolean): boolean {
  return higherIsBetter ? challenger > champion : challenger < champion;
}
