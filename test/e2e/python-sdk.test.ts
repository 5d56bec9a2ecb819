// The official Python SDK drives the emulator: azure-ai-ml 1.4.0 (Debian's python3-azure, the SDK under
// `az ml`) reads the workspace, submits the sample command job with its local code and data (uploaded
// to <account>.blob.core.windows.net, which the SDK addresses whatever the datastore says), follows it
// with jobs.get until it completes, registers a local folder as a model and lists the models — through
// the emulator's public-host proxy and its CA only, nothing in the SDK patched. Skipped, saying why,
// where /usr/bin/python3 has no azure-ai-ml (CI does not install python3-azure).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeLocalAsset } from '../../shared/storage/asset-hash.js';
import { start, type RunningEmulator } from '../emulator/index.js';
import { trustCa } from '../emulator/testing.js';
import { ROOT, SYSTEM_PYTHON } from '../helpers/paths.js';

const ORACLE = path.join(ROOT, 'scripts', 'oracle');
const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import azure.ai.ml, azure.identity; print(azure.ai.ml.__version__)'], { env: { ...process.env, PYTHONPATH: ORACLE }, encoding: 'utf8' });
const sdkVersion = probe.status === 0 ? probe.stdout.trim() : undefined;
const SKIP = `skipped: ${SYSTEM_PYTHON} cannot import azure-ai-ml (apt-get install python3-azure to run it)`;
if (!sdkVersion) console.warn(`python-sdk.test: ${SKIP}`);
const maybe = sdkVersion ? test : test.skip;

let emulator: RunningEmulator;
let readyFile: string;
beforeAll(async () => {
  if (!sdkVersion) return;
  emulator = await start({ jobStepDelayMs: 50, logFlushMs: 200 });
  trustCa(emulator.config.caCertPath);
  readyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'python-sdk-')), 'ready.json');
  fs.writeFileSync(readyFile, JSON.stringify(emulator.config));
}, 120000);
afterAll(async () => {
  await emulator?.stop();
});

function runSdk(job: string): Promise<{ code: number | null; lines: Array<Record<string, unknown>>; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, [path.join(ORACLE, 'drive-emulator.py'), readyFile, job], { env: { PATH: process.env.PATH, HOME: os.homedir(), PYTHONPATH: ORACLE } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stderr, lines: stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>) }),
    );
  });
}

describe(`azure-ai-ml ${sdkVersion ?? '(not installed)'} against the emulator`, () => {
  maybe(
    'workspaces.get, jobs.create_or_update of the sample job with local code, jobs.get until it completes, models.create_or_update, models.list',
    async () => {
      const c = emulator.config;
      const admin = async (method: string, route: string) => (await fetch(`${c.adminUrl}${route}`, { method })).json() as Promise<{ value: Array<{ method: string; path: string; status: number }> }>;
      await admin('DELETE', '/requests');
      const run = await runSdk(path.join(ROOT, 'examples', 'credit-default', 'jobs', 'train.yml'));
      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
      const step = (name: string) => run.lines.find((l) => l.step === name)!;

      expect(step('workspace')).toMatchObject({ name: c.dev.workspace, location: c.dev.location });
      const submitted = step('submitted');
      const wsId = `/subscriptions/${c.subscriptionId}/resourceGroups/${c.dev.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${c.dev.workspace}`;
      expect(submitted.code).toMatch(new RegExp(`^${wsId}/codes/[0-9a-f-]{36}/versions/1$`));
      expect(step('ended')).toEqual({ step: 'ended', name: submitted.name, status: 'Completed', outputs: ['default', 'model_output'] });

      // The SDK's upload landed where ours would: the same azure-ai-ml content hash names the folder.
      const src = await describeLocalAsset(path.join(ROOT, 'examples', 'credit-default', 'src'));
      expect(String(step('model').path)).toBe(
        `azureml://subscriptions/${c.subscriptionId}/resourcegroups/${c.dev.resourceGroup}/workspaces/${c.dev.workspace}/datastores/workspaceblobstore/paths/${src.assetPath}`,
      );
      expect(step('models')).toEqual({ step: 'models', names: ['sdk-driven-model'] });

      // It spoke the api-versions azure-ai-ml uses, and wrote to storage through the public host name.
      const api = (await admin('GET', '/requests?target=api')).value;
      const versions = new Set(api.map((r) => /api-version=([^&]+)/.exec(r.path)?.[1]).filter(Boolean));
      expect([...versions].some((v) => v !== '2022-10-01')).toBe(true);
      // (A 404 GET is the SDK looking for a model container before creating it.)
      expect(api.filter((r) => r.status >= 500 || (r.status >= 400 && !(r.status === 404 && r.method === 'GET')))).toEqual([]);
      const blob = (await admin('GET', '/requests?target=blob')).value;
      const written = new Set(blob.filter((r) => r.method === 'PUT' && !r.path.includes('comp=') && r.path.includes(`/${src.assetPath}/`)).map((r) => r.path.split('?')[0]));
      expect(written.size).toBe(src.files.length);
    },
    300000,
  );
});
