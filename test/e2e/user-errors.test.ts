// User mistakes across the lint, bandit, pytest and train bundles, under both contracts: each fails the
// step with one sentence (never "Unexpected error", never a stack), names the input as the platform
// spells it, and — for the Azure cases — sends nothing that creates a job, a code version or a blob.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { banditDeclaration } from '../../shared/steps/bandit/declaration.js';
import { lintDeclaration } from '../../shared/steps/lint/declaration.js';
import { pytestDeclaration } from '../../shared/steps/pytest/declaration.js';
import { camelCase, type StepDeclaration } from '../../shared/platform/declaration.js';
import { start, type RunningEmulator } from '../emulator/index.js';
import { trustCa } from '../emulator/testing.js';
import { githubWorkspaceInputs, serviceConnectionEnv } from '../helpers/azure-env.js';
import { CONTRACTS } from '../helpers/both.js';
import { runAction, runTask, workspaceFrom, type StepRun } from '../helpers/contracts.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await start({ jobStepDelayMs: 100, logFlushMs: 200 });
  trustCa(emulator.config.caCertPath);
}, 120000);
afterAll(async () => {
  await emulator?.stop();
});

type Platform = 'GitHub' | 'Azure DevOps';
const nameOn = (platform: Platform, word: string) => (platform === 'GitHub' ? word : camelCase(word));

async function admin(method: string, route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.config.adminUrl}${route}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return response.json();
}

interface Logged {
  method: string;
  path: string;
  target: string;
  status: number;
}

/** Requests that would create something: a job, a code version, or an uploaded blob (one that was accepted). */
async function writes(): Promise<Logged[]> {
  const log = (await admin('GET', '/requests')) as { value: Logged[] };
  return log.value.filter(
    (r) => (r.method === 'PUT' || r.method === 'POST') && (/\/jobs\/|\/codes\//.test(r.path) || (r.target === 'blob' && r.status < 400)),
  );
}

function runTrain(platform: Platform, inputs: Record<string, string>, workspace: string): Promise<StepRun> {
  const c = emulator.config;
  if (platform === 'GitHub') {
    return runAction('train', {
      workspace,
      timeoutMs: 120000,
      inputs: githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret, ...inputs }),
      env: { NODE_EXTRA_CA_CERTS: c.caCertPath },
    });
  }
  const env = serviceConnectionEnv(c, 'ServicePrincipal', { serviceprincipalid: c.clientId, tenantid: c.tenantId, serviceprincipalkey: c.clientSecret, authenticationType: 'spnKey' });
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${camelCase(k).toUpperCase()}`] = v;
  return runTask('TrainV1', { workspace, timeoutMs: 120000, env });
}

const quality = (name: string) => workspaceFrom(path.join(FIXTURES, 'quality', name));

/** The sample workspace with extra files written into it. */
function sample(files: Record<string, string> = {}, emptyDirs: string[] = []): string {
  const ws = workspaceFrom(path.join(ROOT, 'examples', 'credit-default'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(ws, file)), { recursive: true });
    fs.writeFileSync(path.join(ws, file), text);
  }
  for (const dir of emptyDirs) fs.mkdirSync(path.join(ws, dir), { recursive: true });
  return ws;
}

const codeJob = (code: string) =>
  ['type: command', `code: ${code}`, 'command: python train.py', 'environment: azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest', 'compute: azureml:cpu-cluster', ''].join('\n');

interface Case {
  name: string;
  /** Quality steps run with this declaration; train cases use `train`. */
  step?: StepDeclaration;
  inputs: Record<string, string>;
  workspace: () => string;
  /** The failure sentence, given the platform (for input names). */
  expected: string | RegExp | ((platform: Platform) => string | RegExp);
  /** The declared input the message must name, if any. */
  names?: string;
  /** Faults to inject on the emulator for this case. */
  faults?: unknown[];
}

const cases: Case[] = [
  {
    name: 'lint: bad integer',
    step: lintDeclaration,
    inputs: { 'max-issues': 'many' },
    workspace: () => quality('clean'),
    expected: (p) => `Input '${nameOn(p, 'max-issues')}' must be a whole number (got 'many').`,
    names: 'max-issues',
  },
  {
    name: 'bandit: bad choice',
    step: banditDeclaration,
    inputs: { severity: 'severe' },
    workspace: () => quality('clean'),
    expected: (p) => `Input '${nameOn(p, 'severity')}' must be one of 'low', 'medium', 'high' (got 'severe').`,
    names: 'severity',
  },
  {
    name: 'pytest: a truncated JUnit report',
    step: pytestDeclaration,
    inputs: { paths: 'tests' },
    workspace: () => {
      const ws = quality('clean');
      fs.appendFileSync(
        path.join(ws, 'conftest.py'),
        '\n\ndef pytest_unconfigure(config):\n    xml = getattr(config.option, "xmlpath", None)\n    if xml:\n        with open(xml, "r+b") as f:\n            f.truncate(40)\n',
      );
      return ws;
    },
    expected: /^The pytest JUnit report \S*pytest-junit\.xml(:\d+)? could not be read \(.+\); it is malformed or was cut short\. Check that nothing else writes or truncates it/,
  },
  {
    name: 'train: missing required input',
    inputs: { 'job-file': 'jobs/train.yml', workspace: '' },
    workspace: () => sample(),
    expected: (p) => new RegExp(`^Input '${nameOn(p, 'workspace')}' is required: [^]*[^.]\\.$`),
    names: 'workspace',
  },
  {
    name: 'train: bad integer',
    inputs: { 'job-file': 'jobs/train.yml', timeout: 'soon' },
    workspace: () => sample(),
    expected: (p) => `Input '${nameOn(p, 'timeout')}' must be a whole number (got 'soon').`,
    names: 'timeout',
  },
  {
    name: 'train: missing job file',
    inputs: { 'job-file': 'jobs/nope.yml' },
    workspace: () => sample(),
    expected: (p) => new RegExp(`^Input '${nameOn(p, 'job-file')}' names 'jobs/nope\\.yml', which cannot be read \\(looked for .*nope\\.yml\\)\\.$`),
    names: 'job-file',
  },
  {
    name: 'train: YAML syntax error, with its line',
    inputs: { 'job-file': 'jobs/broken.yml' },
    workspace: () => sample({ 'jobs/broken.yml': 'type: command\ncommand: python x.py\ninputs:\n  a: [1, 2\n' }),
    expected: /^jobs\/broken\.yml:\d+(:\d+)?: is not valid YAML: /,
  },
  {
    name: 'train: unknown key',
    inputs: { 'job-file': 'jobs-fixtures/bad-key.yml' },
    workspace: () => {
      const ws = sample();
      fs.cpSync(path.join(FIXTURES, 'jobs'), path.join(ws, 'jobs-fixtures'), { recursive: true });
      return ws;
    },
    expected: /^jobs-fixtures\/bad-key\.yml:8: enviroment_variables: is not a key this job can have/,
  },
  {
    name: 'train: empty code folder',
    inputs: { 'job-file': 'jobs/empty.yml' },
    workspace: () => sample({ 'jobs/empty.yml': codeJob('../empty') }, ['empty']),
    expected:
      "jobs/empty.yml:2: code: names the folder '../empty', which has no files to upload (it is empty, or .amlignore/.gitignore exclude everything in it); expected a folder holding the job's code.",
  },
  {
    name: 'train: code folder whose files are all ignored',
    inputs: { 'job-file': 'jobs/ignored.yml' },
    workspace: () => sample({ 'jobs/ignored.yml': codeJob('../ignored'), 'ignored/.amlignore': '*\n', 'ignored/train.py': 'print(1)\n' }),
    expected: /^jobs\/ignored\.yml:2: code: names the folder '\.\.\/ignored', which has no files to upload/,
  },
  {
    name: 'train: set into a scalar',
    inputs: { 'job-file': 'jobs/train.yml', set: 'command.x=1' },
    workspace: () => sample(),
    expected: (p) =>
      new RegExp(`^Input '${nameOn(p, 'set')}' line 'command\\.x=1' sets 'command\\.x', but 'command' in jobs/train\\.yml:\\d+ is a single value, not a mapping or list\\.$`),
    names: 'set',
  },
  {
    name: 'train: storage refuses the upload (403)',
    inputs: { 'job-file': 'jobs/fresh.yml' },
    workspace: () => sample({ 'jobs/fresh.yml': codeJob('../fresh'), 'fresh/train.py': `print(${Date.now()}, ${Math.random()})\n` }),
    faults: [{ target: 'blob', method: 'PUT', status: 403, errorCode: 'AuthorizationPermissionMismatch', message: 'This request is not authorized to perform this operation using this permission.' }],
    expected:
      /^Uploading the code folder \.\.\/fresh to datastore \S+ \(storage account \S+, container \S+\) failed \(HTTP 403 AuthorizationPermissionMismatch\): the identity cannot write to storage account \S+, container \S+ \(.+\), so the code folder \.\.\/fresh \(1 file\) was not uploaded\. Correlation id: \S+\.$/,
  },
];

describe.each(CONTRACTS)('user mistakes, as $name runs them', (contract) => {
  test.each(cases)('$name', async (c) => {
    const platform = contract.name;
    const isTrain = !c.step;
    if (isTrain) await admin('DELETE', '/requests');
    if (c.faults) await admin('POST', '/faults', c.faults);
    let run: StepRun;
    try {
      run = isTrain ? await runTrain(platform, c.inputs, c.workspace()) : await contract.run(c.step!, c.inputs, { workspace: c.workspace() });
    } finally {
      if (c.faults) await admin('DELETE', '/faults');
    }
    expect(run.exitCode).toBe(1);
    if (platform === 'Azure DevOps') expect(run.result).toBe('Failed');
    const failure = run.failure ?? '';
    if (process.env.SHOW_FAILURES) console.log(`${platform} ${c.name}: ${failure}`);
    const expected = typeof c.expected === 'function' ? c.expected(platform) : c.expected;
    if (typeof expected === 'string') expect(failure).toBe(expected);
    else expect(failure).toMatch(expected);
    expect(failure).not.toContain('Unexpected error');
    expect(run.stdout).not.toContain('Unexpected error');
    expect(run.stdout).not.toMatch(/^\s{4}at /m);
    if (c.names) {
      expect(failure).toContain(`'${nameOn(platform, c.names)}'`);
      if (platform === 'Azure DevOps' && c.names.includes('-')) expect(failure).not.toContain(c.names);
    }
    if (isTrain) expect(await writes()).toEqual([]);
  }, 150000);
});
