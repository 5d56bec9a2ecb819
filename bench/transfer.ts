// Transfer benchmark: the transfer step's copy (copyVerified: one Put Block From URL per file, verified
// by the service against the source's Content-MD5) next to what a user does without it — download every
// file with plain @azure/storage-blob and upload it to the other account — on the same model-like
// folder (≈ 60 MiB, generated in a temp dir), between two storage accounts of one Azurite, same
// concurrency, same run, alternating which goes first. Counts the bytes that pass through this process
// (HTTP bodies received and sent) and the wall time. Prints a Markdown table; docs/benchmarks.md
// records a run.
//   npm run bench:transfer
import { ContainerSASPermissions, generateBlobSASQueryParameters } from '@azure/storage-blob';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describeLocalAsset } from '../shared/storage/asset-hash.js';
import { eachLimited, uploadAsset } from '../shared/storage/blob-engine.js';
import { copyVerified, listModelBlobs } from '../shared/storage/verified-copy.js';
import { startAzurite } from '../test/helpers/azurite.js';

const CONCURRENCY = 8;
const ROUNDS = 4;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-transfer-'));
const folder = path.join(root, 'model');
fs.mkdirSync(path.join(folder, 'shards'), { recursive: true });
// The same model-like folder as the storage benchmark: 200 small files and 5 of 10 MiB (≈ 60 MiB).
for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(folder, `part-${String(i).padStart(3, '0')}.json`), Buffer.alloc(48 * 1024, i % 251));
for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(folder, 'shards', `weights-${i}.bin`), Buffer.alloc(10 * 1024 * 1024, i + 1));

/** Bytes of HTTP bodies this process receives and sends, while `work` runs. */
async function counted<T>(work: () => Promise<T>): Promise<{ result: T; received: number; sent: number; ms: number }> {
  let received = 0;
  let sent = 0;
  const emit = http.IncomingMessage.prototype.emit;
  const write = http.ClientRequest.prototype.write;
  const end = http.ClientRequest.prototype.end;
  const size = (chunk: unknown) => (typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk instanceof Uint8Array ? chunk.length : 0);
  http.IncomingMessage.prototype.emit = function (this: http.IncomingMessage, event: string, ...args: unknown[]) {
    if (event === 'data') received += size(args[0]);
    return emit.call(this, event, ...args) as boolean;
  } as typeof emit;
  http.ClientRequest.prototype.write = function (this: http.ClientRequest, chunk: unknown, ...rest: unknown[]) {
    sent += size(chunk);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof write;
  http.ClientRequest.prototype.end = function (this: http.ClientRequest, chunk?: unknown, ...rest: unknown[]) {
    if (chunk && typeof chunk !== 'function') sent += size(chunk);
    return (end as (...a: unknown[]) => http.ClientRequest).call(this, chunk, ...rest);
  } as typeof end;
  const t0 = performance.now();
  try {
    const result = await work();
    return { result, received, sent, ms: performance.now() - t0 };
  } finally {
    http.IncomingMessage.prototype.emit = emit;
    http.ClientRequest.prototype.write = write;
    http.ClientRequest.prototype.end = end;
  }
}

const azurite = await startAzurite();
try {
  const [dev, prod] = azurite.accounts;
  const source = dev.service.getContainerClient('azureml-blobstore');
  const target = prod.service.getContainerClient('azureml-blobstore');
  await source.createIfNotExists();
  await target.createIfNotExists();
  const asset = await describeLocalAsset(folder);
  await uploadAsset(source, asset, { name: 'bench', version: '1' }, { concurrency: CONCURRENCY });
  const blobs = await listModelBlobs(source, asset.assetPath);
  const sas = generateBlobSASQueryParameters(
    { containerName: 'azureml-blobstore', permissions: ContainerSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3600_000) },
    dev.credential,
  ).toString();
  const sasUrl = (blob: string) => `${source.getBlobClient(blob).url}?${sas}`;

  const ours: Array<{ ms: number; bytes: number }> = [];
  const plain: Array<{ ms: number; bytes: number }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const runOurs = async () => {
      const m = await counted(() => copyVerified({ sasUrl }, blobs, target, `ours-${r}/model`, { concurrency: CONCURRENCY }));
      if (m.result.copied !== blobs.length) throw new Error('the copy reused blobs: the rounds must start empty');
      ours.push({ ms: m.ms, bytes: m.received + m.sent });
    };
    const runPlain = async () => {
      const scratch = fs.mkdtempSync(path.join(root, 'plain-'));
      const m = await counted(() =>
        eachLimited(blobs, CONCURRENCY, undefined, async (b) => {
          const file = path.join(scratch, b.relative);
          fs.mkdirSync(path.dirname(file), { recursive: true });
          await source.getBlobClient(b.name).downloadToFile(file);
          await target.getBlockBlobClient(`plain-${r}/model/${b.relative}`).uploadFile(file);
        }),
      );
      fs.rmSync(scratch, { recursive: true, force: true });
      plain.push({ ms: m.ms, bytes: m.received + m.sent });
    };
    if (r % 2 === 0) {
      await runOurs();
      await runPlain();
    } else {
      await runPlain();
      await runOurs();
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const mib = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);
  const oursMs = median(ours.map((x) => x.ms));
  const plainMs = median(plain.map((x) => x.ms));
  const oursBytes = median(ours.map((x) => x.bytes));
  const plainBytes = median(plain.map((x) => x.bytes));
  console.log(`Azurite on loopback (two accounts), ${os.cpus().length} cores; ${blobs.length} files, ${mib(asset.totalBytes)} MiB; concurrency ${CONCURRENCY}; median of ${ROUNDS}\n`);
  console.log('| dev → prod copy | wall time | bytes through this process |');
  console.log('| --- | --- | --- |');
  console.log(`| transfer step's copy (Put Block From URL + service-side MD5 check + commit + properties check) | ${oursMs.toFixed(0)} ms | ${(oursBytes / 1024).toFixed(0)} KiB |`);
  console.log(`| plain @azure/storage-blob download to disk + uploadFile, same files, same concurrency | ${plainMs.toFixed(0)} ms | ${mib(plainBytes)} MiB |`);
  console.log(`\nRatio (plain / ours): ${(plainMs / oursMs).toFixed(2)}× the time, ${(plainBytes / Math.max(oursBytes, 1)).toFixed(0)}× the bytes through the runner`);
} finally {
  await azurite.stop();
  fs.rmSync(root, { recursive: true, force: true });
}
