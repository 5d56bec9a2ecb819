// az ml job YAML → REST bodies, field by field, for the project's own fixtures (the published
// examples are checked against azure-ai-ml's own bodies in job-golden.test.ts). The shapes are the
// ones azure-ai-ml 1.4.0 sends: empty collections, isArchived and status included.
import { describe, expect, test } from '@jest/globals';
import path from 'node:path';
import { jobBody, type Resolver } from '../../shared/azureml/job-body.js';
import { JobFile } from '../../shared/azureml/job-yaml.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';

const WS = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';

/** Records what would be uploaded or registered, and answers with predictable ids. */
function fakeResolver() {
  const calls: string[] = [];
  const resolver: Resolver = {
    computeId: async (name) => (calls.push(`compute ${name}`), `${WS}/computes/${name}`),
    datastoreId: async (name) => (calls.push(`datastore ${name}`), `${WS}/datastores/${name}`),
    assetId: async (kind, name, version) => (calls.push(`${kind} ${name}:${version ?? 'latest'}`), `${WS}/${kind}/${name}/versions/${version ?? '3'}`),
    registerEnvironment: async (env) => (calls.push(`environment ${env.version}`), `${WS}/environments/CliV2AnonymousEnvironment/versions/${env.version}`),
    codeId: async (folder) => (calls.push(`code ${path.basename(folder)}`), `${WS}/codes/code-1/versions/1`),
    placeholderCodeId: async () => (calls.push('code placeholder'), `${WS}/codes/placeholder/versions/1`),
    uploadInput: async (local, type) => {
      calls.push(`input ${type} ${path.basename(local)}`);
      return `azureml://datastores/workspaceblobstore/paths/LocalUpload/h/${path.basename(local)}/`;
    },
    registerComponent: async (_body, version) => (calls.push(`component ${version}`), `${WS}/components/azureml_anonymous/versions/${version}`),
  };
  return { resolver, calls };
}

/** What azure-ai-ml sends in every job body even when the YAML says nothing. */
const DEFAULTS = { inputs: {}, outputs: {}, tags: {}, properties: {}, isArchived: false, status: 'NotStarted', services: {} };

const load = (file: string, display = file) => JobFile.load(file, display);
const sample = (name: string) => path.join(ROOT, 'examples', 'credit-default', 'jobs', name);

describe('command job', () => {
  test('the sample train.yml becomes the CommandJob body', async () => {
    const { resolver, calls } = fakeResolver();
    const job = await jobBody(load(sample('train.yml')), resolver);
    expect(job.type).toBe('command');
    expect(job.name).toBeUndefined();
    expect(job.body).toEqual({
      properties: {
        ...DEFAULTS,
        jobType: 'Command',
        environmentVariables: {},
        displayName: 'credit-default-train',
        experimentName: 'credit-default',
        description: 'Train the credit-default classifier on the prepared credit data.',
        tags: { project: 'credit-default' },
        command:
          'python train.py --training-data ${{inputs.training_data}} --model-output ${{outputs.model_output}} --learning-rate ${{inputs.learning_rate}}',
        codeId: `${WS}/codes/code-1/versions/1`,
        environmentId: 'azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest',
        computeId: `${WS}/computes/cpu-cluster`,
        inputs: {
          training_data: {
            jobInputType: 'uri_folder',
            uri: 'azureml://datastores/workspaceblobstore/paths/LocalUpload/h/data/',
            mode: 'ReadOnlyMount',
          },
          learning_rate: { jobInputType: 'literal', value: '0.5' },
        },
        outputs: { model_output: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' } },
      },
    });
    // Resolved once for real (after the checking pass, which resolves nothing remote).
    expect(calls.filter((c) => c.startsWith('code'))).toEqual(['code src']);
    expect(calls.filter((c) => c.startsWith('input'))).toEqual(['input uri_folder data']);
  });

  test('overrides: step inputs and --set', async () => {
    const file = load(sample('train.yml'));
    file.applySet('inputs.learning_rate=0.25');
    file.applySet('limits.timeout=600');
    file.applySet('distribution.type=pytorch');
    file.applySet('distribution.process_count_per_instance=2');
    file.applySet('resources.instance_count=2');
    file.applySet('identity.type=managed');
    const job = await jobBody(file, fakeResolver().resolver, { experimentName: 'nightly', displayName: 'run 42', compute: 'azureml:gpu-cluster' });
    const p = job.body.properties;
    expect(p.experimentName).toBe('nightly');
    expect(p.displayName).toBe('run 42');
    expect(p.computeId).toBe(`${WS}/computes/gpu-cluster`);
    expect((p.inputs as Record<string, unknown>).learning_rate).toEqual({ jobInputType: 'literal', value: '0.25' });
    expect(p.limits).toEqual({ jobLimitsType: 'Command', timeout: 'PT10M' });
    expect(p.distribution).toEqual({ distributionType: 'PyTorch', processCountPerInstance: 2 });
    expect(p.resources).toEqual({ instanceCount: 2, properties: {} });
    expect(p.identity).toEqual({ identityType: 'Managed' });
  });
});

describe('the other command fixtures', () => {
  test.each([
    ['sleep.yml', { displayName: 'sleeps-for-a-while', command: 'echo "going to sleep for ${{inputs.seconds}} s" && sleep ${{inputs.seconds}} && echo awake', inputs: { seconds: { jobInputType: 'literal', value: '120' } } }],
    ['fail.yml', { displayName: 'fails-on-purpose', command: 'echo "loading data" && echo "ValueError: the training data has no rows" >&2 && exit 3' }],
  ])('%s', async (name, expected) => {
    const job = await jobBody(load(path.join(FIXTURES, 'jobs', name)), fakeResolver().resolver);
    expect(job.body).toEqual({
      properties: {
        ...DEFAULTS,
        jobType: 'Command',
        environmentVariables: {},
        experimentName: 'Default',
        environmentId: 'azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest',
        computeId: `${WS}/computes/cpu-cluster`,
        ...expected,
      },
    });
  });
});

describe('pipeline job', () => {
  test('the sample pipeline.yml: inline command steps with parent bindings, default compute resolved', async () => {
    const job = await jobBody(load(sample('pipeline.yml')), fakeResolver().resolver);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- field-by-field checks of a JSON body
    const p = job.body.properties as Record<string, any>;
    expect(p.jobType).toBe('Pipeline');
    expect(p.settings).toEqual({ _source: 'YAML.JOB', default_compute: `${WS}/computes/cpu-cluster` });
    expect(p.inputs).toEqual({
      raw_data: { jobInputType: 'uri_folder', uri: expect.stringMatching(/LocalUpload\/h\/data\/$/) },
      learning_rate: { jobInputType: 'literal', value: '0.5' },
    });
    expect(p.outputs).toEqual({ trained_model: { jobOutputType: 'uri_folder' }, evaluation: { jobOutputType: 'uri_folder' } });
    expect(Object.keys(p.jobs)).toEqual(['prep', 'train', 'evaluate']);
    // Sent as az ml sends it: the step registered as an anonymous component, referenced by componentId.
    expect(p.jobs.train).toEqual({
      _source: 'YAML.JOB',
      type: 'command',
      name: 'train',
      componentId: expect.stringMatching(new RegExp(`^${WS}/components/azureml_anonymous/versions/[0-9a-f-]{36}$`)),
      inputs: {
        prepared: { job_input_type: 'literal', value: '${{parent.jobs.prep.outputs.prepared}}' },
        learning_rate: { job_input_type: 'literal', value: '${{parent.inputs.learning_rate}}' },
      },
      outputs: { model_output: { type: 'literal', value: '${{parent.outputs.trained_model}}' } },
    });
  });

  test('a binding to a step output that does not exist is caught at its line', async () => {
    const file = load(sample('pipeline.yml'), 'jobs/pipeline.yml');
    file.applySet('jobs.evaluate.inputs.model=${{parent.jobs.train.outputs.no_such_output}}');
    await expect(jobBody(file, fakeResolver().resolver)).rejects.toThrow(
      /^jobs\/pipeline\.yml:\d+: jobs\.evaluate\.inputs\.model: binds to \$\{\{parent\.jobs\.train\.outputs\.no_such_output\}\}, which names no pipeline input/,
    );
  });
});

describe('sweep job', () => {
  test('search space, objective, sampling, limits and early termination', async () => {
    const job = await jobBody(load(path.join(FIXTURES, 'jobs', 'sweep.yml')), fakeResolver().resolver);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- field-by-field checks of a JSON body
    const p = job.body.properties as Record<string, any>;
    expect(p.jobType).toBe('Sweep');
    expect(p.trial).toEqual({
      command:
        'python train.py --training-data ${{inputs.training_data}} --model-output ${{outputs.model_output}} --learning-rate ${{search_space.learning_rate}}',
      codeId: `${WS}/codes/code-1/versions/1`,
      environmentId: `${WS}/environments/credit-env/versions/3`,
      environmentVariables: {},
    });
    expect(p.searchSpace).toEqual({ learning_rate: ['choice', [[0.05, 0.5, 1.0]]], epochs: ['uniform', [50, 300]] });
    // The goal as written: az ml sends it so, and the service reads it case-insensitively.
    expect(p.objective).toEqual({ goal: 'maximize', primaryMetric: 'auc' });
    expect(p.samplingAlgorithm).toEqual({ samplingAlgorithmType: 'Random' });
    expect(p.limits).toEqual({ jobLimitsType: 'Sweep', maxTotalTrials: 6, maxConcurrentTrials: 2, timeout: 'PT1H' });
    expect(p.earlyTermination).toEqual({ policyType: 'Bandit', evaluationInterval: 1, slackFactor: 0.1 });
    expect(p.inputs.training_data.uri).toBe('azureml://datastores/workspaceblobstore/paths/credit/prepared/');
    expect(p.computeId).toBe(`${WS}/computes/cpu-cluster`);
  });
});

describe('mistakes name file, line and key, and resolve nothing', () => {
  test.each([
    ['type: batch\ncommand: x\n', "job.yml:1: type: must be command, pipeline or sweep (got 'batch')."],
    ['type: command\nenvironment: azureml:e:1\ncompute: c\n', 'job.yml:1: command: must be the command to run.'],
    ['type: command\ncommand: echo\ncompute: c\n', 'job.yml:1: environment: is required: azureml:<name>:<version>, azureml:<name>@latest, or an inline image.'],
    ['type: command\ncommand: echo\nenvironment: azureml:e:1\n', 'job.yml:1: compute: is required: the compute cluster to run on (azureml:<name>).'],
    ['command: echo ${{outputs.model}}\nenvironment: azureml:e:1\ncompute: c\n', "job.yml:1: command: refers to ${{outputs.model}}, but the job declares no output named 'model'."],
    ['command: echo\nenvironment: azureml:e:1\ncompute: c\ninputs:\n  data:\n    type: uri_folder\n    mode: ro\n    path: x\n', 'job.yml:7: inputs.data.mode: must be one of ro_mount, mount, rw_mount, download, direct, eval_mount, eval_download.'],
    ['command: echo\nenvironment: azureml:e:1\ncompute: local\n', "job.yml:3: compute: 'local' runs on your machine with az ml; this step submits to a compute cluster (azureml:<name>)."],
    ['command: echo\n  bad: indent\n', 'job.yml:1:10: is not valid YAML: Nested mappings are not allowed in compact mappings'],
    ['command: echo\nenvironment: azureml:e:1\ncompute: c\nresources:\n  instance_count: two\n', "job.yml:5: resources.instance_count: expected an integer, got 'two'."],
    ['command: echo\nenvironment: azureml:e:1\ncompute: c\ndistribution:\n  type: pytorch\n  process_count_per_instance: 1.5\n', "job.yml:6: distribution.process_count_per_instance: expected an integer, got '1.5'."],
    ['command: echo\nenvironment: azureml:e:1\ncompute: c\nlimits:\n  timeout: soon\n', "job.yml:5: limits.timeout: expected a number of seconds, got 'soon'."],
    ['type: sweep\ntrial:\n  command: echo ${{search_space.n}}\n  environment: azureml:e:1\ncompute: c\nsearch_space:\n  n:\n    type: randint\nobjective:\n  goal: maximize\n  primary_metric: m\n', 'job.yml:7: search_space.n: is a randint parameter and needs upper.'],
    ['type: sweep\ntrial:\n  command: echo ${{search_space.n}}\n  environment: azureml:e:1\ncompute: c\nsearch_space:\n  n:\n    type: uniform\n    min_value: 0\n    max_value: high\nobjective:\n  goal: maximize\n  primary_metric: m\n', "job.yml:10: search_space.n.max_value: expected a number, got 'high'."],
    ['type: sweep\ntrial:\n  command: echo\n  environment: azureml:e:1\ncompute: c\nsearch_space:\n  n:\n    type: choice\n    values: [1]\nobjective:\n  goal: maximize\n  primary_metric: m\nlimits:\n  max_total_trials: many\n', "job.yml:14: limits.max_total_trials: expected an integer, got 'many'."],
    ['type: automl\ntask: classification\n', "job.yml:1: type: is 'automl': automl jobs are not supported yet (command, pipeline and sweep jobs are)."],
    ['type: pipeline\njobs:\n  p:\n    type: parallel\n', "job.yml:4: jobs.p.type: is 'parallel': parallel steps are not supported yet (command and sweep steps are)."],
    ['command: echo\ncode: git+https://github.com/a/b\nenvironment: azureml:e:1\ncompute: c\n', 'job.yml:2: code: names a git repository (git+https://github.com/a/b); code from git is not supported yet.'],
    ['command: echo\nenvironment:\n  image: python\n  conda_file: missing.yml\ncompute: c\n', 'job.yml:4: environment.conda_file: names missing.yml, which does not exist'],
    ['command: echo\nenvironment:\n  build:\n    path: nowhere\ncompute: c\n', "job.yml:4: environment.build.path: names 'nowhere', which is not a folder"],
    ['type: pipeline\njobs:\n  a:\n    component: ./missing.yml\n', "job.yml:4: jobs.a.component: names './missing.yml', which does not exist"],
    ['type: pipeline\njobs:\n  a:\n    component:\n      command: echo\n', 'job.yml:4: jobs.a.component: is an inline component definition; inline component definitions are not supported yet'],
    ['type: pipeline\njobs:\n  a:\n    name: b\n    command: echo\n    environment: azureml:e:1\n', "job.yml:4: jobs.a.name: must be the step's key ('a') when given (got 'b')."],
  ])('%j', async (yaml, expected) => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-'));
    fs.writeFileSync(path.join(dir, 'job.yml'), yaml);
    const { resolver, calls } = fakeResolver();
    const attempt = (async () => jobBody(JobFile.load(path.join(dir, 'job.yml'), 'job.yml'), resolver))();
    await expect(attempt).rejects.toThrow(expected);
    expect(calls).toEqual([]);
  });
});

describe('mistakes found offline, before the resolver is called', () => {
  test('an empty code folder, or one whose files are all ignored', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-'));
    fs.mkdirSync(path.join(dir, 'empty'));
    fs.mkdirSync(path.join(dir, 'ignored'));
    fs.writeFileSync(path.join(dir, 'ignored', '.amlignore'), '*\n');
    fs.writeFileSync(path.join(dir, 'ignored', 'train.py'), 'print(1)\n');
    for (const code of ['empty', 'ignored']) {
      fs.writeFileSync(path.join(dir, 'job.yml'), `command: echo\ncode: ${code}\nenvironment: azureml:e:1\ncompute: c\n`);
      const { resolver, calls } = fakeResolver();
      await expect(jobBody(JobFile.load(path.join(dir, 'job.yml'), 'job.yml'), resolver)).rejects.toThrow(
        `job.yml:2: code: names the folder '${code}', which has no files to upload`,
      );
      expect(calls).toEqual([]);
    }
  });

  test('a set override whose path goes through a scalar', () => {
    const file = load(sample('train.yml'), 'jobs/train.yml');
    expect(() => file.applySet('command.x=1')).toThrow(/^Input 'set' line 'command\.x=1' sets 'command\.x', but 'command' in jobs\/train\.yml:\d+ is a single value/);
    expect(() => file.applySet('inputs.learning_rate.value=1')).toThrow(/'inputs\.learning_rate' in jobs\/train\.yml:\d+ is a single value/);
  });
});
