// Model assets the way the register, transfer and deploy steps and azure-ai-ml use them: list shapes
// against the spec examples, `flavors: {}`, versions longer than 30 characters, the properties filter,
// a model registered from a job output stored at that output's datastore path, the run-history
// `rundata` route and the data plane's batchGetResolvedUris that `az ml job download` reads, and
// azure-ai-ml 1.4.0's own Model entity reading what the emulator returns.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { createHash } from 'node:crypto';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { ReadyConfig, RunningEmulator } from './index.js';
import { adminCall, ARM_SCOPE, armClient, blobService, credential, listAll, putJob, REPO_ROOT, shapeMismatches, specExample, startForTests, waitForJob } from './testing.js';

let emulator: RunningEmulator;
let config: ReadyConfig;
let client: AzureMachineLearningWorkspaces;
let rg: string;
let ws: string;

beforeAll(async () => {
  emulator = await startForTests();
  config = emulator.config;
  client = armClient(config);
  rg = config.dev.resourceGroup;
  ws = config.dev.workspace;
});
afterAll(async () => {
  await emulator?.stop();
});

const example = (file: string) => specExample(file).responses['200'].body;
const env = 'azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest';

async function token(): Promise<string> {
  return (await credential(config).getToken(ARM_SCOPE)).token;
}

/** A command job that writes model.json into its model_output, run to completion. */
async function trainedJob(name: string): Promise<void> {
  await putJob(config, rg, ws, name, {
    properties: {
      jobType: 'Command',
      command: 'mkdir -p ${{outputs.model_output}} && echo \'{"w": [1, 2]}\' > ${{outputs.model_output}}/model.json',
      environmentId: env,
      computeId: 'cpu-cluster',
      outputs: { model_output: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' } },
    },
  });
  expect((await waitForJob(client, rg, ws, name)).status).toBe('Completed');
}

describe('model versions', () => {
  test('list bodies match ModelVersion/list.json and ModelContainer/list.json; flavors is {} when none were given', async () => {
    await client.modelVersions.createOrUpdate(rg, ws, 'shape-model', '1', { properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/m/1/', modelType: 'custom_model', tags: { a: 'b' }, properties: { p: 'q' } } });
    let versions: unknown;
    for await (const pageOf of client.modelVersions.list(rg, ws, 'shape-model', { onResponse: (r: { bodyAsText?: string | null }) => (versions = JSON.parse(r.bodyAsText!)) } as never).byPage()) void pageOf;
    expect(shapeMismatches(versions, example('ModelVersion/list.json'), ['nextLink', 'value[].properties.flavors.string'])).toEqual([]);
    expect((versions as { value: Array<{ properties: { flavors: unknown } }> }).value[0].properties.flavors).toEqual({});
    let containers: unknown;
    for await (const pageOf of client.modelContainers.list(rg, ws, { onResponse: (r: { bodyAsText?: string | null }) => (containers = JSON.parse(r.bodyAsText!)) } as never).byPage()) void pageOf;
    expect(shapeMismatches(containers, example('ModelContainer/list.json'), ['nextLink', 'value[].properties.tags.tag1', 'value[].properties.tags.tag2'])).toEqual([]);
  });

  test('versions may be longer than 30 characters (azure-ai-ml versions anonymous environments by a 32-character hash)', async () => {
    const version = 'd41d8cd98f00b204e9800998ecf8427e';
    await client.environmentVersions.createOrUpdate(rg, ws, 'CliV2AnonymousEnvironment', version, { properties: { image: 'python:3.11-slim', isAnonymous: true } });
    expect((await client.environmentVersions.get(rg, ws, 'CliV2AnonymousEnvironment', version)).name).toBe(version);
    await client.modelVersions.createOrUpdate(rg, ws, 'long-version', `${version}-rc1`, { properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/m/long/' } });
    expect((await client.modelVersions.get(rg, ws, 'long-version', `${version}-rc1`)).name).toBe(`${version}-rc1`);
  });

  test('the properties filter finds versions by property name and value, as the tags filter does by tag', async () => {
    for (const [v, hash] of [['1', 'aaa'], ['2', 'bbb'], ['3', 'aaa']]) {
      await client.modelVersions.createOrUpdate(rg, ws, 'filtered', v, { properties: { modelUri: `azureml://datastores/workspaceblobstore/paths/f/${v}/`, properties: { 'mlops.source_hash': hash } } });
    }
    const names = async (properties: string) => (await listAll(client.modelVersions.list(rg, ws, 'filtered', { properties }))).map((x) => x.name).sort();
    expect(await names('mlops.source_hash=aaa')).toEqual(['1', '3']);
    expect(await names('mlops.source_hash')).toEqual(['1', '2', '3']);
    expect(await names('mlops.source_hash=ccc')).toEqual([]);
  });

  test('a model registered from azureml://jobs/<job>/outputs/<output> is stored at that output on its datastore, with jobName', async () => {
    await trainedJob('model-job-1');
    const created = await client.modelVersions.createOrUpdate(rg, ws, 'from-job', '1', { properties: { modelUri: 'azureml://jobs/model-job-1/outputs/model_output', modelType: 'custom_model' } });
    expect(created.properties.modelUri).toBe(`azureml://subscriptions/${config.subscriptionId}/resourcegroups/${rg}/workspaces/${ws}/datastores/workspaceblobstore/paths/azureml/model-job-1/model_output/`);
    expect(created.properties.jobName).toBe('model-job-1');
    const file = await client.modelVersions.createOrUpdate(rg, ws, 'from-job', '2', { properties: { modelUri: 'azureml://jobs/model-job-1/outputs/model_output/paths/model.json' } });
    expect(file.properties.modelUri).toMatch(/\/paths\/azureml\/model-job-1\/model_output\/model\.json$/);
    // The same job URI again is the same location (versions are immutable in their location only).
    await client.modelVersions.createOrUpdate(rg, ws, 'from-job', '1', { properties: { modelUri: 'azureml://jobs/model-job-1/outputs/model_output', description: 'again' } });
    await expect(client.modelVersions.createOrUpdate(rg, ws, 'from-job', '3', { properties: { modelUri: 'azureml://jobs/model-job-1/outputs/nope' } })).rejects.toMatchObject({
      statusCode: 400,
      message: "Could not resolve the model path 'azureml://jobs/model-job-1/outputs/nope': job 'model-job-1' has no output 'nope' in workspace 'mlw-mlops-dev'.",
    });
  }, 60000);

  test("rundata and batchGetResolvedUris give a job's outputs as datastore URIs (what az ml job download reads)", async () => {
    await trainedJob('model-job-2');
    const base = `${config.armEndpoint}/subscriptions/${config.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${ws}`;
    const headers = { Authorization: `Bearer ${await token()}`, 'content-type': 'application/json' };
    const rundata = await fetch(`${config.armEndpoint}/history/v1.0${base.slice(config.armEndpoint.length)}/rundata`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ runId: 'model-job-2', selectRunMetadata: true, selectRunDefinition: true, selectJobSpecification: true }),
    });
    expect(rundata.status).toBe(200);
    const data = (await rundata.json()) as { runMetadata: { runId: string; status: string; outputs: Record<string, { assetId: string; type: string }> } };
    expect(data.runMetadata).toMatchObject({ runId: 'model-job-2', status: 'Completed' });
    const output = data.runMetadata.outputs.model_output;
    expect(output).toEqual({ assetId: expect.stringMatching(/^azureml:\/\/locations\/eastus\/workspaces\/[0-9a-f-]{36}\/data\/azureml_model-job-2_output_data_model_output\/versions\/1$/), type: 'UriFolder' });
    const resolved = await fetch(`${config.armEndpoint}/data/v1.0${base.slice(config.armEndpoint.length)}/dataversion/batchGetResolvedUris`, { method: 'POST', headers, body: JSON.stringify({ values: [output.assetId] }) });
    const uris = (await resolved.json()) as { values: Record<string, { uri: string }> };
    const uri = uris.values[output.assetId].uri;
    expect(uri).toMatch(/\/datastores\/workspaceblobstore\/paths\/azureml\/model-job-2\/model_output\/$/);
    const { service, container } = await blobService(client, rg, ws);
    const text = (await service.getContainerClient(container).getBlobClient(`${uri.split('/paths/')[1]}model.json`).downloadToBuffer()).toString();
    expect(JSON.parse(text)).toEqual({ w: [1, 2] });
    const missing = await fetch(`${config.armEndpoint}/history/v1.0${base.slice(config.armEndpoint.length)}/rundata`, { method: 'POST', headers, body: JSON.stringify({ runId: 'no-such-run' }) });
    expect(missing.status).toBe(404);
  }, 60000);

  test("azure-ai-ml 1.4.0's ModelOperations.get and .list read the emulator's model versions into Model entities", async () => {
    await trainedJob('model-job-3');
    await client.modelVersions.createOrUpdate(rg, ws, 'sdk-model', '1', { properties: { modelUri: 'azureml://jobs/model-job-3/outputs/model_output', modelType: 'custom_model', tags: { stage: 'dev' } } });
    await client.modelVersions.createOrUpdate(rg, ws, 'sdk-model', '2', {
      properties: { modelUri: 'azureml://jobs/model-job-3/outputs/model_output', modelType: 'mlflow_model', flavors: { python_function: { data: { loader_module: 'mlflow.sklearn' } } } },
    });
    // azure-ai-ml 1.4.0 sends api-version 2022-05-01 for models, which the emulator does not serve (it is
    // 2022-10-01 throughout); its ModelOperations is given the SDK's own 2022-10-01 client instead, so the
    // code under test is azure-ai-ml's get/list and its Model._from_rest_object on the emulator's bodies.
    const script = `
import json, os
from azure.core.credentials import AccessToken
from azure.ai.ml import MLClient
from azure.ai.ml._restclient.v2022_10_01 import AzureMachineLearningWorkspaces as Client
class Token:
    def get_token(self, *scopes, **kwargs):
        return AccessToken(os.environ["ARM_TOKEN"], 4102444800)
ml = MLClient(Token(), os.environ["SUB"], os.environ["RG"], os.environ["WS"])
rest = Client(credential=Token(), subscription_id=os.environ["SUB"], base_url=os.environ["ARM"], credential_scopes=["https://management.azure.com/.default"])
ml.models._model_versions_operation = rest.model_versions
ml.models._model_container_operation = rest.model_containers
one = ml.models.get("sdk-model", "1")
two = ml.models.get("sdk-model", "2")
listed = sorted(m.version for m in ml.models.list("sdk-model"))
latest = ml.models.get("sdk-model", label="latest")
print(json.dumps({"path": one.path, "type": one.type, "tags": one.tags, "job": one.job_name, "flavors": two.flavors, "listed": listed, "latest": latest.version}))
`;
    const armToken = await token();
    // Asynchronously: the emulator answering the SDK runs in this process.
    const result = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile('/usr/bin/python3', ['-c', script], {
      encoding: 'utf8',
      timeout: 120000,
      env: {
        PATH: '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        PYTHONPATH: path.join(REPO_ROOT, 'scripts', 'oracle'),
        AZUREML_DEV_URL_MFE: config.armEndpoint,
        REQUESTS_CA_BUNDLE: config.caCertPath,
        ARM_TOKEN: armToken,
        ARM: config.armEndpoint,
        SUB: config.subscriptionId,
        RG: rg,
        WS: ws,
      },
      }, (error, stdout, stderr) => resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
    if (result.status !== 0) throw new Error(`azure-ai-ml failed (${result.status}):\n${result.stderr}`);
    const got = JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(got).toEqual({
      path: `azureml://subscriptions/${config.subscriptionId}/resourcegroups/${rg}/workspaces/${ws}/datastores/workspaceblobstore/paths/azureml/model-job-3/model_output/`,
      type: 'custom_model',
      tags: { stage: 'dev' },
      job: 'model-job-3',
      flavors: { python_function: { loader_module: 'mlflow.sklearn' } },
      listed: ['1', '2'],
      latest: '2',
    });
  }, 150000);
});

describe('server-side copies under a corrupt fault', () => {
  test('Put Block From URL with the source MD5 is refused (Md5Mismatch); Copy Blob keeps the source MD5 on damaged bytes', async () => {
    const devStore = await blobService(client, rg, ws);
    const prodStore = await blobService(client, config.prod.resourceGroup, config.prod.workspace);
    const data = Buffer.alloc(64 * 1024, 7);
    const source = devStore.service.getContainerClient(devStore.container).getBlockBlobClient('copy-src/data.bin');
    await source.upload(data, data.length);
    const md5 = createHash('md5').update(data).digest();
    const key = ((await client.datastores.listSecrets(rg, ws, 'workspaceblobstore')) as { key: string }).key;
    const sas = generateBlobSASQueryParameters(
      { containerName: devStore.container, permissions: ContainerSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 600_000) },
      new StorageSharedKeyCredential(devStore.account, key),
    ).toString();
    const target = prodStore.service.getContainerClient(prodStore.container);
    await adminCall(config, 'POST', '/faults', { target: 'blob', method: 'PUT', path: '/copy-dst/', corrupt: true });
    try {
      const block = target.getBlockBlobClient('copy-dst/block.bin');
      const id = Buffer.from('block-0').toString('base64');
      await expect(block.stageBlockFromURL(id, `${source.url}?${sas}`, 0, data.length, { sourceContentMD5: md5 })).rejects.toMatchObject({ statusCode: 400, code: 'Md5Mismatch' });
      const copy = target.getBlobClient('copy-dst/copy.bin');
      const poller = await copy.beginCopyFromURL(`${source.url}?${sas}`);
      expect((await poller.pollUntilDone()).copyStatus).toBe('success');
      const props = await copy.getProperties();
      expect(Buffer.from(props.contentMD5!).equals(md5)).toBe(true);
      expect((await copy.downloadToBuffer()).equals(data)).toBe(false);
    } finally {
      await adminCall(config, 'DELETE', '/faults');
    }
    // Without the fault the same Put Block From URL is accepted.
    const clean = target.getBlockBlobClient('copy-ok/block.bin');
    const id = Buffer.from('block-0').toString('base64');
    await clean.stageBlockFromURL(id, `${source.url}?${sas}`, 0, data.length, { sourceContentMD5: md5 });
    await clean.commitBlockList([id]);
    expect((await clean.downloadToBuffer()).equals(data)).toBe(true);
  });
});
