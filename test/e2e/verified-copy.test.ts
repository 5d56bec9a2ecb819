// The transfer step's copy against Azurite's two accounts: files without a Content-MD5 (block uploads)
// are hashed once, empty files and nested folders arrive, a re-run reuses what is there, and a stale
// blob of the same name is replaced, not trusted.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ContainerSASPermissions, generateBlobSASQueryParameters, type ContainerClient } from '@azure/storage-blob';
import { createHash } from 'node:crypto';
import { copyVerified, ensureMd5, fingerprint, listModelBlobs } from '../../shared/storage/verified-copy.js';
import { startAzurite, type Azurite } from '../helpers/azurite.js';

let azurite: Azurite;
let source: ContainerClient;
let target: ContainerClient;
let sasUrl: (blob: string) => string;

beforeAll(async () => {
  azurite = await startAzurite();
  source = azurite.accounts[0].service.getContainerClient('models');
  target = azurite.accounts[1].service.getContainerClient('models');
  await source.createIfNotExists();
  await target.createIfNotExists();
  const sas = generateBlobSASQueryParameters(
    { containerName: 'models', permissions: ContainerSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3600_000) },
    azurite.accounts[0].credential,
  ).toString();
  sasUrl = (blob) => `${source.getBlobClient(blob).url}?${sas}`;
}, 60000);
afterAll(async () => {
  await azurite?.stop();
});

describe('verified server-side copy', () => {
  test('a folder with a block-uploaded file (no Content-MD5), an empty file and a subfolder', async () => {
    const big = Buffer.alloc(300 * 1024, 3);
    // Put Block + Put Block List leave the blob without a Content-MD5, as large uploads do.
    const blocked = source.getBlockBlobClient('m/model/weights/big.bin');
    const ids = [0, 1, 2].map((i) => Buffer.from(`block-${i}`).toString('base64'));
    for (const [i, id] of ids.entries()) await blocked.stageBlock(id, big.subarray(i * 100 * 1024, (i + 1) * 100 * 1024), 100 * 1024);
    await blocked.commitBlockList(ids);
    await source.getBlockBlobClient('m/model/model.json').upload('{"w":1}', 7);
    await source.getBlockBlobClient('m/model/empty.txt').upload('', 0);

    const blobs = await listModelBlobs(source, 'm/model');
    expect(blobs.map((b) => [b.relative, b.size, Boolean(b.md5)])).toEqual([
      ['empty.txt', 0, true],
      ['model.json', 7, true],
      ['weights/big.bin', 300 * 1024, false],
    ]);
    expect(await ensureMd5(source, blobs)).toBe(300 * 1024);
    expect(blobs[2].md5).toBe(createHash('md5').update(big).digest('base64'));

    const first = await copyVerified({ sasUrl }, blobs, target, 'copied/abc/model');
    expect(first).toEqual({ files: 3, copied: 3, bytesCopied: 300 * 1024 + 7, blobs: ['copied/abc/model/empty.txt', 'copied/abc/model/model.json', 'copied/abc/model/weights/big.bin'] });
    expect((await target.getBlobClient('copied/abc/model/weights/big.bin').downloadToBuffer()).equals(big)).toBe(true);
    const again = await copyVerified({ sasUrl }, blobs, target, 'copied/abc/model');
    expect(again).toMatchObject({ copied: 0, bytesCopied: 0 });
  });

  test('a stale blob at the destination is replaced; a single-file model lands under its name', async () => {
    await source.getBlockBlobClient('single/model.pkl').upload('pickled', 7);
    await target.getBlockBlobClient('copied/one/model.pkl').upload('stale!!', 7);
    const blobs = await listModelBlobs(source, 'single/model.pkl');
    expect(blobs.map((b) => b.relative)).toEqual(['model.pkl']);
    const result = await copyVerified({ sasUrl }, blobs, target, 'copied/one');
    expect(result).toMatchObject({ copied: 1, blobs: ['copied/one/model.pkl'] });
    expect((await target.getBlobClient('copied/one/model.pkl').downloadToBuffer()).toString()).toBe('pickled');
    expect(fingerprint(blobs)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a source blob that vanishes mid-copy fails the copy and removes what it wrote', async () => {
    for (let i = 0; i < 6; i++) await source.getBlockBlobClient(`gone/model/f${i}.txt`).upload(`file ${i}`, 6);
    const blobs = await listModelBlobs(source, 'gone/model');
    await source.getBlobClient('gone/model/f5.txt').delete();
    await expect(copyVerified({ sasUrl }, blobs, target, 'copied/gone/model', { concurrency: 2 })).rejects.toMatchObject({ statusCode: 404 });
    const left: string[] = [];
    for await (const b of target.listBlobsFlat({ prefix: 'copied/gone/' })) left.push(b.name);
    expect(left).toEqual([]);
  });
});
