// Train step benchmark, against the emulator:
//  1. ARM requests spent waiting on a job, next to the 15-second `az ml job show` loop of the templates
//     teams use today: measured for a real one-minute job, and counted from the same schedule for long jobs.
//  2. Start-up: process start → first ARM request of the train bundle under Node 24, next to `az version`
//     (Debian's azure-cli), in the same run.
//  3. Cold submission of the sample's command job (local code and data, wait: false), whole process, next
//     to an azure-ai-ml 1.4.0 script submitting the same job (Debian's python3-azure, where installed),
//     alternating, with the requests each made (from the emulator's request log).
//   npm run bench:train
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pollInterval } from '../shared/azureml/jobs.js';
import { start } from '../test/emulator/index.js';
import { trustCa } from '../test/emulator/testing.js';
import { githubWorkspaceInputs } from '../test/helpers/azure-env.js';
import { runAction } from '../test/helpers/contracts.js';
import { FIXTURES, NODE24, ROOT, SYSTEM_PYTHON } from '../test/helpers/paths.js';

/** GETs our wait loop makes for a job of `seconds` (status polls; the log and metrics reads come on top). */
function ourPolls(seconds: number): number {
  let t = 0;
  let n = 0;
  while (t < seconds) t += pollInterval(n++);
  return n + 1;
}
const loopPolls = (seconds: number) => Math.ceil(seconds / 15) + 1;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const emulator = await start({ jobStepDelayMs: 200 });
trustCa(emulator.config.caCertPath);
const c = emulator.config;
const admin = async (method: string, route: string) => (await fetch(`${c.adminUrl}${route}`, { method })).json() as Promise<{ value: Array<{ method: string; path: string; time: string; target: string }> }>;
try {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-train-'));
  fs.cpSync(path.join(FIXTURES, 'jobs'), workspace, { recursive: true });
  const inputs = (more: Record<string, string>) =>
    githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret, 'job-file': 'sleep.yml', ...more });

  // `node build/bench/train.js submit` runs section 3 only.
  const only = process.argv[2];
  if (!only) {
    // 1. A real one-minute job.
    await admin('DELETE', '/requests');
    const run = await runAction('train', { workspace, inputs: inputs({ set: 'inputs.seconds=60', 'stream-logs': 'false' }), env: { NODE_EXTRA_CA_CERTS: c.caCertPath }, timeoutMs: 300000 });
    if (run.failure) throw new Error(run.failure);
    const name = run.outputs['job-name'];
    const log = (await admin('GET', '/requests?target=api')).value;
    const statusGets = log.filter((r) => r.method === 'GET' && new RegExp(`/jobs/${name}(\\?|$)`).test(r.path)).length;
    console.log('### Requests spent waiting on a job\n');
    console.log(`Measured: a ${60}-second job (plus queueing) cost ${statusGets} status GETs; a 15-second loop would have cost about ${loopPolls(75)}.\n`);
    console.log('| job length | our status polls | 15-second loop |');
    console.log('| --- | --- | --- |');
    for (const minutes of [1, 5, 15, 60, 180, 360]) console.log(`| ${minutes} min | ${ourPolls(minutes * 60)} | ${loopPolls(minutes * 60)} |`);

    // 2. Start-up: from spawning the bundle to its first ARM request (the emulator's request log has the time).
    const startup = async (bundle: string) => {
      await admin('DELETE', '/requests');
      const t0 = Date.now();
      await runAction('train', { workspace, bundle, inputs: inputs({ wait: 'false' }), env: { NODE_EXTRA_CA_CERTS: c.caCertPath } });
      const first = (await admin('GET', '/requests?target=api')).value.find((r) => r.path.startsWith('/subscriptions/'));
      return first ? Date.parse(first.time) - t0 : undefined;
    };
    const starts: number[] = [];
    const baselineStarts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ours = await startup(path.join(ROOT, 'actions', 'train', 'dist', 'index.mjs'));
      if (ours !== undefined) starts.push(ours);
      if (!process.env.BENCH_BASELINE) continue;
      const theirs = await startup(path.join(process.env.BENCH_BASELINE, 'actions', 'train', 'dist', 'index.mjs'));
      if (theirs !== undefined) baselineStarts.push(theirs);
    }
    const az = [];
    const azPath = spawnSync('sh', ['-c', 'command -v az']).stdout.toString().trim();
    for (let i = 0; azPath && i < 5; i++) {
      const t0 = Date.now();
      await new Promise((resolve) => spawn(azPath, ['version', '--output', 'none'], { stdio: 'ignore' }).on('close', resolve));
      az.push(Date.now() - t0);
    }
    console.log('\n### Start-up\n');
    console.log('| what | median of 5 |');
    console.log('| --- | --- |');
    console.log(`| train bundle under ${spawnSync(NODE24, ['--version']).stdout.toString().trim()}: process start → first ARM request (sign-in included) | ${median(starts)} ms |`);
    if (baselineStarts.length) console.log(`| … baseline train bundle (BENCH_BASELINE) | ${median(baselineStarts)} ms |`);
    console.log(azPath ? `| \`az version\` (Debian azure-cli ${spawnSync(azPath, ['version', '--query', '"azure-cli"', '-o', 'tsv']).stdout.toString().trim()}), whole command | ${median(az)} ms |` : '| `az version` | azure-cli not installed (apt-get install azure-cli) |');
  }

  // 3. Cold submission, whole process: ours next to azure-ai-ml, alternating which goes first.
  const sample = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sample-'));
  fs.cpSync(path.join(ROOT, 'examples', 'credit-default'), sample, { recursive: true });
  const readyFile = path.join(sample, '..', `${path.basename(sample)}-ready.json`);
  fs.writeFileSync(readyFile, JSON.stringify(c));
  const oracle = path.join(ROOT, 'scripts', 'oracle');
  const hasSdk = spawnSync(SYSTEM_PYTHON, ['-c', 'import azure.ai.ml'], { env: { ...process.env, PYTHONPATH: oracle } }).status === 0;
  const timed = async (work: () => Promise<void>) => {
    freshCode();
    await admin('DELETE', '/requests');
    const t0 = performance.now();
    await work();
    const ms = performance.now() - t0;
    const api = (await admin('GET', '/requests?target=api')).value.filter((r) => r.path.startsWith('/subscriptions/')).length;
    const token = (await admin('GET', '/requests?target=api')).value.length - api;
    const blob = (await admin('GET', '/requests?target=blob')).value.length;
    return { ms, api, token, blob };
  };
  const oursRuns: Array<Awaited<ReturnType<typeof timed>>> = [];
  const sdkRuns: Array<Awaited<ReturnType<typeof timed>>> = [];
  const baselineRuns: Array<Awaited<ReturnType<typeof timed>>> = [];
  // BENCH_BASELINE=<another built checkout>: its train bundle is timed too, in the same rounds.
  const baseline = process.env.BENCH_BASELINE;
  // Cold: every submission has code it has never uploaded (as a new commit would), for both.
  let nonce = 0;
  const freshCode = () => fs.writeFileSync(path.join(sample, 'src', 'bench_nonce.py'), `# submission ${process.pid}-${nonce++}\n`);
  const submitOurs = (root = ROOT) =>
    timed(async () => {
      const bundle = path.join(root, 'actions', 'train', 'dist', 'index.mjs');
      const r = await runAction('train', { workspace: sample, bundle, inputs: inputs({ 'job-file': 'jobs/train.yml', wait: 'false' }), env: { NODE_EXTRA_CA_CERTS: c.caCertPath } });
      if (r.exitCode !== 0) throw new Error(`train failed: ${r.failure ?? r.stderr}`);
    });
  const submitSdk = () =>
    timed(async () => {
      // (Spawned asynchronously: the emulator answers from this same process.)
      const child = spawn(SYSTEM_PYTHON, [path.join(oracle, 'drive-emulator.py'), readyFile, path.join(sample, 'jobs', 'train.yml'), '--no-wait'], {
        env: { PATH: process.env.PATH, HOME: os.homedir(), PYTHONPATH: oracle },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      if (status !== 0) throw new Error(`azure-ai-ml failed: ${stderr}`);
    });
  const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      oursRuns.push(await submitOurs());
      if (baseline) baselineRuns.push(await submitOurs(baseline));
      if (hasSdk) sdkRuns.push(await submitSdk());
    } else {
      if (hasSdk) sdkRuns.push(await submitSdk());
      if (baseline) baselineRuns.push(await submitOurs(baseline));
      oursRuns.push(await submitOurs());
    }
  }
  const row = (what: string, runs: typeof oursRuns) =>
    `| ${what} | ${median(runs.map((r) => r.ms)).toFixed(0)} ms | ${median(runs.map((r) => r.api))} | ${median(runs.map((r) => r.blob))} | ${median(runs.map((r) => r.token))} |`;
  console.log(`\n### Cold submission (sample command job, new local code each time, its data unchanged, wait: false), median of ${rounds}\n`);
  console.log('| what | whole process | ARM requests | blob requests | sign-in requests |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(row('train bundle (GitHub contract, Node 24)', oursRuns));
  if (baseline) console.log(row('train bundle, baseline (BENCH_BASELINE)', baselineRuns));
  if (hasSdk) {
    console.log(row('azure-ai-ml 1.4.0 script (`MLClient` + `jobs.create_or_update`, Debian python3)', sdkRuns));
    console.log(`\nRatio (ours / azure-ai-ml): ${(median(oursRuns.map((r) => r.ms)) / median(sdkRuns.map((r) => r.ms))).toFixed(2)}×`);
  } else {
    console.log('| azure-ai-ml | not installed (apt-get install python3-azure) | | | |');
  }
} finally {
  await emulator.stop();
}
