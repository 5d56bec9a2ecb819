// Azurite's blob service on a free loopback port, in memory, with two accounts (like a dev and a prod
// workspace's storage), for tests of the storage engine itself.
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from './paths.js';

export interface Account {
  name: string;
  key: string;
  service: BlobServiceClient;
  credential: StorageSharedKeyCredential;
}

export interface Azurite {
  url: string;
  accounts: [Account, Account];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startAzurite(): Promise<Azurite> {
  const names = ['devstore', 'prodstore'];
  const keys = names.map((n) => Buffer.from(`key-of-${n}-for-tests-only-0123456789`).toString('base64'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js'),
      '--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence', '--loose', '--skipApiVersionCheck', '--disableTelemetry',
    ],
    { env: { ...process.env, AZURITE_ACCOUNTS: names.map((n, i) => `${n}:${keys[i]}`).join(';') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start:\n${out}`)), 30000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('successfully listens')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', () => reject(new Error(`Azurite exited:\n${out}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const accounts = names.map((name, i) => {
    const credential = new StorageSharedKeyCredential(name, keys[i]);
    return { name, key: keys[i], credential, service: new BlobServiceClient(`${url}/${name}`, credential) };
  }) as [Account, Account];
  return {
    url,
    accounts,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
