// Azure Resource Manager as plain JSON over the client factory's pipeline (clients.ts: User-Agent,
// retries honouring Retry-After, per-attempt observation and request counting, bearer tokens for the
// cloud's ARM scope). A step that makes a handful of ARM calls — train: datastores, asset versions,
// the job — needs no generated SDK for them: @azure/arm-machinelearning with its serializers is about
// 450 KiB of bundle and 80 ms of start-up, and it drops fields of job bodies it does not model
// (Azure/azure-sdk-for-js#29328). Bodies here are the REST shapes of the spec, sent and read as is.
import { RestError, type PipelineResponse } from '@azure/core-rest-pipeline';
import type { Platform } from '../platform/platform.js';
import { AzureHttp, type HttpCall, type RequestStats } from './clients.js';
import type { AzureSignIn } from './credentials.js';
import { toAzureError } from './errors.js';

/** The api-version of Microsoft.MachineLearningServices the product speaks. */
export const ML_API_VERSION = '2022-10-01';

export interface ArmCall {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  apiVersion?: string;
  abortSignal?: AbortSignal;
  /** Called with every response (e.g. to read Retry-After). */
  onResponse?: (response: PipelineResponse) => void;
}

export class ArmClient {
  private readonly http: AzureHttp;
  readonly endpoint: string;

  constructor(platform: Platform, signIn: AzureSignIn, stats: RequestStats) {
    this.http = new AzureHttp(platform, stats, { credential: signIn.credential, scope: signIn.cloud.armScope });
    this.endpoint = signIn.cloud.armEndpoint.replace(/\/+$/, '');
  }

  /**
   * One request through the pipeline (token, retries, request counting), its answer as it is, whatever
   * the status: for callers that read every status themselves (long-running operations).
   */
  raw(url: string, call: HttpCall = {}): Promise<PipelineResponse> {
    return this.http.send(url, call);
  }

  /** The full URL of a resource path (`/subscriptions/…`), with its api-version and query. */
  url(resourcePath: string, call: Pick<ArmCall, 'query' | 'apiVersion'> = {}): string {
    if (/^https?:\/\//.test(resourcePath)) return resourcePath;
    const query = new URLSearchParams({ 'api-version': call.apiVersion ?? ML_API_VERSION });
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) query.set(k, String(v));
    return `${this.endpoint}${resourcePath}?${query}`;
  }

  /**
   * One ARM call; an answer of 400 and above becomes an AzureError naming `operation` (with ARM's code,
   * message and correlation id). Returns the response with its parsed JSON body (undefined when empty).
   */
  async send<T>(method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH', resourcePath: string, operation: string, call: ArmCall = {}): Promise<{ status: number; body: T; response: PipelineResponse }> {
    let response: PipelineResponse;
    try {
      response = await this.http.send(this.url(resourcePath, call), {
        method,
        headers: call.body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        abortSignal: call.abortSignal,
      });
    } catch (error) {
      throw toAzureError(error, operation);
    }
    call.onResponse?.(response);
    if (response.status >= 400) {
      throw toAzureError(new RestError(`HTTP ${response.status}`, { statusCode: response.status, request: response.request, response }), operation);
    }
    const text = response.bodyAsText ?? '';
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, response };
  }

  async get<T>(resourcePath: string, operation: string, call: ArmCall = {}): Promise<T> {
    return (await this.send<T>('GET', resourcePath, operation, call)).body;
  }

  async put<T>(resourcePath: string, body: unknown, operation: string, call: ArmCall = {}): Promise<T> {
    return (await this.send<T>('PUT', resourcePath, operation, { ...call, body })).body;
  }

  async post<T>(resourcePath: string, operation: string, call: ArmCall = {}): Promise<T> {
    return (await this.send<T>('POST', resourcePath, operation, call)).body;
  }

  /** Every item of a list, following `nextLink` page by page; with `max`, no further pages than that needs. */
  async list<T>(resourcePath: string, operation: string, call: ArmCall & { max?: number } = {}): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = this.url(resourcePath, call);
    while (next && !(call.max && items.length >= call.max)) {
      const page: { value?: T[]; nextLink?: string | null } = await this.get(next, operation, { abortSignal: call.abortSignal });
      items.push(...(page?.value ?? []));
      next = page?.nextLink ?? undefined;
    }
    return call.max ? items.slice(0, call.max) : items;
  }

  /**
   * A long-running POST (cancel): sends it, then follows Azure-AsyncOperation or Location until the
   * operation ends, as ARM's LRO contract says; a failed operation becomes an AzureError.
   */
  async postAndWait(resourcePath: string, operation: string, options: { abortSignal?: AbortSignal; intervalMs?: number; timeoutMs?: number } = {}): Promise<void> {
    const first = await this.send<unknown>('POST', resourcePath, operation, { abortSignal: options.abortSignal });
    if (first.status !== 202) return;
    const status = first.response.headers.get('azure-asyncoperation');
    const location = first.response.headers.get('location');
    const monitor = status ?? location;
    if (!monitor) return;
    const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
    let wait = retryAfterMs(first.response) ?? options.intervalMs ?? 1000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, wait));
      const poll = await this.send<{ status?: string; error?: { code?: string; message?: string } }>('GET', monitor, operation, { abortSignal: options.abortSignal });
      wait = retryAfterMs(poll.response) ?? options.intervalMs ?? 1000;
      if (status) {
        const state = poll.body?.status;
        if (state === 'Succeeded') return;
        if (state === 'Failed' || state === 'Canceled') {
          throw toAzureError(
            new RestError(poll.body?.error?.message ?? `The operation ended ${state}.`, { statusCode: 500, code: poll.body?.error?.code, request: poll.response.request, response: poll.response }),
            operation,
          );
        }
      } else if (poll.status !== 202) return;
    }
    throw new Error(`${operation}: the operation did not finish within ${Math.round((options.timeoutMs ?? 600_000) / 60_000)} minutes.`);
  }
}

function retryAfterMs(response: PipelineResponse): number | undefined {
  const seconds = Number(response.headers.get('retry-after'));
  return seconds > 0 ? Math.min(seconds, 60) * 1000 : undefined;
}
