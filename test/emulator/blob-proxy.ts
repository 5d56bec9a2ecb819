// A transparent HTTP proxy in front of Azurite. Datastores and SAS URLs point here, so blob faults
// (storage errors, dropped connections, latency, corrupted bytes) can be injected between a client and
// the storage emulator. Without a matching rule it forwards every byte unchanged.
//
// Corruption also reaches server-side copies: Azurite copies inside itself, so a `corrupt` rule that
// matches a copy request (a PUT with x-ms-copy-source: Copy Blob, Copy Blob From URL, Put Block From URL)
// is carried out here with the source's bytes flipped, as if they were damaged on their way between
// the two accounts. The service's own checks then apply as Azure applies them: Put Block From URL with
// x-ms-source-content-md5 answers 400 Md5Mismatch; Copy Blob succeeds and keeps the source's
// Content-MD5 on the damaged copy (it carries the header over without checking the bytes).
import http from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Faults, sleep, type ActiveRule } from './faults.js';
import type { Storage } from './storage.js';

function flipBytes(body: Buffer): void {
  for (let i = 0; i < body.length; i += Math.max(1, Math.floor(body.length / 16))) body[i] ^= 0xff;
}

function blobPath(pathname: string): { account: string; container: string; blob: string } | undefined {
  const segs = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (segs.length < 3) return undefined;
  return { account: segs[0], container: segs[1], blob: segs.slice(2).join('/') };
}

export class BlobProxy {
  private server: http.Server;
  private sockets = new Set<import('node:net').Socket>();
  port = 0;

  constructor(
    private readonly upstreamPort: number,
    private readonly faults: Faults,
    /** Lets the proxy carry out corrupted copies itself (optional: without it copies are forwarded). */
    private readonly storage?: Storage,
  ) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const pathOnly = url.split('?')[0];
    const rule = this.faults.pick('blob', method, pathOnly);
    const done = (status: number) =>
      this.faults.record({ time: new Date(started).toISOString(), target: 'blob', method, path: url, status, durationMs: Date.now() - started, fault: rule?.id });
    if (rule?.latencyMs) await sleep(rule.latencyMs);
    if (rule?.reset) {
      req.socket.destroy();
      done(0);
      return;
    }
    const copySource = req.headers['x-ms-copy-source'];
    if (rule?.corrupt && method === 'PUT' && typeof copySource === 'string' && this.storage) {
      req.resume();
      const status = await this.corruptCopy(req, res, url, copySource, rule).catch((e: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`blob proxy: ${e.message}`);
        return 500;
      });
      done(status);
      return;
    }
    if (rule?.status) {
      req.resume();
      const code = rule.errorCode ?? (rule.status === 503 ? 'ServerBusy' : rule.status === 500 ? 'InternalError' : 'OperationTimedOut');
      const requestId = randomUUID();
      const message = rule.message ?? (rule.status === 503 ? 'The server is busy.' : 'The server encountered an internal error. Please retry the request.');
      const body = `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message></Error>`;
      const headers: Record<string, string> = {
        'content-type': 'application/xml',
        'x-ms-error-code': code,
        'x-ms-request-id': requestId,
        'content-length': String(Buffer.byteLength(body)),
      };
      if (rule.status === 503 || rule.status === 429) headers['retry-after'] = String(rule.retryAfter ?? 1);
      res.writeHead(rule.status, headers);
      res.end(body);
      done(rule.status);
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: this.upstreamPort, method, path: url, headers: req.headers },
      (up) => {
        const status = up.statusCode ?? 502;
        if (rule?.corrupt && method === 'GET' && status >= 200 && status < 300) {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            const body = Buffer.concat(chunks);
            for (let i = 0; i < body.length; i += Math.max(1, Math.floor(body.length / 16))) body[i] ^= 0xff;
            res.writeHead(status, up.headers);
            res.end(body);
            done(status);
          });
          return;
        }
        res.writeHead(status, up.headers);
        up.pipe(res);
        up.on('end', () => done(status));
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
      done(502);
    });
    req.pipe(upstream);
  }

  /** A copy request under a `corrupt` rule, done here with the source's bytes damaged (see the header). */
  private async corruptCopy(req: http.IncomingMessage, res: http.ServerResponse, url: string, copySource: string, rule: ActiveRule): Promise<number> {
    void rule;
    const storage = this.storage!;
    const query = new URL(url, 'http://proxy').searchParams;
    const dest = blobPath(url.split('?')[0]);
    const src = blobPath(new URL(copySource).pathname);
    const requestId = randomUUID();
    const xmlError = (status: number, code: string, message: string, extra = '') => {
      const body = `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message>${extra}</Error>`;
      res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code, 'x-ms-request-id': requestId, 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
      return status;
    };
    if (!dest || !src) return xmlError(400, 'InvalidUri', 'The requested URI does not represent any resource on the server.');
    const source = storage.container(src.account, src.container).getBlobClient(src.blob);
    let props;
    try {
      props = await source.getProperties();
    } catch {
      return xmlError(404, 'CannotVerifyCopySource', 'The specified resource does not exist.');
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers['x-ms-source-range'] ?? ''));
    const offset = range ? Number(range[1]) : 0;
    const count = range && range[2] ? Number(range[2]) - offset + 1 : undefined;
    const body = await source.downloadToBuffer(offset, count);
    flipBytes(body);
    const target = storage.container(dest.account, dest.container).getBlockBlobClient(dest.blob);
    const md5 = createHash('md5').update(body).digest('base64');
    const common = { 'x-ms-request-id': requestId, 'x-ms-version': '2025-11-05', date: new Date().toUTCString() };
    if (query.get('comp') === 'block') {
      const expected = req.headers['x-ms-source-content-md5'];
      if (typeof expected === 'string' && expected !== md5) {
        return xmlError(
          400,
          'Md5Mismatch',
          'The MD5 value specified in the request did not match with the MD5 value calculated by the server.',
          `<UserSpecifiedMd5>${expected}</UserSpecifiedMd5><ServerCalculatedMd5>${md5}</ServerCalculatedMd5>`,
        );
      }
      await target.stageBlock(query.get('blockid') ?? '', body, body.length);
      res.writeHead(201, { ...common, 'content-md5': md5, 'x-ms-request-server-encrypted': 'true', 'content-length': '0' });
      res.end();
      return 201;
    }
    // Copy Blob / Copy Blob From URL: the copy keeps the source's Content-MD5, whatever arrived.
    const sourceMd5 = props.contentMD5 ? Buffer.from(props.contentMD5) : undefined;
    await target.upload(body, body.length);
    // Set afterwards: Azurite (like a Put Blob) would check a Content-MD5 sent with the bytes.
    const uploaded = await target.setHTTPHeaders({ blobContentMD5: sourceMd5, blobContentType: props.contentType });
    res.writeHead(202, {
      ...common,
      etag: uploaded.etag ?? '',
      'last-modified': (uploaded.lastModified ?? new Date()).toUTCString(),
      'x-ms-copy-id': randomUUID(),
      'x-ms-copy-status': 'success',
      'content-length': '0',
    });
    res.end();
    return 202;
  }
}
