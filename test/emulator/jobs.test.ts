// Jobs run for real: the sample project (examples/credit-default) trained by a command job, a failing
// command, cancel, a timeout, injected failures, the three-step sample pipeline and a sweep — with
// metrics over MLflow REST, logs through run history, and outputs where Azure ML puts them.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import path from 'node:path';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { RunningEmulator, ReadyConfig } from './index.js';
import { adminCall, ARM_SCOPE, armClient, blobService, credential, putJob, SAMPLE_PROJECT, startForTests, uploadFolder, waitForJob } from './testing.js';

let emulator: RunningEmulator;
let config: ReadyConfig;
let client: AzureMachineLearningWorkspaces;
let service: BlobServiceClient;
let container: string;
let rg: string;
let ws: string;
let codeId: string;
let dataUri: string;
let computeId: string;
const ENV = 'azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest';

beforeAll(async () => {
  emulator = await startForTests();
  config = emulator.config;
  client = armClient(config);
  rg = config.dev.resourceGroup;
  ws = config.dev.workspace;
  ({ service, container } = await blobService(client, rg, ws));
  // What azure-ai-ml does for `code: ../src` and `path: ../data`: upload under LocalUpload/<hash>/<dir>, register.
  await uploadFolder(service, container, 'LocalUpload/0123abcd/src', path.join(SAMPLE_PROJECT, 'src'));
  const code = await client.codeVersions.createOrUpdate(rg, ws, 'credit-src', '1', {
    properties: { codeUri: `${service.url}/${container}/LocalUpload/0123abcd/src`, isAnonymous: true, properties: { hash_sha256: '0123abcd', hash_version: '202208' } },
  });
  codeId = code.id!;
  await uploadFolder(service, container, 'LocalUpload/4567cdef/data', path.join(SAMPLE_PROJECT, 'data'));
  dataUri = `azureml://subscriptions/${config.subscriptionId}/resourcegroups/${rg}/workspaces/${ws}/datastores/workspaceblobstore/paths/LocalUpload/4567cdef/data/`;
  computeId = (await client.computeOperations.get(rg, ws, 'cpu-cluster')).id!;
});

afterAll(async () => {
  await emulator?.stop();
});

async function dataPlane<T>(service: 'mlflow' | 'history', route: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const workspace = await client.workspaces.get(rg, ws);
  const base = workspace.mlFlowTrackingUri!.replace(/^azureml:/, 'https:').replace('/mlflow/v1.0/', `/${service}/v1.0/`);
  const token = (await credential(config).getToken(ARM_SCOPE)).token;
  const res = await fetch(`${base}${route}`, { ...init, headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  return { status: res.status, body: (await res.json()) as T };
}

async function blobText(name: string): Promise<string> {
  return (await service.getContainerClient(container).getBlobClient(name).downloadToBuffer()).toString('utf8');
}

const trainCommand = 'python train.py --training-data ${{inputs.training_data}} --model-output ${{outputs.model_output}} --learning-rate ${{inputs.learning_rate}}';

describe('command jobs', () => {
  test('the sample trains to Completed: NotStarted → Queued → Preparing → Running → Finalizing → Completed, metrics over MLflow, output at azureml/<job>/<output>/', async () => {
    const created = await putJob(config, rg, ws, 'credit-train-1', {
      properties: {
        jobType: 'Command',
        displayName: 'credit-default-train',
        experimentName: 'credit-default',
        codeId,
        command: trainCommand,
        environmentId: ENV,
        computeId,
        inputs: {
          training_data: { jobInputType: 'uri_folder', uri: dataUri, mode: 'ReadOnlyMount' },
          learning_rate: { jobInputType: 'literal', value: '0.5' },
        },
        outputs: { model_output: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' } },
        tags: { project: 'credit-default' },
      },
    });
    expect(created.status).toBe(201);
    expect((created.body.properties as { status: string }).status).toBe('NotStarted');
    const { status } = await waitForJob(client, rg, ws, 'credit-train-1');
    const history = await dataPlane<{ logFiles: Record<string, string>; status: string; error: unknown; statusHistory: { status: string }[] }>('history', '/runs/credit-train-1/details');
    const log = await fetch(history.body.logFiles['user_logs/std_log.txt']).then((r) => r.text());
    expect({ status, log }).toMatchObject({ status: 'Completed', log: expect.stringContaining('metrics logged to MLflow') });
    expect(history.body.statusHistory.map((h) => h.status)).toEqual(['NotStarted', 'Queued', 'Preparing', 'Running', 'Finalizing', 'Completed']);
    expect(history.body.error).toBeNull();
    expect(log).toMatch(/auc: 0\.\d+/);

    const run = await dataPlane<{ run: { info: { status: string; run_id: string }; data: { metrics: { key: string; value: number }[] } } }>('mlflow', '/api/2.0/mlflow/runs/get?run_id=credit-train-1');
    expect(run.body.run.info).toMatchObject({ run_id: 'credit-train-1', status: 'FINISHED' });
    expect(run.body.run.data.metrics.map((m) => m.key).sort()).toEqual(['accuracy', 'auc', 'precision', 'recall']);
    const auc = run.body.run.data.metrics.find((m) => m.key === 'auc')!.value;
    expect(auc).toBeGreaterThan(0.6);
    const aucHistory = await dataPlane<{ metrics: { value: number }[] }>('mlflow', '/api/2.0/mlflow/metrics/get-history?run_id=credit-train-1&metric_key=auc');
    expect(aucHistory.body.metrics.map((m) => m.value)).toEqual([auc]);

    const model = JSON.parse(await blobText('azureml/credit-train-1/model_output/model.json')) as Record<string, unknown>;
    expect(Object.keys(model).length).toBeGreaterThan(0);
    // The job output can be registered as a model and resolved again.
    await client.modelVersions.createOrUpdate(rg, ws, 'credit-default', '1', { properties: { modelUri: 'azureml://jobs/credit-train-1/outputs/model_output', modelType: 'custom_model', jobName: 'credit-train-1' } as never });
  });

  test('through @azure/arm-machinelearning 2.1.1 a uri_folder input loses its uri, and the service refuses the job as Azure does', async () => {
    const error = await client.jobs
      .createOrUpdate(rg, ws, 'sdk-drops-uri', {
        properties: { jobType: 'Command', command: 'ls ${{inputs.data}}', environmentId: ENV, computeId, inputs: { data: { jobInputType: 'uri_folder', uri: dataUri, mode: 'ReadOnlyMount' } } },
      } as never)
      .then(() => undefined, (e: { statusCode?: number; message?: string }) => e);
    expect(error).toMatchObject({ statusCode: 400, message: 'Request is invalid and/or missing fields.' });
  });

  test('MLflow log-metric and log-batch accumulate history; unknown runs are RESOURCE_DOES_NOT_EXIST', async () => {
    await client.jobs.createOrUpdate(rg, ws, 'metrics-only', { properties: { jobType: 'Command', command: 'true', environmentId: ENV, computeId } } as never);
    await waitForJob(client, rg, ws, 'metrics-only');
    for (const [step, value] of [[0, 1.5], [1, 0.5]] as const) {
      const r = await dataPlane('mlflow', '/api/2.0/mlflow/runs/log-metric', { method: 'POST', body: JSON.stringify({ run_id: 'metrics-only', key: 'loss', value, timestamp: Date.now(), step }) });
      expect(r.status).toBe(200);
    }
    await dataPlane('mlflow', '/api/2.0/mlflow/runs/log-batch', { method: 'POST', body: JSON.stringify({ run_id: 'metrics-only', metrics: [{ key: 'loss', value: 0.25, timestamp: Date.now(), step: 2 }], params: [{ key: 'lr', value: '0.1' }] }) });
    const h = await dataPlane<{ metrics: { value: number; step: number }[] }>('mlflow', '/api/2.0/mlflow/metrics/get-history?run_id=metrics-only&metric_key=loss');
    expect(h.body.metrics.map((m) => [m.step, m.value])).toEqual([[0, 1.5], [1, 0.5], [2, 0.25]]);
    const run = await dataPlane<{ run: { data: { metrics: { key: string; value: number }[]; params: { key: string; value: string }[] } } }>('mlflow', '/api/2.0/mlflow/runs/get?run_id=metrics-only');
    expect(run.body.run.data.metrics).toEqual([expect.objectContaining({ key: 'loss', value: 0.25 })]);
    expect(run.body.run.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    const missing = await dataPlane<{ error_code: string }>('mlflow', '/api/2.0/mlflow/runs/get?run_id=nope');
    expect(missing).toEqual({ status: 404, body: expect.objectContaining({ error_code: 'RESOURCE_DOES_NOT_EXIST' }) });
  });

  test('a failing command ends Failed with its exit code and output in the error', async () => {
    await client.jobs.createOrUpdate(rg, ws, 'fails', {
      properties: { jobType: 'Command', command: 'python -c "import sys; print(\'bad input row 7\'); sys.exit(3)"', environmentId: ENV, computeId },
    } as never);
    expect((await waitForJob(client, rg, ws, 'fails')).status).toBe('Failed');
    const details = await dataPlane<{ error: { error: { code: string; message: string } } }>('history', '/runs/fails/details');
    expect(details.body.error.error.code).toBe('UserError');
    expect(details.body.error.error.message).toMatch(/^Execution failed\. User process 'python' exited with status code 3\..*bad input row 7/s);
  });

  test('cancel stops a running process: CancelRequested → Canceled; the log blob is readable while it runs', async () => {
    await client.jobs.createOrUpdate(rg, ws, 'to-cancel', { properties: { jobType: 'Command', command: 'echo started; sleep 60', environmentId: ENV, computeId } } as never);
    await waitForJob(client, rg, ws, 'to-cancel', (s) => s === 'Running');
    // What `az ml job stream` does: read run details, then the log file through its SAS URL, until output appears.
    let streamed = '';
    for (let i = 0; i < 100 && !streamed.includes('started'); i++) {
      const details = await dataPlane<{ logFiles: Record<string, string> }>('history', '/runs/to-cancel/details');
      streamed = await fetch(details.body.logFiles['user_logs/std_log.txt']).then((r) => r.text());
      if (!streamed.includes('started')) await new Promise((r) => setTimeout(r, 50));
    }
    expect(streamed).toContain('started');
    expect((await client.jobs.get(rg, ws, 'to-cancel')).properties.status).toBe('Running');
    const started = Date.now();
    await client.jobs.beginCancelAndWait(rg, ws, 'to-cancel', { updateIntervalInMs: 20 });
    expect((await client.jobs.get(rg, ws, 'to-cancel')).properties.status).toBe('Canceled');
    expect(Date.now() - started).toBeLessThan(10_000);
    const details = await dataPlane<{ statusHistory: { status: string }[] }>('history', '/runs/to-cancel/details');
    expect(details.body.statusHistory.map((h) => h.status).slice(-2)).toEqual(['CancelRequested', 'Canceled']);
  });

  test('uri_file inputs from a data asset, Direct inputs and a uri_file output to an explicit datastore path', async () => {
    await client.dataVersions.createOrUpdate(rg, ws, 'credit-csv', '1', { properties: { dataType: 'uri_file', dataUri: `${dataUri}credit.csv` } });
    const target = 'azureml://datastores/workspaceblobstore/paths/custom/sample.csv';
    await putJob(config, rg, ws, 'files', {
      properties: {
        jobType: 'Command',
        command: 'head -n 3 ${{inputs.csv}} > ${{outputs.sample}} && echo "direct=${{inputs.where}}" && test -f "$AZURE_ML_INPUT_csv"',
        environmentId: ENV,
        computeId,
        inputs: { csv: { jobInputType: 'uri_file', uri: 'azureml:credit-csv:1', mode: 'Download' }, where: { jobInputType: 'uri_folder', uri: dataUri, mode: 'Direct' } },
        outputs: { sample: { jobOutputType: 'uri_file', uri: target, mode: 'Upload' } },
      },
    });
    expect((await waitForJob(client, rg, ws, 'files')).status).toBe('Completed');
    expect((await blobText('custom/sample.csv')).trim().split('\n')).toHaveLength(3);
    const details = await dataPlane<{ logFiles: Record<string, string> }>('history', '/runs/files/details');
    expect(await fetch(details.body.logFiles['user_logs/std_log.txt']).then((r) => r.text())).toContain(`direct=${dataUri}`);
  });

  test('limits.timeout stops a job that runs too long, and an injected failure fails the next job', async () => {
    await client.jobs.createOrUpdate(rg, ws, 'too-slow', { properties: { jobType: 'Command', command: 'sleep 30', environmentId: ENV, computeId, limits: { jobLimitsType: 'Command', timeout: 'PT0.5S' } } } as never);
    expect((await waitForJob(client, rg, ws, 'too-slow')).status).toBe('Failed');
    expect((await dataPlane<{ error: { error: { message: string } } }>('history', '/runs/too-slow/details')).body.error.error.message).toMatch(/exceeded its timeout of PT0\.5S/);
    await adminCall(config, 'POST', '/job-failures', { count: 1, message: 'Node lost: preempted.', pattern: '^doomed$' });
    await client.jobs.createOrUpdate(rg, ws, 'doomed', { properties: { jobType: 'Command', command: 'true', environmentId: ENV, computeId } } as never);
    expect((await waitForJob(client, rg, ws, 'doomed')).status).toBe('Failed');
    expect((await dataPlane<{ error: { error: { message: string } } }>('history', '/runs/doomed/details')).body.error.error.message).toBe('Node lost: preempted.');
  });
});

describe('pipeline and sweep jobs', () => {
  test('the sample prep → train → evaluate pipeline runs its steps in dependency order with parent bindings', async () => {
    const step = (command: string, inputs: Record<string, unknown>, outputs: Record<string, unknown>) => ({ type: 'command', code: codeId, environment: ENV, command, inputs, outputs });
    await putJob(config, rg, ws, 'credit-pipeline', {
      properties: {
        jobType: 'Pipeline',
        displayName: 'credit-default-pipeline',
        experimentName: 'credit-default',
        settings: { default_compute: computeId },
        inputs: { raw_data: { jobInputType: 'uri_folder', uri: dataUri }, learning_rate: { jobInputType: 'literal', value: '0.5' } },
        outputs: { trained_model: { jobOutputType: 'uri_folder' }, evaluation: { jobOutputType: 'uri_folder' } },
        jobs: {
          // Listed out of order on purpose: the service orders steps by their bindings.
          evaluate: step(
            'python evaluate.py --model ${{inputs.model}} --test-data ${{inputs.prepared}} --report ${{outputs.report}}',
            { model: { job_input_type: 'literal', value: '${{parent.jobs.train.outputs.model_output}}' }, prepared: '${{parent.jobs.prep.outputs.prepared}}' },
            { report: { type: 'literal', value: '${{parent.outputs.evaluation}}' } },
          ),
          prep: step('python prep.py --raw-data ${{inputs.raw_data}} --output ${{outputs.prepared}}', { raw_data: '${{parent.inputs.raw_data}}' }, { prepared: { type: 'uri_folder' } }),
          train: step(
            'python train.py --training-data ${{inputs.prepared}} --model-output ${{outputs.model_output}} --learning-rate ${{inputs.learning_rate}}',
            { prepared: '${{parent.jobs.prep.outputs.prepared}}', learning_rate: { job_input_type: 'literal', value: '${{parent.inputs.learning_rate}}' } },
            { model_output: '${{parent.outputs.trained_model}}' },
          ),
        },
      },
    });
    const { status } = await waitForJob(client, rg, ws, 'credit-pipeline', undefined, 90_000);
    const children = await dataPlane<{ value: { runId: string; displayName: string; status: string; startTimeUtc: string; endTimeUtc: string }[] }>('history', '/runs/credit-pipeline/children');
    const summary = children.body.value.map((c) => `${c.displayName}:${c.status}`);
    expect({ status, summary }).toEqual({ status: 'Completed', summary: ['prep:Completed', 'train:Completed', 'evaluate:Completed'] });
    const [prep, train, evaluate] = children.body.value;
    expect(Date.parse(train.startTimeUtc)).toBeGreaterThanOrEqual(Date.parse(prep.endTimeUtc));
    expect(Date.parse(evaluate.startTimeUtc)).toBeGreaterThanOrEqual(Date.parse(train.endTimeUtc));
    // Steps are jobs of their own, and bound outputs land at the pipeline's outputs.
    expect((await client.jobs.get(rg, ws, train.runId)).properties.status).toBe('Completed');
    expect(JSON.parse(await blobText('azureml/credit-pipeline/trained_model/model.json'))).toBeTruthy();
    expect(JSON.parse(await blobText('azureml/credit-pipeline/evaluation/metrics.json'))).toHaveProperty('auc');
    expect(await blobText(`azureml/${prep.runId}/prepared/train.csv`)).toMatch(/^[a-z_]+,/);
  });

  test('a pipeline binding naming a missing step output is refused at submission', async () => {
    await expect(
      client.jobs.createOrUpdate(rg, ws, 'bad-pipeline', {
        properties: {
          jobType: 'Pipeline',
          settings: { default_compute: computeId },
          jobs: { a: { type: 'command', environment: ENV, command: 'echo ${{inputs.x}}', inputs: { x: '${{parent.jobs.b.outputs.y}}' } } },
        },
      } as never),
    ).rejects.toMatchObject({ statusCode: 400, code: 'UserError', message: expect.stringMatching(/parent\.jobs\.b\.outputs\.y/) });
  });

  test('a sweep runs a bounded number of trials and records the best one', async () => {
    await putJob(config, rg, ws, 'credit-sweep', {
      properties: {
        jobType: 'Sweep',
        experimentName: 'credit-default',
        computeId,
        trial: { codeId, environmentId: ENV, command: 'python train.py --training-data ${{inputs.training_data}} --model-output ${{outputs.model_output}} --learning-rate ${{search_space.lr}} --epochs 50' },
        inputs: { training_data: { jobInputType: 'uri_folder', uri: dataUri } },
        outputs: { model_output: { jobOutputType: 'uri_folder' } },
        searchSpace: { lr: ['choice', [[0.05, 0.5, 1.0]]] },
        samplingAlgorithm: { samplingAlgorithmType: 'Grid' },
        objective: { goal: 'Maximize', primaryMetric: 'auc' },
        limits: { jobLimitsType: 'Sweep', maxTotalTrials: 2, maxConcurrentTrials: 1 },
      },
    });
    expect((await waitForJob(client, rg, ws, 'credit-sweep', undefined, 90_000)).status).toBe('Completed');
    const sweep = await client.jobs.get(rg, ws, 'credit-sweep');
    const best = (sweep.properties.properties ?? {}).best_child_run_id;
    expect(['credit-sweep_0', 'credit-sweep_1']).toContain(best);
    const children = await dataPlane<{ value: { runId: string }[] }>('history', '/runs/credit-sweep/children');
    expect(children.body.value.map((c) => c.runId)).toEqual(['credit-sweep_0', 'credit-sweep_1']);
    expect(JSON.parse(await blobText(`azureml/${best}/model_output/model.json`))).toBeTruthy();
  });
});
