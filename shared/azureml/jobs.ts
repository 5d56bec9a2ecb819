// Azure ML jobs: submit, read, cancel (ARM, as raw JSON — @azure/arm-machinelearning 2.1.1 drops `uri`
// and `mode` from job inputs and outputs when it serialises them, Azure/azure-sdk-for-js#29328), and
// the data plane a waiting step needs: run-history details with log files, children, MLflow metrics.
import type { JobBase } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/identity';
import { RestError } from '@azure/core-rest-pipeline';
import { ML_API_VERSION, type ArmClient } from '../azure/arm.js';
import { AzureHttp, type RequestStats } from '../azure/clients.js';
import { toAzureError } from '../azure/errors.js';
import type { Platform } from '../platform/platform.js';
import type { WorkspaceRef } from '../azure/references.js';
import { workspaceArmId } from '../azure/references.js';

export const API_VERSION = ML_API_VERSION;
/** What azure-ai-ml treats as the end of a job (`_run_history_constants.py`). */
export const TERMINAL = ['Completed', 'Failed', 'Canceled', 'NotResponding', 'Paused'];

export interface RunDetails {
  status?: string;
  logFiles?: Record<string, string>;
  error?: { error?: { code?: string; message?: string } } | null;
  warnings?: unknown[];
}

export interface ChildRun {
  runId: string;
  displayName?: string;
  status?: string;
}

export class JobClient {
  private dataPlane?: Promise<{ history: string; mlflow: string }>;
  /** Run history and MLflow: bearer tokens for the ARM scope. */
  private readonly authed: AzureHttp;
  /** The discovery document and SAS log URLs: no token. */
  private readonly anonymous: AzureHttp;

  constructor(
    private readonly arm: ArmClient,
    platform: Platform,
    stats: RequestStats,
    credential: TokenCredential,
    scope: string,
    readonly ws: WorkspaceRef,
  ) {
    this.authed = new AzureHttp(platform, stats, { credential, scope });
    this.anonymous = new AzureHttp(platform, stats);
  }

  private jobPath(name: string): string {
    return `${workspaceArmId(this.ws)}/jobs/${encodeURIComponent(name)}`;
  }

  /** PUT the job as JSON, as the spec shapes it. */
  submit(name: string, body: { properties: Record<string, unknown> }): Promise<JobBase> {
    return this.arm.put<JobBase>(this.jobPath(name), body, `Submitting job ${name}`);
  }

  get(name: string, onRetryAfter?: (seconds: number) => void): Promise<JobBase> {
    return this.arm.get<JobBase>(this.jobPath(name), `Reading job ${name}`, {
      onResponse: (r) => {
        const after = Number(r.headers.get('retry-after'));
        if (onRetryAfter && after > 0) onRetryAfter(after);
      },
    });
  }

  async cancel(name: string): Promise<void> {
    await this.arm.postAndWait(`${this.jobPath(name)}/cancel`, `Cancelling job ${name}`, { intervalMs: 500 });
  }

  /**
   * The data-plane hosts, from the workspace's discovery document and MLflow tracking URI. A failed
   * discovery is not kept: the next call tries again.
   */
  private endpoints(): Promise<{ history: string; mlflow: string }> {
    this.dataPlane ??= (async () => {
      const workspace = (await this.arm.get<{ properties?: { mlFlowTrackingUri?: string; discoveryUrl?: string } }>(workspaceArmId(this.ws), `Reading workspace ${this.ws.workspace}`)).properties ?? {};
      const mlflow = (workspace.mlFlowTrackingUri ?? '').replace(/^azureml:\/\//, 'https://');
      let history = '';
      if (workspace.discoveryUrl) {
        const discovery = await this.json<{ history?: string }>(this.anonymous, workspace.discoveryUrl, `Reading the discovery document of workspace ${this.ws.workspace}`);
        history = (discovery.history ?? '').replace(/\/+$/, '');
      }
      return { history, mlflow };
    })();
    this.dataPlane.catch(() => (this.dataPlane = undefined));
    return this.dataPlane;
  }

  private async json<T>(http: AzureHttp, url: string, what: string): Promise<T> {
    let response;
    try {
      response = await http.send(url);
    } catch (error) {
      throw toAzureError(error, what);
    }
    if (response.status >= 400) {
      throw toAzureError(new RestError(`HTTP ${response.status}`, { statusCode: response.status, request: response.request, response }), what);
    }
    return JSON.parse(response.bodyAsText ?? '{}') as T;
  }

  private dataGet<T>(url: string, what: string): Promise<T> {
    return this.json<T>(this.authed, url, what);
  }

  /**
   * The part of a log file (behind its SAS URL) from byte `from` on; '' when nothing new has been
   * written (416) or the file is not readable yet.
   */
  async readLog(url: string, from: number, abortSignal?: AbortSignal): Promise<string> {
    const response = await this.anonymous.send(url, { headers: { Range: `bytes=${from}-` }, abortSignal, allowInsecureConnection: url.startsWith('http:') });
    if (response.status >= 400) return '';
    return response.bodyAsText ?? '';
  }

  private async runUrl(name: string, suffix: string): Promise<string> {
    const { history } = await this.endpoints();
    const ws = this.ws;
    return `${history}/history/v1.0/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.workspace}/runs/${encodeURIComponent(name)}${suffix}`;
  }

  async details(name: string): Promise<RunDetails> {
    return this.dataGet<RunDetails>(await this.runUrl(name, '/details'), `Reading the run details of ${name}`);
  }

  /** Every child run, page by page (run history's PaginatedRunList: `nextLink` until it is null). */
  async children(name: string): Promise<ChildRun[]> {
    const runs: ChildRun[] = [];
    for (let next: string | null | undefined = await this.runUrl(name, '/children'); next; ) {
      const page: { value?: ChildRun[]; nextLink?: string | null } = await this.dataGet(next, `Reading the child runs of ${name}`);
      runs.push(...(page.value ?? []));
      next = page.nextLink;
    }
    return runs;
  }

  /** Final metric values from MLflow (`runs/get`); {} when the run logged none. */
  async metrics(name: string): Promise<Record<string, number>> {
    const { mlflow } = await this.endpoints();
    if (!mlflow) return {};
    const run = await this.dataGet<{ run?: { data?: { metrics?: Array<{ key: string; value: number; step?: number; timestamp?: number }> } } }>(
      `${mlflow}/api/2.0/mlflow/runs/get?run_id=${encodeURIComponent(name)}`,
      `Reading the metrics of ${name}`,
    );
    const latest = new Map<string, { value: number; at: number }>();
    for (const m of run.run?.data?.metrics ?? []) {
      const at = (m.step ?? 0) * 1e13 + (m.timestamp ?? 0);
      const seen = latest.get(m.key);
      if (!seen || at >= seen.at) latest.set(m.key, { value: m.value, at });
    }
    return Object.fromEntries([...latest.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.value]));
  }
}

/** Which log files `az ml job stream` follows, in order of preference (azure-ai-ml `_job_ops_helper.py`). */
export const LOG_PATTERNS = [/^user_logs\/std_log[\D]*[0]*(?:_ps)?\.txt$/, /^azureml-logs\/[\d]{2}.+\.txt$/, /^logs\/azureml\/executionlogs\.txt$/, /^azureml-logs\/hyperdrive\.txt$/];

export function logsToStream(logFiles: Record<string, string>): Array<[string, string]> {
  for (const pattern of LOG_PATTERNS) {
    const found = Object.entries(logFiles).filter(([name]) => pattern.test(name));
    if (found.length) return found.sort(([a], [b]) => a.localeCompare(b));
  }
  return [];
}

/**
 * Seconds to wait before poll number `n` (0-based): 5 s at first, 25 % longer each time, at most a
 * minute — a finished job is seen within seconds early on, and a long one costs about one request a
 * minute (a 15-second loop costs four).
 */
export function pollInterval(n: number): number {
  return Math.min(60, 5 * 1.25 ** n);
}
