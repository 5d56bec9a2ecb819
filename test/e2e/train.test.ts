// The train bundles under both contracts against the emulator: the sample's command job and pipeline,
// a failing job, cancellation, timeout, submit-now/attach-later, deduplicated re-runs, and a YAML
// mistake that submits nothing.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { trainDeclaration as step } from '../../shared/steps/train/declaration.js';
import { start, type RunningEmulator } from '../emulator/index.js';
import { trustCa } from '../emulator/testing.js';
import { githubWorkspaceInputs, serviceConnectionEnv } from '../helpers/azure-env.js';
import { runAction, runTask, workspaceFrom, type StepRun } from '../helpers/contracts.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';
import { camelCase } from '../../shared/platform/declaration.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await start({ jobStepDelayMs: 100, logFlushMs: 200 });
  trustCa(emulator.config.caCertPath);
}, 120000);
afterAll(async () => {
  await emulator?.stop();
});

const sample = () => workspaceFrom(path.join(ROOT, 'examples', 'credit-default'));

interface Contract {
  name: string;
  run(inputs: Record<string, string>, options: { workspace: string; onSpawn?: (c: import('node:child_process').ChildProcess) => void }): Promise<StepRun>;
}

const contracts: Contract[] = [
  {
    name: 'GitHub',
    run: (inputs, options) => {
      const c = emulator.config;
      return runAction('train', {
        ...options,
        timeoutMs: 180000,
        inputs: githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret, ...inputs }),
        env: { NODE_EXTRA_CA_CERTS: c.caCertPath },
      });
    },
  },
  {
    name: 'Azure DevOps',
    run: (inputs, options) => {
      const c = emulator.config;
      const env = serviceConnectionEnv(c, 'ServicePrincipal', { serviceprincipalid: c.clientId, tenantid: c.tenantId, serviceprincipalkey: c.clientSecret, authenticationType: 'spnKey' });
      for (const [k, v] of Object.entries(inputs)) env[`INPUT_${camelCase(k).toUpperCase()}`] = v;
      return runTask('TrainV1', { ...options, timeoutMs: 180000, env }).then((run) => ({
        ...run,
        outputs: Object.fromEntries(step.outputs.filter((o) => camelCase(o.name) in run.outputs).map((o) => [o.name, run.outputs[camelCase(o.name)]])),
      }));
    },
  },
];

describe.each(contracts)('train, as $name runs it', (contract) => {
  test('the sample command job completes with its metrics and outputs', async () => {
    const run = await contract.run({ 'job-file': 'jobs/train.yml' }, { workspace: sample() });
    expect(run.failure).toBeUndefined();
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('Completed');
    const name = run.outputs['job-name'];
    expect(name).toMatch(/^mlops_[0-9a-f]{10}$/);
    const metrics = JSON.parse(run.outputs.metrics);
    expect(Object.keys(metrics).sort()).toEqual(['accuracy', 'auc', 'precision', 'recall']);
    expect(metrics.auc).toBeGreaterThan(0.6);
    // The service adds the implicit `default` output (the job's artifacts) to the declared ones.
    expect(JSON.parse(run.outputs.outputs)).toEqual({ default: `azureml://jobs/${name}/outputs/default`, model_output: `azureml://jobs/${name}/outputs/model_output` });
    expect(run.outputs['studio-url']).toMatch(/^https:\/\//);
    expect(run.stdout).toMatch(new RegExp(`^\\[\\d+s\\] ${name}: (NotStarted|Queued|Preparing|Running)$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^\\[\\d+s\\] ${name}: Completed$`, 'm'));
    expect(run.stdout).toContain('auc: 0.');
    expect(run.summary).toContain(`Azure ML job \`${name}\`: Completed`);
    expect(run.summary).toContain('| `auc` |');
  }, 180000);

  test('the sample three-step pipeline completes, its steps in order', async () => {
    const run = await contract.run({ 'job-file': 'jobs/pipeline.yml' }, { workspace: sample() });
    expect(run.failure).toBeUndefined();
    expect(run.outputs.status).toBe('Completed');
    const steps = ['prep', 'train', 'evaluate'].map((s) => run.stdout.search(new RegExp(`\\]   ${s}: Completed`)));
    expect(steps.every((i) => i > 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    // A pipeline logs no metrics of its own: its steps' metrics are reported under the step's name.
    expect(Object.keys(JSON.parse(run.outputs.metrics))).toEqual(expect.arrayContaining(['evaluate.test_auc', 'train.auc']));
    expect(run.summary).toMatch(/\| evaluate \| Completed \|/);
  }, 180000);

  test('a failing job fails the step with its error and the end of its log', async () => {
    const ws = sample();
    fs.cpSync(path.join(FIXTURES, 'jobs'), path.join(ws, 'jobs-fixtures'), { recursive: true });
    const run = await contract.run({ 'job-file': 'jobs-fixtures/fail.yml' }, { workspace: ws });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('Failed');
    expect(run.failure).toMatch(new RegExp(`^Job ${run.outputs['job-name']} ended Failed\\. .*status code 3`, 's'));
    expect(run.failure).toContain('ValueError: the training data has no rows');
  }, 180000);

  test('a YAML mistake names file, line and key, and nothing is uploaded or submitted', async () => {
    const ws = sample();
    fs.cpSync(path.join(FIXTURES, 'jobs'), path.join(ws, 'jobs-fixtures'), { recursive: true });
    await admin('DELETE', '/requests');
    const key = await contract.run({ 'job-file': 'jobs-fixtures/bad-key.yml' }, { workspace: ws });
    expect(key.failure).toBe(
      'jobs-fixtures/bad-key.yml:8: enviroment_variables: is not a key this job can have (expected one of type, name, display_name, experiment_name, description, tags, properties, compute, inputs, outputs, identity, command, code, environment, environment_variables, distribution, resources, limits, services).',
    );
    const binding = await contract.run({ 'job-file': 'jobs-fixtures/bad-binding.yml' }, { workspace: ws });
    expect(binding.failure).toBe(
      "jobs-fixtures/bad-binding.yml:4: command: refers to ${{inputs.learning_rate}}, but the job declares no input named 'learning_rate'.",
    );
    const set = await contract.run({ 'job-file': 'jobs/train.yml', set: 'inputs.training_data.mode=sideways' }, { workspace: ws });
    expect(set.failure).toMatch(/^jobs\/train\.yml:\d+: inputs\.training_data\.mode: must be one of ro_mount, mount, rw_mount/);
    const requests = (await admin('GET', '/requests')) as { value: Array<{ method: string; path: string }> };
    expect(requests.value.filter((r) => r.method !== 'GET' && !r.path.includes('/oauth2/'))).toEqual([]);
  }, 180000);

  test('wait: false returns at once; a later step attaches with job-name; an unchanged re-run uploads nothing', async () => {
    const ws = sample();
    const submitted = await contract.run({ 'job-file': 'jobs/train.yml', wait: 'false' }, { workspace: ws });
    expect(submitted.failure).toBeUndefined();
    expect(['NotStarted', 'Queued', 'Preparing', 'Running']).toContain(submitted.outputs.status);
    expect(submitted.stdout).toMatch(/nothing uploaded|Uploaded code/);
    const attached = await contract.run({ 'job-name': submitted.outputs['job-name'] }, { workspace: ws });
    expect(attached.failure).toBeUndefined();
    expect(attached.outputs).toMatchObject({ 'job-name': submitted.outputs['job-name'], status: 'Completed' });
    const again = await contract.run({ 'job-file': 'jobs/train.yml', wait: 'false' }, { workspace: ws });
    expect(again.stdout).toContain('Code ../src is unchanged since an earlier upload: nothing uploaded.');
    expect(again.stdout).toContain('Input (uri_folder) ../data is unchanged since an earlier upload: nothing uploaded.');
  }, 180000);

  test('timeout cancels the job and fails the step', async () => {
    const ws = sample();
    fs.cpSync(path.join(FIXTURES, 'jobs'), path.join(ws, 'jobs-fixtures'), { recursive: true });
    const run = await contract.run({ 'job-file': 'jobs-fixtures/sleep.yml', timeout: '1' }, { workspace: ws });
    expect(run.failure).toBe(`Job ${run.outputs['job-name']} did not finish within 1 minutes; it was cancelled.`);
    expect(await jobStatus(run.outputs['job-name'])).toBe('Canceled');
  }, 180000);

  test('dropped connections while streaming logs are retried and never fail the step', async () => {
    // Log reads and half the run-details reads lose their connection: before log reads went through the
    // client factory, one such reset failed the step and left the job running.
    await admin('POST', '/faults', { target: 'blob', method: 'GET', path: 'std_log', count: 3, reset: true });
    await admin('POST', '/faults', { target: 'api', method: 'GET', path: '/details$', probability: 0.5, reset: true });
    try {
      const run = await contract.run({ 'job-file': 'jobs/train.yml' }, { workspace: sample() });
      expect(run.failure).toBeUndefined();
      expect(run.outputs.status).toBe('Completed');
      expect(run.stdout).toContain('auc: 0.');
      // The debug lines of the failed attempts name the log URL without its SAS.
      expect(run.stdout).toMatch(/std_log\.txt → /);
      expect(run.stdout).not.toMatch(/sig=/);
    } finally {
      await admin('DELETE', '/faults');
    }
  }, 180000);

  test('when waiting fails past every retry, the remote job is cancelled, not left running', async () => {
    const ws = sample();
    fs.cpSync(path.join(FIXTURES, 'jobs'), path.join(ws, 'jobs-fixtures'), { recursive: true });
    // The first status read and all of its retries lose their connection.
    await admin('POST', '/faults', { target: 'api', method: 'GET', path: '/jobs/mlops_[0-9a-f]+$', count: 7, reset: true });
    try {
      const run = await contract.run({ 'job-file': 'jobs-fixtures/sleep.yml' }, { workspace: ws });
      expect(run.exitCode).toBe(1);
      const name = run.outputs['job-name'];
      expect(run.failure).toMatch(new RegExp(`^Reading job ${name}`));
      expect(run.stdout).toContain(`Cancelling Azure ML job ${name} because waiting for it failed:`);
      expect(await jobStatus(name)).toBe('Canceled');
    } finally {
      await admin('DELETE', '/faults');
    }
  }, 180000);

  test('SIGINT while waiting cancels the remote job within 5 s', async () => {
    const ws = sample();
    fs.cpSync(path.join(FIXTURES, 'jobs'), path.join(ws, 'jobs-fixtures'), { recursive: true });
    let child: import('node:child_process').ChildProcess | undefined;
    const running = contract.run({ 'job-file': 'jobs-fixtures/sleep.yml' }, { workspace: ws, onSpawn: (c) => (child = c) });
    // Wait until the job is running remotely, then cancel as the runner does.
    let name = '';
    for (let i = 0; i < 200 && !name; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const jobs = (await admin('GET', '/jobs')) as { value: Array<{ name: string; status: string; parent: string | null }> };
      name = jobs.value.find((j) => j.status === 'Running' && j.parent === null && !seen.has(j.name))?.name ?? '';
    }
    expect(name).not.toBe('');
    seen.add(name);
    const sent = Date.now();
    child!.kill('SIGINT');
    const run = await running;
    expect(run.failure).toBe('Cancelled: received SIGINT.');
    expect(run.stdout).toContain(`Cancelling Azure ML job ${name} because this run was cancelled.`);
    expect(await jobStatus(name)).toBe('Canceled');
    expect(Date.now() - sent).toBeLessThan(5000);
  }, 180000);
});

const seen = new Set<string>();

async function admin(method: string, route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.config.adminUrl}${route}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
  });
  return response.json();
}

async function jobStatus(name: string): Promise<string> {
  const jobs = (await admin('GET', '/jobs')) as { value: Array<{ name: string; status: string }> };
  return jobs.value.find((j) => j.name === name)?.status ?? 'missing';
}
