// The storage engine against Azurite: azure-ai-ml layout and deduplication, downloads, and a verified
// server-side copy between two storage accounts.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { BlobSASPermissions, generateBlobSASQueryParameters } from '@azure/storage-blob';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describeLocalAsset } from '../../shared/storage/asset-hash.js';
import { containerUrl, copyPrefix, downloadPrefix, uploadAsset, type Progress } from '../../shared/storage/blob-engine.js';
import { startAzurite, type Azurite } from '../helpers/azurite.js';

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
  for (const a of azurite.accounts) await a.service.getContainerClient('azureml-blobstore').createIfNotExists();
}, 60000);
afterAll(async () => {
  await azurite?.stop();
});

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upload-'));
  const src = path.join(dir, 'src');
  fs.mkdirSync(path.join(src, 'pkg'), { recursive: true });
  fs.writeFileSync(path.join(src, 'train.py'), 'print("train")\n');
  fs.writeFileSync(path.join(src, 'pkg', 'model.py'), 'W = [1, 2, 3]\n');
  fs.writeFileSync(path.join(src, 'pkg', 'weights.bin'), Buffer.alloc(3 * 1024 * 1024, 9));
  fs.writeFileSync(path.join(src, 'notes.tmp'), 'ignored');
  fs.writeFileSync(path.join(src, '.amlignore'), '*.tmp\n');
  return src;
}

describe('storage engine', () => {
  test('uploads in azure-ai-ml layout, then finds the completed upload and sends nothing', async () => {
    const container = azurite.accounts[0].service.getContainerClient('azureml-blobstore');
    const asset = await describeLocalAsset(project());
    const progress: Progress[] = [];
    const first = await uploadAsset(container, asset, { name: 'code-1', version: '1' }, { concurrency: 3, onProgress: (p) => progress.push(p) });
    expect(first).toEqual({ uploaded: true, bytes: asset.totalBytes, files: 4 });
    const names: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix: `LocalUpload/${asset.hash}/` })) names.push(b.name);
    expect(names.sort()).toEqual(['.amlignore', 'pkg/model.py', 'pkg/weights.bin', 'train.py'].map((n) => `LocalUpload/${asset.hash}/src/${n}`));
    const indicator = await container.getBlobClient(asset.files[0].blobPath).getProperties();
    expect(indicator.metadata).toEqual({ upload_status: 'completed', name: 'code-1', version: '1' });
    expect(progress[progress.length - 1]).toMatchObject({ files: 4, totalFiles: 4, bytes: asset.totalBytes, totalBytes: asset.totalBytes });

    const again = await uploadAsset(container, await describeLocalAsset(asset.source), { name: 'code-2', version: '1' });
    expect(again).toEqual({ uploaded: false, bytes: 0, files: 0, previous: { name: 'code-1', version: '1' } });
  });

  test('an interrupted upload (no completion mark) is uploaded again', async () => {
    const container = azurite.accounts[0].service.getContainerClient('azureml-blobstore');
    const src = project();
    fs.writeFileSync(path.join(src, 'extra.py'), 'x = 1\n');
    const asset = await describeLocalAsset(src);
    await container.getBlockBlobClient(asset.files[0].blobPath).upload('partial', 7);
    expect((await uploadAsset(container, asset, { name: 'c', version: '1' })).uploaded).toBe(true);
  });

  test('downloads a prefix into a folder', async () => {
    const container = azurite.accounts[0].service.getContainerClient('azureml-blobstore');
    const asset = await describeLocalAsset(project());
    await uploadAsset(container, asset, { name: 'c', version: '1' });
    const target = fs.mkdtempSync(path.join(os.tmpdir(), 'download-'));
    const files = await downloadPrefix(container, asset.assetPath, target);
    expect(files.map((f) => path.relative(target, f)).sort()).toEqual(['.amlignore', 'pkg/model.py', 'pkg/weights.bin', 'train.py']);
    expect(fs.readFileSync(path.join(target, 'pkg', 'weights.bin')).equals(Buffer.alloc(3 * 1024 * 1024, 9))).toBe(true);
  });

  test('copies between accounts server-side, verified by length and MD5, with no bytes through this process', async () => {
    const [dev, prod] = azurite.accounts;
    const source = dev.service.getContainerClient('azureml-blobstore');
    const destination = prod.service.getContainerClient('azureml-blobstore');
    const asset = await describeLocalAsset(project());
    await uploadAsset(source, asset, { name: 'model', version: '1' });
    const sas = async (blob: string) =>
      `${source.getBlobClient(blob).url}?${generateBlobSASQueryParameters(
        { containerName: 'azureml-blobstore', blobName: blob, permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3600_000) },
        dev.credential,
      )}`;
    // Count what this process receives: a server-side copy must not download the 3 MiB file.
    let received = 0;
    const onData = (chunk: Buffer) => (received += chunk.length);
    const original = http.IncomingMessage.prototype.emit;
    http.IncomingMessage.prototype.emit = function (this: http.IncomingMessage, event: string, ...args: unknown[]) {
      if (event === 'data') onData(args[0] as Buffer);
      return original.call(this, event, ...args) as boolean;
    } as typeof original;
    let checks;
    try {
      checks = await copyPrefix(source, asset.assetPath, sas, destination, `promoted/model/1`);
    } finally {
      http.IncomingMessage.prototype.emit = original;
    }
    expect(checks.map((c) => c.blob)).toEqual(['promoted/model/1/.amlignore', 'promoted/model/1/pkg/model.py', 'promoted/model/1/pkg/weights.bin', 'promoted/model/1/train.py']);
    expect(checks.every((c) => c.md5)).toBe(true);
    expect(received).toBeLessThan(64 * 1024);
    const copied = await destination.getBlobClient('promoted/model/1/pkg/weights.bin').downloadToBuffer();
    expect(copied.equals(Buffer.alloc(3 * 1024 * 1024, 9))).toBe(true);
  });

  test('datastore URLs: path-style for IP endpoints (Azurite), account host otherwise', () => {
    expect(containerUrl('devstore', 'c', '127.0.0.1:10000', 'http')).toBe('http://127.0.0.1:10000/devstore/c');
    expect(containerUrl('acct', 'c', 'core.windows.net', 'https')).toBe('https://acct.blob.core.windows.net/c');
    expect(containerUrl('acct', 'c', 'core.chinacloudapi.cn', 'https')).toBe('https://acct.blob.core.chinacloudapi.cn/c');
  });
});
