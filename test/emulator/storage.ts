// Azurite (the official storage emulator) as a child process, and the few blob operations the emulator
// needs for itself: fetch a prefix into a folder, upload a folder under a prefix, write one blob, sign
// a read SAS. The emulator talks to Azurite directly; clients are given the fault proxy's address.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type ContainerClient,
} from '@azure/storage-blob';
import type { StorageAccount } from './world.js';

export interface AzuriteOptions {
  port: number;
  accounts: StorageAccount[];
  entry: string;
  log: (line: string) => void;
}

export class Storage {
  private clients = new Map<string, BlobServiceClient>();

  private constructor(
    readonly url: string,
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly accounts: StorageAccount[],
  ) {}

  static async start(opts: AzuriteOptions): Promise<Storage> {
    const env: NodeJS.ProcessEnv = { ...process.env, AZURITE_ACCOUNTS: opts.accounts.map((a) => `${a.accountName}:${a.accountKey}`).join(';') };
    delete env.NODE_OPTIONS;
    const args = [
      opts.entry,
      '--blobHost', '127.0.0.1',
      '--blobPort', String(opts.port),
      '--inMemoryPersistence',
      '--loose',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--silent',
    ];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`Azurite did not start within 30 s:\n${out}`)), 30_000);
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Azurite exited (${code}) before it was ready:\n${out}`));
      });
    });
    child.stdout!.resume();
    child.stderr!.resume();
    const storage = new Storage(`http://127.0.0.1:${port}`, port, child, opts.accounts);
    for (const a of opts.accounts) {
      for (const c of [a.blobContainer, a.artifactContainer]) await storage.container(a.accountName, c).createIfNotExists();
    }
    return storage;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  account(name: string): StorageAccount | undefined {
    return this.accounts.find((a) => a.accountName.toLowerCase() === name.toLowerCase());
  }

  service(accountName: string): BlobServiceClient {
    let client = this.clients.get(accountName);
    if (!client) {
      const account = this.account(accountName);
      if (!account) throw new Error(`No storage account '${accountName}' in the emulator.`);
      client = new BlobServiceClient(`${this.url}/${account.accountName}`, new StorageSharedKeyCredential(account.accountName, account.accountKey), {
        retryOptions: { maxTries: 2 },
      });
      this.clients.set(accountName, client);
    }
    return client;
  }

  container(accountName: string, container: string): ContainerClient {
    return this.service(accountName).getContainerClient(container);
  }

  /**
   * Downloads a blob or every blob under a prefix into `dest`. A single blob lands as `dest/<basename>`;
   * a prefix keeps its relative layout. Returns the local path that stands for the location.
   */
  async download(accountName: string, container: string, blobPath: string, dest: string): Promise<{ localPath: string; files: number; isFile: boolean }> {
    const c = this.container(accountName, container);
    const clean = blobPath.replace(/^\/+/, '');
    await mkdir(dest, { recursive: true });
    if (clean && !clean.endsWith('/')) {
      const blob = c.getBlobClient(clean);
      if (await blob.exists()) {
        const local = path.join(dest, path.posix.basename(clean));
        await blob.downloadToFile(local);
        return { localPath: local, files: 1, isFile: true };
      }
    }
    const prefix = clean === '' ? '' : clean.endsWith('/') ? clean : `${clean}/`;
    let files = 0;
    for await (const item of c.listBlobsFlat({ prefix })) {
      const rel = item.name.slice(prefix.length);
      if (!rel || rel.endsWith('/')) continue;
      const local = path.join(dest, ...rel.split('/'));
      await mkdir(path.dirname(local), { recursive: true });
      await c.getBlobClient(item.name).downloadToFile(local);
      files++;
    }
    return { localPath: dest, files, isFile: false };
  }

  async exists(accountName: string, container: string, blobPath: string): Promise<boolean> {
    const c = this.container(accountName, container);
    const clean = blobPath.replace(/^\/+/, '');
    if (clean && !clean.endsWith('/') && (await c.getBlobClient(clean).exists())) return true;
    const prefix = clean === '' ? '' : clean.endsWith('/') ? clean : `${clean}/`;
    for await (const _ of c.listBlobsFlat({ prefix })) return true;
    return false;
  }

  /** Uploads every file under `dir` to `prefix/<relative path>`. */
  async uploadDir(accountName: string, container: string, prefix: string, dir: string): Promise<number> {
    const c = this.container(accountName, container);
    const base = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
    let count = 0;
    const walk = async (d: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = path.join(d, e.name);
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(full, r);
        else if (e.isFile() || (e.isSymbolicLink() && (await stat(full)).isFile())) {
          await c.getBlockBlobClient(base ? `${base}/${r}` : r).uploadFile(full);
          count++;
        }
      }
    };
    await walk(dir, '');
    return count;
  }

  async uploadFile(accountName: string, container: string, blobName: string, file: string): Promise<void> {
    await this.container(accountName, container).getBlockBlobClient(blobName.replace(/^\/+/, '')).uploadFile(file);
  }

  async put(accountName: string, container: string, blobName: string, data: Buffer | string, contentType = 'text/plain; charset=utf-8'): Promise<void> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    await this.container(accountName, container)
      .getBlockBlobClient(blobName)
      .upload(buf, buf.length, { blobHTTPHeaders: { blobContentType: contentType } });
  }

  /** A read SAS URL for one blob, on `publicBase` (the fault proxy) rather than Azurite itself. */
  sasUrl(accountName: string, container: string, blobName: string, publicBase: string, minutes = 60 * 24): string {
    const account = this.account(accountName)!;
    const sas = generateBlobSASQueryParameters(
      {
        containerName: container,
        blobName,
        permissions: BlobSASPermissions.parse('r'),
        startsOn: new Date(Date.now() - 5 * 60 * 1000),
        expiresOn: new Date(Date.now() + minutes * 60 * 1000),
      },
      new StorageSharedKeyCredential(account.accountName, account.accountKey),
    ).toString();
    const encoded = blobName.split('/').map(encodeURIComponent).join('/');
    return `${publicBase}/${account.accountName}/${container}/${encoded}?${sas}`;
  }
}

export async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}
