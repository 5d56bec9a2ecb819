// Small HTTP plumbing shared by every emulated service: a request context, JSON bodies, and an error
// type that carries the exact status, headers and body a handler wants to answer with.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'object' && body !== null ? JSON.stringify(body) : String(body));
  }
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export class Ctx {
  readonly url: URL;
  readonly method: string;
  readonly requestId = randomUUID();
  readonly correlationId: string;
  private bodyPromise?: Promise<Buffer>;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly baseUrl: string,
  ) {
    this.url = new URL(req.url ?? '/', baseUrl);
    this.method = (req.method ?? 'GET').toUpperCase();
    const given = req.headers['x-ms-correlation-request-id'];
    this.correlationId = typeof given === 'string' && given ? given : randomUUID();
  }

  get path(): string {
    return this.url.pathname;
  }

  query(name: string): string | undefined {
    // ARM treats query parameter names case-insensitively.
    for (const [k, v] of this.url.searchParams) if (k.toLowerCase() === name.toLowerCase()) return v;
    return undefined;
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  body(): Promise<Buffer> {
    this.bodyPromise ??= new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      this.req.on('data', (c: Buffer) => chunks.push(c));
      this.req.on('end', () => resolve(Buffer.concat(chunks)));
      this.req.on('error', reject);
    });
    return this.bodyPromise;
  }

  async text(): Promise<string> {
    return (await this.body()).toString('utf8');
  }

  /** Parses a JSON body; `invalid` builds the error to throw when it is not JSON. */
  async json<T = unknown>(invalid: (message: string) => HttpError): Promise<T> {
    const text = await this.text();
    if (!text.trim()) throw invalid('The request content was invalid and could not be deserialized: the body is empty.');
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw invalid(`The request content was invalid and could not be deserialized: '${(e as Error).message}'.`);
    }
  }

  async form(): Promise<URLSearchParams> {
    return new URLSearchParams(await this.text());
  }
}

export function send(ctx: Ctx, reply: Reply): void {
  const { res } = ctx;
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload: Buffer | undefined;
  if (reply.body !== undefined) {
    if (Buffer.isBuffer(reply.body)) payload = reply.body;
    else if (typeof reply.body === 'string') {
      payload = Buffer.from(reply.body);
      headers['content-type'] ??= 'text/plain; charset=utf-8';
    } else {
      payload = Buffer.from(JSON.stringify(reply.body));
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
  }
  headers['content-length'] = String(payload?.length ?? 0);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/** Matches a path against a pattern like `/a/{x}/b/{y}`; names are case-insensitive, values decoded. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/').filter(Boolean);
  const a = path.split('/').filter(Boolean);
  if (p.length !== a.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i];
    if (seg.startsWith('{') && seg.endsWith('}')) {
      let value: string;
      try {
        value = decodeURIComponent(a[i]);
      } catch {
        return undefined;
      }
      out[seg.slice(1, -1)] = value;
    } else if (seg.toLowerCase() !== a[i].toLowerCase()) return undefined;
  }
  return out;
}
