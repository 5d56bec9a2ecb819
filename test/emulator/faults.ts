// Fault injection and the request log. A rule matches requests by target (the HTTPS API or the blob
// proxy), method and a path regex, fires with a probability and/or for a number of times, and then
// answers with a status (429/500/503 with Retry-After), drops the connection, adds latency or (blob
// only) corrupts the response bytes. Rules come from start options and from the admin API.
import { randomUUID } from 'node:crypto';

export type FaultTarget = 'api' | 'blob';

export interface FaultRule {
  id?: string;
  target?: FaultTarget;
  method?: string;
  /** Regular expression tested against the request path (query string excluded). */
  path?: string;
  /** 0..1, default 1. */
  probability?: number;
  /** Fire for the next `count` matching requests only. */
  count?: number;
  status?: number;
  /** Seconds, sent as Retry-After with 429 and 503 (default 1). */
  retryAfter?: number;
  errorCode?: string;
  message?: string;
  /** Destroy the connection without answering. */
  reset?: boolean;
  /** Delay before the request is handled (alone, or before the rule's other effect). */
  latencyMs?: number;
  /** Blob target only: flip bytes in a successful download's body. */
  corrupt?: boolean;
}

export interface ActiveRule extends FaultRule {
  id: string;
  target: FaultTarget;
  fired: number;
}

export interface RequestLogEntry {
  time: string;
  target: FaultTarget;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  fault?: string;
}

const SECRET_QUERY = /([?&](?:sig|se|sv|skoid|sktid|code|client_secret|api_key)=)[^&]*/gi;

export class Faults {
  private rules: ActiveRule[] = [];
  private log: RequestLogEntry[] = [];
  private compiled = new Map<string, RegExp>();
  /** Jobs and provisioning forced to fail (count of next ones, with a message). */
  jobFailures: { count: number; message: string; pattern?: string }[] = [];
  provisioningFailures: { count: number; message: string; pattern?: string }[] = [];
  /** Provisioning that takes longer than `provisionDelayMs` (count of next ones, how long). */
  provisioningDelays: { count: number; delayMs: number; pattern?: string }[] = [];

  add(rule: FaultRule): ActiveRule {
    if (rule.path !== undefined) new RegExp(rule.path); // throws on a bad pattern
    if (rule.probability !== undefined && (rule.probability < 0 || rule.probability > 1)) throw new Error('probability must be between 0 and 1');
    if (rule.status === undefined && !rule.reset && rule.latencyMs === undefined && !rule.corrupt) {
      throw new Error('a fault rule needs status, reset, latencyMs or corrupt');
    }
    const active: ActiveRule = { ...rule, id: rule.id ?? randomUUID(), target: rule.target ?? 'api', fired: 0 };
    this.rules.push(active);
    return active;
  }

  list(): ActiveRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
    this.jobFailures = [];
    this.provisioningFailures = [];
    this.provisioningDelays = [];
  }

  /** The rule that fires for this request, if any (its count is consumed). */
  pick(target: FaultTarget, method: string, path: string): ActiveRule | undefined {
    for (const rule of this.rules) {
      if (rule.target !== target) continue;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.path) {
        let re = this.compiled.get(rule.path);
        if (!re) {
          re = new RegExp(rule.path, 'i');
          this.compiled.set(rule.path, re);
        }
        if (!re.test(path)) continue;
      }
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue;
      rule.fired++;
      return rule;
    }
    return undefined;
  }

  takeJobFailure(name: string): string | undefined {
    return take(this.jobFailures, name);
  }

  takeProvisioningFailure(name: string): string | undefined {
    return take(this.provisioningFailures, name);
  }

  /** How long the next matching deployment (`<endpoint>/<deployment>`) takes to provision, if set. */
  takeProvisioningDelay(name: string): number | undefined {
    for (const d of this.provisioningDelays) {
      if (d.count <= 0) continue;
      if (d.pattern && !new RegExp(d.pattern, 'i').test(name)) continue;
      d.count--;
      return d.delayMs;
    }
    return undefined;
  }

  record(entry: Omit<RequestLogEntry, 'path'> & { path: string }): void {
    this.log.push({ ...entry, path: entry.path.replace(SECRET_QUERY, '$1***') });
    if (this.log.length > 10_000) this.log.splice(0, this.log.length - 10_000);
  }

  requests(): RequestLogEntry[] {
    return [...this.log];
  }

  clearLog(): void {
    this.log = [];
  }
}

function take(list: { count: number; message: string; pattern?: string }[], name: string): string | undefined {
  for (const f of list) {
    if (f.count <= 0) continue;
    if (f.pattern && !new RegExp(f.pattern, 'i').test(name)) continue;
    f.count--;
    return f.message;
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * What chaos hits on the API: ARM, the workspace data plane and scoring URIs — what a step calls. Not Entra
 * ID, the CI issuers or admin, and not the MLflow writes (log-metric, log-batch, log-parameter, set-tag)
 * that only a running job makes, from inside its compute rather than from the step.
 */
export const CHAOS_API_PATHS =
  '^/(subscriptions|history|discovery|inference|k8s)(/|$)|^/mlflow/(?!.*/runs/(log-metric|log-batch|log-parameter|set-tag)$)';

/**
 * Rules that disturb `rate` (0..1) of the requests to every service a step calls — ARM, the data plane,
 * scoring (CHAOS_API_PATHS) and blob storage — as a busy cloud does. Of the disturbed requests, 3 in 10
 * are throttled (ARM: 429 TooManyRequests; storage, which never answers 429: 503 ServerBusy), 3 in 10 fail
 * on the server (ARM: 503; storage: 500 OperationTimedOut), 2 in 10 lose their connection and 2 in 10 are
 * served 1.5 s late; throttling and server errors carry Retry-After: 1. Rules are tried in order, so each
 * one's probability is its share among the requests the earlier rules let through.
 */
export function chaosRules(rate: number): FaultRule[] {
  if (!(rate >= 0 && rate < 1)) throw new Error('a chaos rate is between 0 and 1 (exclusive)');
  type Effect = Omit<FaultRule, 'target' | 'path' | 'probability'>;
  const effects: Record<FaultTarget, Array<[number, string, Effect]>> = {
    api: [
      [0.3, 'throttled', { status: 429, retryAfter: 1, errorCode: 'TooManyRequests', message: 'Chaos: throttled.' }],
      [0.3, 'server-error', { status: 503, retryAfter: 1, errorCode: 'ServiceUnavailable', message: 'Chaos: unavailable.' }],
      [0.2, 'reset', { reset: true }],
      [0.2, 'slow', { latencyMs: 1500 }],
    ],
    blob: [
      [0.3, 'throttled', { status: 503, retryAfter: 1, errorCode: 'ServerBusy', message: 'Chaos: the server is busy.' }],
      [0.3, 'server-error', { status: 500, retryAfter: 1, errorCode: 'OperationTimedOut', message: 'Chaos: the operation could not be completed within the permitted time.' }],
      [0.2, 'reset', { reset: true }],
      [0.2, 'slow', { latencyMs: 1500 }],
    ],
  };
  const rules: FaultRule[] = [];
  for (const target of ['api', 'blob'] as const) {
    let left = 1;
    for (const [share, kind, effect] of effects[target]) {
      const p = (rate * share) / left;
      left -= rate * share;
      rules.push({ ...effect, id: `chaos-${target}-${kind}`, target, ...(target === 'api' ? { path: CHAOS_API_PATHS } : {}), probability: Math.min(1, p) });
    }
  }
  return rules;
}
