// ARM calls as raw JSON through the ARM client's pipeline (credential, retries, request counting), and
// long-running operations followed to the end: the Azure-AsyncOperation (or Location) URL polled at the
// pace Retry-After asks for (2 s, growing to 15 s, when it asks nothing), a status line with elapsed time
// whenever the status changes and at least every minute, the service's error (code, message, correlation
// id) when the operation fails, and CancelledError as soon as the run is cancelled.
import { RestError, type HttpMethods, type PipelineResponse } from '@azure/core-rest-pipeline';
import type { ArmClient } from '../azure/arm.js';
import { AzureError, toAzureError } from '../azure/errors.js';
import { sleep } from '../platform/cancellation.js';
import { CancelledError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';
import { formatSeconds } from './wait.js';

export interface ArmResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: PipelineResponse['headers'];
}

const TERMINAL = ['Succeeded', 'Failed', 'Canceled'];

export class ArmJson {
  constructor(
    private readonly arm: ArmClient,
    private readonly platform: Platform,
  ) {}

  url(resourcePath: string): string {
    return this.arm.url(resourcePath);
  }

  /** One ARM request; an HTTP error becomes an AzureError named by `operation`. `allow404` returns undefined instead. */
  async send<T = Record<string, unknown>>(method: HttpMethods, url: string, operation: string, body?: unknown, options: { allow404?: boolean; abortSignal?: AbortSignal } = {}): Promise<ArmResponse<T> | undefined> {
    let response: PipelineResponse;
    try {
      response = await this.arm.raw(url, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        abortSignal: options.abortSignal,
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw new CancelledError(String(options.abortSignal?.reason ?? 'SIGINT'));
      throw toAzureError(error, operation);
    }
    if (response.status === 404 && options.allow404) return undefined;
    if (response.status >= 400) {
      throw toAzureError(new RestError(`HTTP ${response.status}`, { statusCode: response.status, request: response.request, response }), operation);
    }
    const text = response.bodyAsText ?? '';
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T, headers: response.headers };
  }

  /** Every item of an ARM list, following `nextLink` page by page until a page has none. */
  list<T>(url: string, operation: string, abortSignal?: AbortSignal): Promise<T[]> {
    return this.arm.list<T>(url, operation, { abortSignal });
  }

  /**
   * Waits for the operation a PUT/PATCH/DELETE/POST started. `what` names it in status lines and errors
   * ("Creating deployment green of endpoint credit-default").
   */
  async follow(started: ArmResponse<unknown>, what: string, options: { signal: AbortSignal; timeout?: OperationTimeout; quiet?: boolean }): Promise<void> {
    const asyncUrl = started.headers.get('azure-asyncoperation');
    const locationUrl = started.headers.get('location');
    const pollUrl = asyncUrl ?? locationUrl;
    if (!pollUrl) return; // finished synchronously (200 with the resource, or 204)
    const begun = Date.now();
    const elapsed = () => formatSeconds((Date.now() - begun) / 1000);
    let status = 'InProgress';
    let lastLine = 0;
    const say = (text: string) => {
      if (!options.quiet) this.platform.info(`[${elapsed()}] ${what}: ${text}`);
      lastLine = Date.now();
    };
    say(status);
    let retryAfter = retryAfterSeconds(started.headers);
    const timeoutMs = options.timeout ? options.timeout.minutes * 60_000 : undefined;
    for (let n = 0; ; n++) {
      const wait = (retryAfter ?? Math.min(15, 2 * 1.25 ** n)) * 1000;
      // Never sleep past the deadline (a Retry-After of a minute would), but poll once more at it.
      await sleep(timeoutMs === undefined ? wait : Math.min(wait, Math.max(timeoutMs - (Date.now() - begun), 0) + 10), options.signal);
      if (options.signal.aborted) throw new CancelledError(String(options.signal.reason));
      if (timeoutMs !== undefined && Date.now() - begun > timeoutMs) {
        const m = options.timeout!.minutes;
        throw new TimeoutError(`${what} did not finish within ${m} minute${m === 1 ? '' : 's'}, the limit set by input '${options.timeout!.input}'.`);
      }
      const polled = await this.poll(pollUrl, what, options.signal);
      retryAfter = retryAfterSeconds(polled.headers);
      const next = asyncUrl ? String((polled.body as { status?: string }).status ?? 'InProgress') : polled.status === 202 ? 'InProgress' : 'Succeeded';
      if (next !== status || Date.now() - lastLine >= 60_000) say(next);
      status = next;
      if (!TERMINAL.includes(status)) continue;
      if (status === 'Succeeded') return;
      const error = (polled.body as { error?: { code?: string; message?: string; details?: Array<{ code?: string; message?: string }> } }).error;
      throw new AzureError(
        what,
        undefined,
        error?.code ?? status,
        error?.message ?? `The operation ended ${status}.`,
        undefined,
        (error?.details ?? []).map((d) => [d.code, d.message].filter(Boolean).join(': ')),
        polled.headers.get('x-ms-correlation-request-id') ?? started.headers.get('x-ms-correlation-request-id') ?? undefined,
        1,
      );
    }
  }

  /** A Location URL answers 202 while running and the operation's error once failed: both are answers here. */
  private async poll(url: string, what: string, signal: AbortSignal): Promise<ArmResponse<unknown>> {
    let response: PipelineResponse;
    try {
      response = await this.arm.raw(url, { method: 'GET', abortSignal: signal });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw new CancelledError(String(signal.reason));
      throw toAzureError(error, `Following: ${what}`);
    }
    const text = response.bodyAsText ?? '';
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = {};
    }
    if (response.status >= 400) {
      const error = (body as { error?: { code?: string; message?: string } }).error;
      // Location URLs report the operation's failure as the error of the GET itself.
      return { status: 200, body: { status: 'Failed', error: error ?? { code: `HTTP ${response.status}`, message: text.slice(0, 500) } }, headers: response.headers };
    }
    return { status: response.status, body, headers: response.headers };
  }
}

/** How long one operation may take, and the input that said so (as the platform names it). */
export interface OperationTimeout {
  minutes: number;
  input: string;
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

function retryAfterSeconds(headers: PipelineResponse['headers']): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, Math.min(n, 60));
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, Math.min((date - Date.now()) / 1000, 60)) : undefined;
}

