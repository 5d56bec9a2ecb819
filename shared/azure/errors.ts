// Azure failures in one shape: what we were doing, HTTP status, ARM code, message, target, details
// and the correlation id a support ticket needs. Rendered once, by the step runner.
import { isRestError, type RestError } from '@azure/core-rest-pipeline';

/** Drops the query string of every URL in a message (an error that quotes its URL quotes its SAS too). */
export function loggableText(text: string): string {
  return text.replace(/(https?:\/\/[^\s?'"]+)\?[^\s'"]*/g, '$1');
}

export class AzureError extends Error {
  override name = 'AzureError';
  constructor(
    readonly operation: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    readonly detail: string,
    readonly target: string | undefined,
    readonly details: string[],
    readonly correlationId: string | undefined,
    readonly attempts: number,
  ) {
    super(detail);
  }

  /** The one sentence the step fails with. */
  describe(): string {
    const parts = [`${this.operation} failed`];
    const where = [this.status ? `HTTP ${this.status}` : undefined, this.code].filter(Boolean).join(' ');
    let text = `${parts[0]}${where ? ` (${where})` : ''}: ${this.detail}`;
    if (this.target) text += ` [target: ${this.target}]`;
    if (this.details.length) text += ` Details: ${this.details.join('; ')}`;
    if (this.attempts > 1) text += ` Gave up after ${this.attempts} attempts.`;
    if (this.correlationId) text += ` Correlation id: ${this.correlationId}.`;
    return text;
  }
}

interface ArmErrorBody {
  code?: string;
  message?: string;
  target?: string;
  details?: ArmErrorBody[];
}

function parseBody(error: RestError): ArmErrorBody | undefined {
  const text = error.response?.bodyAsText;
  if (!text) return undefined;
  try {
    const body = JSON.parse(text) as { error?: ArmErrorBody; error_description?: string };
    return body.error ?? (body.error_description ? { message: body.error_description } : undefined);
  } catch {
    return undefined;
  }
}

/** How many HTTP attempts each request took (filled in by the client factory's per-retry policy). */
export const attemptsByRequest = new WeakMap<object, number>();

const IDENTITY_ERRORS = ['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError', 'AggregateAuthenticationError'];

/** @azure/identity's failures (Entra ID said no, or no credential could be used) as one sentence. */
function signInError(error: Error): AzureError {
  const text = error.message;
  const code = /\b(AADSTS\d+)\b/.exec(text)?.[1];
  const correlationId = /Correlation ID: ([0-9a-f-]{36})/i.exec(text)?.[1];
  // MSAL repeats timestamps, trace and correlation ids inside the description: keep the description.
  const description = /Description: (AADSTS\d+: .*?)(?: Trace ID:| Correlation ID:| Timestamp:|$)/.exec(text)?.[1] ?? text.split('\n')[0];
  const status = (error as { statusCode?: number }).statusCode;
  const pipelines = pipelinesRefusal(text);
  if (pipelines) return new AzureError('Requesting an OIDC token from Azure DevOps', pipelines.status ?? status, undefined, pipelines.message, undefined, [], undefined, 1);
  return new AzureError('Signing in to Azure', status, code, description.trim(), undefined, [], correlationId, 1);
}

/**
 * AzurePipelinesCredential quotes the oidctoken response it could not use as JSON inside its message;
 * what Azure DevOps said is in its `bodyAsText` (a JSON string or an error object).
 */
function pipelinesRefusal(text: string): { status?: number; message: string } | undefined {
  if (!text.startsWith('AzurePipelinesCredential')) return undefined;
  const quoted = /(\{"status":\d+,"bodyAsText":[\s\S]*?,"headers":\{[^}]*\}\})/.exec(text)?.[1];
  if (!quoted) return undefined;
  try {
    const response = JSON.parse(quoted) as { status: number; bodyAsText?: string };
    let said = (response.bodyAsText ?? '').trim();
    try {
      const body = JSON.parse(said) as unknown;
      said = typeof body === 'string' ? body : ((body as { message?: string }).message ?? said);
    } catch {
      // Not JSON: the text as it came.
    }
    return { status: response.status, message: loggableText(said.slice(0, 300)) || 'no reason given.' };
  } catch {
    return undefined;
  }
}

/** Wraps what an Azure SDK call threw; anything that is not an HTTP failure is returned as is. */
export function toAzureError(error: unknown, operation: string): unknown {
  if (error instanceof Error && IDENTITY_ERRORS.includes(error.name)) return signInError(error);
  if (!isRestError(error)) return error;
  const body = parseBody(error);
  const headers = error.response?.headers;
  const correlationId =
    headers?.get('x-ms-correlation-request-id') ?? headers?.get('x-ms-request-id') ?? error.request?.headers.get('x-ms-client-request-id');
  const attempts = error.request ? (attemptsByRequest.get(error.request) ?? 1) : 1;
  const message = loggableText(body?.message ?? (error.code === 'REQUEST_SEND_ERROR' ? `could not reach the service: ${error.message}` : error.message));
  return new AzureError(
    operation,
    error.statusCode,
    body?.code ?? (error.code && error.code !== 'REQUEST_SEND_ERROR' ? error.code : undefined),
    message,
    body?.target,
    (body?.details ?? []).map((d) => [d.code, d.message].filter(Boolean).join(': ')),
    correlationId ?? undefined,
    attempts,
  );
}

/** Runs one Azure operation and turns its failure into an AzureError. */
export async function azureCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toAzureError(error, operation);
  }
}
