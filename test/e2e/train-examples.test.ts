// Published az ml job YAMLs (test/fixtures/jobs/azureml-examples) submitted through the built train
// bundle to the emulator: a representative few under both contracts, the rest under GitHub's (to keep
// the run short). Only YAMLs whose scripts run on this machine's plain python3 are run (the others
// need mlflow, scikit-learn or GPUs; derived/pipeline-sweep is a trimmed copy of one that does); their
// bodies are checked against azure-ai-ml in job-golden.test.ts.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import path from 'node:path';
import { trainDeclaration as step } from '../../shared/steps/train/declaration.js';
import { camelCase } from '../../shared/platform/declaration.js';
import { start, type RunningEmulator } from '../emulator/index.js';
import { trustCa } from '../emulator/testing.js';
import { githubWorkspaceInputs, serviceConnectionEnv } from '../helpers/azure-env.js';
import { runAction, runTask, workspaceFrom, type StepRun } from '../helpers/contracts.js';
import { FIXTURES } from '../helpers/paths.js';

let emulator: RunningEmulator;
let workspace: string;
beforeAll(async () => {
  emulator = await start({ jobStepDelayMs: 50, logFlushMs: 200 });
  trustCa(emulator.config.caCertPath);
  workspace = workspaceFrom(path.join(FIXTURES, 'jobs', 'azureml-examples'));
}, 120000);
afterAll(async () => {
  await emulator?.stop();
});

type Run = (inputs: Record<string, string>) => Promise<StepRun>;

const github: Run = (inputs) => {
  const c = emulator.config;
  return runAction('train', {
    workspace,
    timeoutMs: 150000,
    inputs: githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret, ...inputs }),
    env: { NODE_EXTRA_CA_CERTS: c.caCertPath },
  });
};

const azureDevOps: Run = (inputs) => {
  const c = emulator.config;
  const env = serviceConnectionEnv(c, 'ServicePrincipal', { serviceprincipalid: c.clientId, tenantid: c.tenantId, serviceprincipalkey: c.clientSecret, authenticationType: 'spnKey' });
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${camelCase(k).toUpperCase()}`] = v;
  return runTask('TrainV1', { workspace, timeoutMs: 150000, env }).then((run) => ({
    ...run,
    outputs: Object.fromEntries(step.outputs.filter((o) => camelCase(o.name) in run.outputs).map((o) => [o.name, run.outputs[camelCase(o.name)]])),
  }));
};

const B = 'cli/jobs/basics';
const P = 'cli/jobs/pipelines-with-components/basics';
const serverless = { compute: 'azureml:cpu-cluster' };

async function completes(run: Run, file: string, extra: Record<string, string> = {}): Promise<StepRun> {
  const result = await run({ 'job-file': file, ...extra });
  expect(result.failure).toBeUndefined();
  expect(result.outputs.status).toBe('Completed');
  return result;
}

const contracts: Array<[string, Run]> = [
  ['GitHub', github],
  ['Azure DevOps', azureDevOps],
];

describe.each(contracts)('representative published YAMLs, as %s runs them', (_name, run) => {
  test('hello-world-output.yml: the script writes to ./outputs, which Azure ML creates', async () => {
    const result = await completes(run, `${B}/hello-world-output.yml`, serverless);
    expect(result.stdout).toContain(`Submitted command job ${result.outputs['job-name']}`);
  }, 180000);

  test('hello-pipeline-abc.yml: inline steps registered as anonymous components, bound in order', async () => {
    const result = await completes(run, `${B}/hello-pipeline-abc.yml`);
    const order = ['a', 'b', 'c'].map((s) => result.stdout.search(new RegExp(`\\]   ${s}: Completed`)));
    expect(order.every((i) => i > 0)).toBe(true);
    // Each step's log in its own group, under the step's name.
    expect(result.stdout).toMatch(/a: user_logs\/std_log\.txt \(\+\d+ lines?\)/);
    expect(result.stdout).toContain('hello hello world');
  }, 180000);

  test('2b: a component file with a default input and a local data folder', async () => {
    const result = await completes(run, `${P}/2b_component_with_input_output/pipeline.yml`);
    expect(result.stdout).toContain('sample_input_string: hello_python_world_default');
    expect(result.stdout).toContain('reading file: sample.csv');
  }, 180000);
});

describe('the other runnable published YAMLs, as GitHub runs them', () => {
  test.each([
    [`${B}/hello-world.yml`, 'hello world'],
    [`${B}/hello-world-env-var.yml`, 'hello world'],
    [`${B}/hello-world-input.yml`, '42'],
    [`${B}/hello-world-output-data.yml`, undefined],
    [`${B}/hello-code.yml`, 'hello-mlflow.py'],
    [`${B}/hello-model-as-input.yml`, 'MLmodel'],
  ])('%s', async (file, expected) => {
    const result = await completes(github, file, serverless);
    if (expected) expect(result.stdout).toContain(expected);
  }, 180000);

  test.each([
    [`${B}/hello-pipeline.yml`, ['hello_job', 'world_job']],
    [`${B}/hello-pipeline-io.yml`, ['hello_job', 'world_job']],
    [`${B}/hello-pipeline-settings.yml`, ['hello_job', 'world_job']],
    [`${B}/hello-pipeline-default-artifacts.yml`, ['hello_job', 'world_job']],
    [`${P}/3b_pipeline_with_data/pipeline.yml`, ['component_a', 'component_b', 'component_c']],
    [`${P}/5a_env_public_docker_image/pipeline.yml`, ['hello_python_world_job']],
    [`${P}/5b_env_registered/pipeline.yml`, ['hello_python_world_job']],
  ])('%s', async (file, steps) => {
    const result = await completes(github, file);
    for (const s of steps) expect(result.stdout).toMatch(new RegExp(`\\]   ${s}: Completed`));
  }, 180000);

  test('1b: services on a pipeline step are refused as not supported yet, before anything is submitted', async () => {
    const result = await github({ 'job-file': `${P}/1b_e2e_registered_components/pipeline.yml` });
    expect(result.failure).toMatch(/^cli\/jobs\/pipelines-with-components\/basics\/1b_e2e_registered_components\/pipeline\.yml:\d+: jobs\.train_job\.services: is not supported yet on a pipeline step\.$/);
  }, 180000);

  test('a sweep step in a pipeline (derived from pipeline_with_hyperparameter_sweep): its trials run, the best one feeds the next step', async () => {
    const result = await completes(github, 'derived/pipeline-sweep/pipeline.yml');
    for (const s of ['sweep_step', 'predict_step']) expect(result.stdout).toMatch(new RegExp(`\\]   ${s}: Completed`));
    // The sweep step's own log names its three trials and the best; the predict step read that trial's model.
    expect(result.stdout).toMatch(/Trial \S+_2: Completed, training_f1_score=0\.\d+/);
    const best = /Best trial: \S+ \(training_f1_score=([\d.]+)\)/.exec(result.stdout);
    expect(best).not.toBeNull();
    expect(result.stdout).toMatch(new RegExp(`model from the best trial: \\{.*"f1": ${Number(best![1]).toFixed(6).replace(/0+$/, '')}`));
    expect(JSON.parse(result.outputs.metrics)).toEqual({ 'sweep_step.training_f1_score': Number(best![1]) });
  }, 180000);

  test('a failing trial of a sweep step in a pipeline is named with its error and log', async () => {
    const result = await github({ 'job-file': 'derived/pipeline-sweep/pipeline.yml', set: 'jobs.sweep_step.inputs.fail=yes' });
    expect(result.outputs.status).toBe('Failed');
    expect(result.failure).toMatch(/^Job \S+ ended Failed\. UserError: Pipeline has failed child jobs\. Failed nodes: \/sweep_step\./);
    expect(result.failure).toMatch(/\nStep sweep_step \(\S+\) ended Failed\. UserError: No trial completed/);
    expect(result.failure).toMatch(/\nTrial \S+_0 of step sweep_step ended Failed\. UserError: Execution failed\. User process 'python' exited with status code 1/);
    expect(result.failure).toMatch(/RuntimeError: training diverged with kernel=(rbf|linear|poly)/);
  }, 180000);

  test('a failing pipeline step is named, with its own error and log, though the pipeline error is generic', async () => {
    const result = await github({ 'job-file': `${B}/hello-pipeline-io.yml`, set: 'jobs.world_job.command=cat ${{inputs.world_input}}/missing.txt' });
    expect(result.outputs.status).toBe('Failed');
    expect(result.failure).toMatch(/^Job \S+ ended Failed\. UserError: Pipeline has failed child jobs\. Failed nodes: \/world_job\./);
    expect(result.failure).toMatch(/\nStep world_job \(\S+\) ended Failed\. UserError: Execution failed\. User process 'cat' exited with status code 1/);
    expect(result.failure).toContain('missing.txt: No such file or directory');
  }, 180000);
});
