// Azure's public host names, offline. Some clients cannot be pointed at another endpoint for every
// service: azure-ai-ml 1.4.0 (the SDK under `az ml`) builds a datastore's storage URL as
// https://<account>.blob.core.windows.net whatever the datastore's `endpoint` and `protocol` say, and
// signs in at login.microsoftonline.com unless told otherwise. For them the emulator runs a forward
// proxy (what HTTPS_PROXY names): it tunnels CONNECT requests for management.azure.com,
// login.microsoftonline.com and <account>.blob.core.windows.net on port 443 — and for the emulator's own
// 127.0.0.1 ports — to the emulator's HTTPS server, whose certificate also names those hosts. Requests
// that arrive there for <account>.blob.core.windows.net are passed on to the blob fault proxy in front
// of Azurite. Every other destination is refused: nothing leaves the machine.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

/** The public DNS names the emulator's server certificate also carries. */
export const PUBLIC_DNS_NAMES = ['management.azure.com', 'login.microsoftonline.com', '*.blob.core.windows.net'];

const BLOB_HOST = /^([a-z0-9]{3,24})\.blob\.core\.windows\.net$/;

/** The storage account a request for <account>.blob.core.windows.net names, if it is one. */
export function blobAccountOf(hostHeader: string | undefined): string | undefined {
  const host = (hostHeader ?? '').toLowerCase().replace(/:443$/, '');
  return BLOB_HOST.exec(host)?.[1];
}

/**
 * Forwards a request made to <account>.blob.core.windows.net to the blob fault proxy, Host kept:
 * Azurite reads the account from a production-style host name, so Shared Key signatures (computed
 * over /<account>/<container>/<blob>) check out unchanged.
 */
export function forwardToBlob(req: http.IncomingMessage, res: http.ServerResponse, blobPort: number): void {
  const upstream = http.request({ host: '127.0.0.1', port: blobPort, method: req.method, path: req.url ?? '/', headers: req.headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  req.pipe(upstream);
}

export class PublicHostProxy {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  /** `emulatorPort`: the HTTPS server; `localPorts`: other 127.0.0.1 ports a tunnel may reach. */
  constructor(
    private readonly emulatorPort: () => number,
    private readonly localPorts: () => number[],
  ) {
    this.server = http.createServer((req, res) => {
      // Plain-HTTP proxying (absolute URLs) only for the emulator's own http endpoints (the blob proxy).
      let target: URL | undefined;
      try {
        target = new URL(req.url ?? '');
      } catch {
        target = undefined;
      }
      const port = Number(target?.port || 80);
      if (!target || target.protocol !== 'http:' || target.hostname !== '127.0.0.1' || !this.localPorts().includes(port)) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end(`The emulator's proxy reaches only Azure's public hosts it emulates and its own ports, not ${req.url}.\n`);
        return;
      }
      const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: target.pathname + target.search, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
      req.pipe(upstream);
    });
    this.server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => this.tunnel(req, client, head));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  private destination(authority: string): number | undefined {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(authority);
    if (!m) return undefined;
    const host = m[1].toLowerCase();
    const port = Number(m[2]);
    if (host === '127.0.0.1' || host === 'localhost') {
      return port === this.emulatorPort() || this.localPorts().includes(port) ? port : undefined;
    }
    if (port !== 443) return undefined;
    return host === 'management.azure.com' || host === 'login.microsoftonline.com' || BLOB_HOST.test(host) ? this.emulatorPort() : undefined;
  }

  private tunnel(req: http.IncomingMessage, client: Socket, head: Buffer): void {
    const port = this.destination(req.url ?? '');
    if (!port) {
      client.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nThe emulator's proxy does not reach ${req.url}.\n`);
      return;
    }
    const upstream = net.connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
