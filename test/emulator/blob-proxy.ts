// A transparent HTTP proxy in front of Azurite. Datastores and SAS URLs point here, so blob faults
// (storage errors, dropped connections, latency, corrupted bytes) can be injected between a client and
// the storage emulator. Without a matching rule it forwards every byte unchanged.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Faults, sleep } from './faults.js';

export class BlobProxy {
  private server: http.Server;
  private sockets = new Set<import('node:net').Socket>();
  port = 0;

  constructor(
    private readonly upstreamPort: number,
    private readonly faults: Faults,
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
}
