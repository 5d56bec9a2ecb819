// Requests to an online endpoint's scoring URI, as azure-ai-ml's `online_endpoints.invoke` sends them
// (POST JSON, `Authorization: Bearer <key | token>`, `azureml-model-deployment` to pick a deployment),
// through the client factory's pipeline: our User-Agent, request counting, and retries only for dropped
// connections and throttling — a 5xx from the model is the answer being tested, never retried away.
import type { PipelineResponse } from '@azure/core-rest-pipeline';
import { AzureHttp, loggableText, type RequestStats } from '../azure/clients.js';
import { toAzureError } from '../azure/errors.js';
import { CancelledError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';
import type { ScoringAuth } from './endpoints.js';

export interface ScoringResponse {
  status: number;
  /** Every response header, by lower-case name. */
  headers: Record<string, string>;
  text: string;
  /** Time from sending the request to the last byte of the answer, retries included. */
  timeMs: number;
  /** The deployment that answered (the service's `azureml-model-deployment` response header). */
  deployment?: string;
}

/** Response headers worth showing in a failure report (no cookies, no auth echoes). */
export const SHOWN_HEADERS = ['content-type', 'azureml-model-deployment', 'x-request-id', 'x-ms-request-id', 'x-ms-run-function-failed', 'ms-azureml-model-error-statuscode', 'ms-azureml-model-error-reason', 'retry-after'];

export class ScoringClient {
  private readonly http: AzureHttp;

  constructor(
    platform: Platform,
    stats: RequestStats,
    readonly scoringUri: string,
    private readonly auth: ScoringAuth,
  ) {
    this.http = new AzureHttp(platform, stats, auth.kind === 'aad' ? { credential: auth.credential, scope: auth.scope } : undefined, { retry: 'throttling' });
  }

  async score(body: string, options: { deployment?: string; signal?: AbortSignal; contentType?: string } = {}): Promise<ScoringResponse> {
    const headers: Record<string, string> = { 'Content-Type': options.contentType ?? 'application/json', Accept: 'application/json' };
    if (this.auth.kind === 'header') headers.Authorization = this.auth.authorization;
    if (options.deployment) headers['azureml-model-deployment'] = options.deployment;
    const started = performance.now();
    let response: PipelineResponse;
    try {
      response = await this.http.send(this.scoringUri, { method: 'POST', headers, body, abortSignal: options.signal });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw new CancelledError(String(options.signal?.reason ?? 'SIGINT'));
      const wrapped = toAzureError(error, `Scoring at ${loggableText(this.scoringUri)}`);
      throw wrapped;
    }
    const timeMs = performance.now() - started;
    const all = response.headers.toJSON({ preserveCase: false });
    return { status: response.status, headers: all, text: response.bodyAsText ?? '', timeMs, deployment: all['azureml-model-deployment'] };
  }
}
