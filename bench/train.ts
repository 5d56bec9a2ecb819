// Train step benchmark, against the emulator:
//  1. ARM requests spent waiting on a job, next to the 15-second `az ml job show` loop of the templates
//     teams use today: measured for a real one-minute job, and counted from the same schedule for long jobs.
//  2. Start-up: process start → first ARM request of the train bundle under Node 24, next to `az version`
//     (Debian's azure-cli), in the same run.
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
import { FIXTURES, NODE24 } from '../test/helpers/paths.js';

/** GETs our wait loop makes for a job of `seconds` (status polls; the log and metrics reads come on top). */
function ourPolls(seconds: number): number {
  let t = 0;
  let n = 0;
  while (t < seconds) t += pollInterval(n++);
  return n + 1;
}
const loopPolls = (seconds: number) => Math.ceil(seconds / 15) + 1;

const emulator = await start({ jobStepDelayMs: 200 });
trustCa(emulator.config.caCertPath);
const c = emulator.config;
const admin = async (method: string, route: string) => (await fetch(`${c.adminUrl}${route}`, { method })).json() as Promise<{ value: Array<{ method: string; path: string; time: string; target: string }> }>;
try {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-train-'));
  fs.cpSync(path.join(FIXTURES, 'jobs'), workspace, { recursive: true });
  const inputs = (more: Record<string, string>) =>
    githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret, 'job-file': 'sleep.yml', ...more });

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
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    await admin('DELETE', '/requests');
    const t0 = Date.now();
    await runAction('train', { workspace, inputs: inputs({ wait: 'false' }), env: { NODE_EXTRA_CA_CERTS: c.caCertPath } });
    const first = (await admin('GET', '/requests?target=api')).value.find((r) => r.path.startsWith('/subscriptions/'));
    if (first) starts.push(Date.parse(first.time) - t0);
  }
  const az = [];
  const azPath = spawnSync('sh', ['-c', 'command -v az']).stdout.toString().trim();
  for (let i = 0; azPath && i < 5; i++) {
    const t0 = Date.now();
    await new Promise((resolve) => spawn(azPath, ['version', '--output', 'none'], { stdio: 'ignore' }).on('close', resolve));
    az.push(Date.now() - t0);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log('\n### Start-up\n');
  console.log('| what | median of 5 |');
  console.log('| --- | --- |');
  console.log(`| train bundle under ${spawnSync(NODE24, ['--version']).stdout.toString().trim()}: process start → first ARM request (sign-in included) | ${median(starts)} ms |`);
  console.log(azPath ? `| \`az version\` (Debian azure-cli ${spawnSync(azPath, ['version', '--query', '"azure-cli"', '-o', 'tsv']).stdout.toString().trim()}), whole command | ${median(az)} ms |` : '| `az version` | azure-cli not installed (apt-get install azure-cli) |');
} finally {
  await emulator.stop();
}
