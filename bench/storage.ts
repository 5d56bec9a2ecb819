// Storage benchmark: our upload (azure-ai-ml layout, MD5 per blob, dedup check) next to a plain
// @azure/storage-blob upload of the same files with the same concurrency, in the same run against
// Azurite; then the deduplicated re-upload. Prints a Markdown table; docs/benchmarks.md records a run.
//   npm run bench:storage
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeLocalAsset } from '../shared/storage/asset-hash.js';
import { eachLimited, uploadAsset } from '../shared/storage/blob-engine.js';
import { startAzurite } from '../test/helpers/azurite.js';

const CONCURRENCY = 8;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-upload-'));
const folder = path.join(root, 'model');
fs.mkdirSync(path.join(folder, 'shards'), { recursive: true });
// A model-like folder: many small files and a few large ones (≈ 60 MiB).
for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(folder, `part-${String(i).padStart(3, '0')}.json`), Buffer.alloc(48 * 1024, i % 251));
for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(folder, 'shards', `weights-${i}.bin`), Buffer.alloc(10 * 1024 * 1024, i + 1));

const azurite = await startAzurite();
try {
  const service = azurite.accounts[0].service;
  const mib = (bytes: number) => bytes / (1024 * 1024);
  const rows: string[] = [];
  const runs = Number(process.env.BENCH_ROUNDS ?? 10);
  const ours: number[] = [];
  const plain: number[] = [];
  const hashing: number[] = [];
  // BENCH_BASELINE=<another built checkout>: its hash + upload code is timed too, in the same rounds.
  const baselineRoot = process.env.BENCH_BASELINE;
  const baseline = baselineRoot
    ? {
        describe: (await import(path.join(baselineRoot, 'build', 'shared', 'storage', 'asset-hash.js'))).describeLocalAsset as typeof describeLocalAsset,
        upload: (await import(path.join(baselineRoot, 'build', 'shared', 'storage', 'blob-engine.js'))).uploadAsset as typeof uploadAsset,
        times: [] as number[],
        hashing: [] as number[],
      }
    : undefined;
  let totalBytes = 0;
  for (let r = 0; r < runs; r++) {
    // Fresh containers each round, so nothing is deduplicated.
    const a = service.getContainerClient(`ours-${r}`);
    const b = service.getContainerClient(`plain-${r}`);
    await a.create();
    await b.create();
    // Alternate which goes first, so neither gains from the other's warm-up.
    const runOurs = async () => {
      const t0 = performance.now();
      const asset = await describeLocalAsset(folder);
      const hashed = performance.now();
      await uploadAsset(a, asset, { name: 'bench', version: '1' }, { concurrency: CONCURRENCY });
      ours.push(performance.now() - t0);
      hashing.push(hashed - t0);
      totalBytes = asset.totalBytes;
    };
    const runPlain = async () => {
      const files = (await describeLocalAsset(folder)).files.map((f) => f.absolute);
      const t2 = performance.now();
      await eachLimited(files, CONCURRENCY, undefined, async (file) => {
        await b.getBlockBlobClient(`plain/${path.relative(folder, file)}`).uploadFile(file);
      });
      plain.push(performance.now() - t2);
    };
    const runBaseline = async () => {
      if (!baseline) return;
      const c = service.getContainerClient(`base-${r}`);
      await c.create();
      const t0 = performance.now();
      const asset = await baseline.describe(folder);
      baseline.hashing.push(performance.now() - t0);
      await baseline.upload(c, asset, { name: 'bench', version: '1' }, { concurrency: CONCURRENCY });
      baseline.times.push(performance.now() - t0);
    };
    if (r % 2 === 0) {
      await runOurs();
      await runBaseline();
      await runPlain();
    } else {
      await runPlain();
      await runBaseline();
      await runOurs();
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const oursMs = median(ours);
  const plainMs = median(plain);
  const t2 = performance.now();
  const again = await uploadAsset(service.getContainerClient('ours-0'), await describeLocalAsset(folder), { name: 'bench', version: '2' });
  const dedupMs = performance.now() - t2;

  rows.push(`| mlops-actions uploadAsset (hash + MD5 + upload + completion mark) | ${oursMs.toFixed(0)} ms | ${(mib(totalBytes) / (oursMs / 1000)).toFixed(1)} MiB/s |`);
  rows.push(`| … of which hashing the folder (azure-ai-ml's content hash, needed to name and deduplicate the upload) | ${median(hashing).toFixed(0)} ms | — |`);
  if (baseline) {
    rows.push(`| baseline uploadAsset (BENCH_BASELINE) | ${median(baseline.times).toFixed(0)} ms | ${(mib(totalBytes) / (median(baseline.times) / 1000)).toFixed(1)} MiB/s |`);
    rows.push(`| … of which hashing the folder | ${median(baseline.hashing).toFixed(0)} ms | — |`);
  }
  rows.push(`| plain @azure/storage-blob uploadFile, same files, same concurrency | ${plainMs.toFixed(0)} ms | ${(mib(totalBytes) / (plainMs / 1000)).toFixed(1)} MiB/s |`);
  rows.push(`| mlops-actions re-upload of unchanged content (${again.bytes} bytes sent) | ${dedupMs.toFixed(0)} ms | — |`);
  console.log(`Azurite on loopback, ${os.cpus().length} cores; ${205} files, ${mib(totalBytes).toFixed(1)} MiB; concurrency ${CONCURRENCY}; median of ${runs}\n`);
  console.log('| upload | time | throughput |');
  console.log('| --- | --- | --- |');
  for (const row of rows) console.log(row);
  // Each round's own ratio too: ours and plain run back to back, so a round's ratio is not moved by the
  // machine's load changing between rounds the way the medians of the two columns can be.
  const paired = ours.map((t, i) => plain[i] / t);
  console.log(`\nRatio (ours / plain throughput): ${(plainMs / oursMs).toFixed(2)}× overall, ${(plainMs / (oursMs - median(hashing))).toFixed(2)}× for the transfer itself`);
  console.log(`Per-round ratios: median ${median(paired).toFixed(2)}×, range ${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)}×`);
  if (baseline) console.log(`Baseline ratio: ${(plainMs / median(baseline.times)).toFixed(2)}× overall`);
} finally {
  await azurite.stop();
  fs.rmSync(root, { recursive: true, force: true });
}
