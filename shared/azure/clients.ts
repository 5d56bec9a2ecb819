// The one place Azure clients are built: credential and cloud endpoints, a User-Agent naming us and
// the platform, retries on 429 / 5xx / dropped connections that honour Retry-After with bounded
// exponential backoff, a debug line for every retried or failed HTTP attempt, and a request counter.
import type { TokenCredential } from '@azure/identity';
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type HttpMethods,
  type Pipeline,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse,
  systemErrorRetryPolicy,
  throttlingRetryPolicy,
} from '@azure/core-rest-pipeline';
import { AnonymousCredential, ContainerClient, newPipeline, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { Platform } from '../platform/platform.js';
import { VERSION } from '../version.js';
import { attemptsByRequest, loggableText } from './errors.js';

export { loggableText };

/** Bounded retries: with 20 % of calls throttled or failing, 6 retries leave ~1 in 80,000 calls failed. */
export const RETRY = { maxRetries: 6, retryDelayInMs: 500, maxRetryDelayInMs: 30_000 };

export class RequestStats {
  requests = 0;
  retries = 0;
  byOperation = new Map<string, number>();
}

/** Drops query strings (SAS signatures, api-version noise) from URLs before they reach a log. */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

export function userAgent(platform: Platform): string {
  return `mlops-actions/${VERSION} (${platform.kind})`;
}

/** Sits inside the retry loop: sees every HTTP attempt. */
export function observePolicy(platform: Platform, stats: RequestStats): PipelinePolicy {
  return {
    name: 'mlopsObserve',
    async sendRequest(request: PipelineRequest, next) {
      const attempt = (attemptsByRequest.get(request) ?? 0) + 1;
      attemptsByRequest.set(request, attempt);
      stats.requests++;
      if (attempt > 1) stats.retries++;
      const key = `${request.method} ${loggableUrl(request.url).replace(/^https?:\/\/[^/]+/, '')}`;
      stats.byOperation.set(key, (stats.byOperation.get(key) ?? 0) + 1);
      const started = Date.now();
      try {
        const response = await next(request);
        if (response.status === 429 || response.status >= 500 || attempt > 1) {
          const retryAfter = response.headers.get('retry-after');
          platform.debug(
            `${request.method} ${loggableUrl(request.url)} → ${response.status} in ${Date.now() - started} ms (attempt ${attempt}${retryAfter ? `, Retry-After ${retryAfter}` : ''})`,
          );
        }
        return response;
      } catch (error) {
        platform.debug(`${request.method} ${loggableUrl(request.url)} → ${loggableText((error as Error).message)} (attempt ${attempt})`);
        throw error;
      }
    },
  };
}

export interface HttpCall {
  method?: HttpMethods;
  headers?: Record<string, string>;
  body?: string;
  abortSignal?: AbortSignal;
  /**
   * Allow http: for URLs the service handed out (a SAS URL on a storage account that serves http, as
   * Azurite and Azure Stack Hub can); never set for requests that carry a token.
   */
  allowInsecureConnection?: boolean;
}

/**
 * Every Azure HTTP call that no SDK client makes (the workspace's discovery document, run history,
 * MLflow, log files behind SAS URLs) goes through this: the same User-Agent, retries that honour
 * Retry-After, per-attempt observation and request counting as the ARM client. With a credential and
 * scope, each request carries a bearer token fetched (and renewed) by the pipeline; without one (SAS
 * URLs, the unauthenticated discovery document) none.
 */
export class AzureHttp {
  private readonly pipeline: Pipeline;
  private readonly client: HttpClient = createDefaultHttpClient();

  /**
   * `retry: 'throttling'` retries only dropped connections and throttling (429, or 503 with Retry-After):
   * for calls whose 5xx answers are the result being measured — a scoring request whose run() raised
   * must be reported, not retried six times.
   */
  constructor(platform: Platform, stats: RequestStats, auth?: { credential: TokenCredential; scope: string }, options: { retry?: 'all' | 'throttling' } = {}) {
    this.pipeline = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: userAgent(platform) }, retryOptions: RETRY });
    if (options.retry === 'throttling') {
      this.pipeline.removePolicy({ name: 'defaultRetryPolicy' });
      this.pipeline.addPolicy(systemErrorRetryPolicy({ maxRetries: RETRY.maxRetries, retryDelayInMs: RETRY.retryDelayInMs, maxRetryDelayInMs: RETRY.maxRetryDelayInMs }), { phase: 'Retry' });
      this.pipeline.addPolicy(throttlingRetryPolicy({ maxRetries: RETRY.maxRetries }), { phase: 'Retry' });
    }
    this.pipeline.addPolicy(observePolicy(platform, stats), { afterPhase: 'Retry' });
    if (auth) this.pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: auth.credential, scopes: auth.scope }), { phase: 'Sign' });
  }

  send(url: string, call: HttpCall = {}): Promise<PipelineResponse> {
    const request = createPipelineRequest({
      url,
      method: call.method ?? 'GET',
      headers: createHttpHeaders(call.headers),
      body: call.body,
      abortSignal: call.abortSignal,
      allowInsecureConnection: call.allowInsecureConnection,
    });
    return this.pipeline.sendRequest(this.client, request);
  }
}

/** Storage answers throttling with 503 (never 429); its retry policy retries 500/503 and dropped connections. */
export const BLOB_RETRY = { maxTries: 8, retryDelayInMs: 250, maxRetryDelayInMs: 8_000 };

export function createContainerClient(
  platform: Platform,
  url: string,
  credential: StorageSharedKeyCredential | AnonymousCredential | TokenCredential,
  stats: RequestStats,
): ContainerClient {
  const client = new ContainerClient(
    url,
    newPipeline(credential, { userAgentOptions: { userAgentPrefix: userAgent(platform) }, retryOptions: BLOB_RETRY }),
  );
  // The storage SDK takes no extra policies through its options; its client's core pipeline does.
  // Below the retry phase, the same observing policy as ARM calls sees every attempt.
  const context = (client as unknown as { storageClientContext?: { pipeline?: Pipeline } }).storageClientContext;
  if (!context?.pipeline) throw new Error('@azure/storage-blob no longer exposes its pipeline; update createContainerClient.');
  context.pipeline.addPolicy(observePolicy(platform, stats), { afterPhase: 'Retry' });
  return client;
}
