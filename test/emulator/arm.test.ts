// ARM resources of Microsoft.MachineLearningServices 2022-10-01 through the official
// @azure/arm-machinelearning client, with every emulated body checked against the REST spec example
// of its operation.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { RunningEmulator, ReadyConfig } from './index.js';
import { adminCall, ARM_SCOPE, armClient, blobService, credential, listAll, shapeMismatches, specExample, startForTests } from './testing.js';

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

/** Captures the raw JSON body of an SDK call (the SDK's own result is deserialized, with Dates). */
function raw(): { options: { onResponse: (r: { bodyAsText?: string | null; status: number; headers: { get(n: string): string | undefined } }) => void }; body: () => unknown; status: () => number; header: (n: string) => string | undefined } {
  let last: { bodyAsText?: string | null; status: number; headers: { get(n: string): string | undefined } } | undefined;
  return {
    options: { onResponse: (r) => (last = r) },
    body: () => (last?.bodyAsText ? JSON.parse(last.bodyAsText) : undefined),
    status: () => last?.status ?? 0,
    header: (n) => last?.headers.get(n),
  };
}

const example = (file: string, status = '200') => specExample(file).responses[status].body;

describe('workspaces, computes and datastores', () => {
  test('workspaces.get matches Workspace/get.json; mlFlowTrackingUri and discoveryUrl reach the emulator', async () => {
    const r = raw();
    const got = await client.workspaces.get(rg, ws, r.options);
    expect(r.header('x-ms-request-id')).toBeTruthy();
    expect(r.header('x-ms-correlation-request-id')).toBeTruthy();
    // Optional parts of the example this workspace does not have (no CMK, no user-assigned identity, no private link).
    const optional = ['properties.encryption', 'identity.userAssignedIdentities', 'properties.imageBuildCompute'];
    expect(shapeMismatches(r.body(), example('Workspace/get.json'), optional)).toEqual([]);
    expect(got.location).toBe('eastus');
    expect(got.mlFlowTrackingUri).toMatch(/^azureml:\/\/127\.0\.0\.1:\d+\/mlflow\/v1\.0\/subscriptions\/[^/]+\/resourceGroups\/rg-mlops-dev\/providers\/Microsoft\.MachineLearningServices\/workspaces\/mlw-mlops-dev$/);
    const discovery = await fetch(got.discoveryUrl!).then((res) => res.json() as Promise<{ history: string }>);
    expect(discovery.history).toBe(config.armEndpoint);
    // The tracking URI, with azureml:// replaced by https://, is the emulator's MLflow API.
    const token = (await credential(config).getToken(ARM_SCOPE)).token;
    const mlflow = await fetch(`${got.mlFlowTrackingUri!.replace(/^azureml:/, 'https:')}/api/2.0/mlflow/runs/get?run_id=nope`, { headers: { Authorization: `Bearer ${token}` } });
    expect(mlflow.status).toBe(404);
    expect(await mlflow.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  test('dev and prod live in separate resource groups and are listed there', async () => {
    const dev = await listAll(client.workspaces.listByResourceGroup(config.dev.resourceGroup));
    const prod = await listAll(client.workspaces.listByResourceGroup(config.prod.resourceGroup));
    expect(dev.map((w) => w.name)).toEqual([config.dev.workspace]);
    expect(prod.map((w) => w.name)).toEqual([config.prod.workspace]);
    expect((await listAll(client.workspaces.listBySubscription())).length).toBe(2);
    await expect(client.workspaces.get(rg, 'no-such-ws')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    await expect(client.workspaces.get('no-such-rg', ws)).rejects.toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
  });

  test('computes: cpu-cluster (AmlCompute) and k8s-compute (Kubernetes) match their examples', async () => {
    const r = raw();
    await client.computeOperations.get(rg, ws, 'cpu-cluster', r.options);
    expect(shapeMismatches(r.body(), example('Compute/get/AmlCompute.json'), ['properties.properties.subnet', 'properties.properties.virtualMachineImage'])).toEqual([]);
    const k = raw();
    const k8s = await client.computeOperations.get(rg, ws, 'k8s-compute', k.options);
    // Instance types are named by the cluster's owner; compare ours with the example's by value.
    const kExample = example('Compute/get/KubernetesCompute.json') as { properties: { properties: { instanceTypes: Record<string, unknown> } } };
    expect(shapeMismatches(k.body(), kExample, ['properties.properties.instanceTypes.defaultInstanceType'])).toEqual([]);
    const ours = (k.body() as typeof kExample).properties.properties.instanceTypes;
    expect(Object.keys(ours).length).toBeGreaterThan(0);
    for (const v of Object.values(ours)) expect(shapeMismatches(v, kExample.properties.properties.instanceTypes.defaultInstanceType)).toEqual([]);
    expect(k8s.properties?.computeType).toBe('Kubernetes');
    expect((await listAll(client.computeOperations.list(rg, ws))).map((c) => c.name).sort()).toEqual(['cpu-cluster', 'k8s-compute']);
    await expect(client.computeOperations.get(rg, ws, 'gpu-cluster')).rejects.toMatchObject({ statusCode: 404 });
  });

  test('datastores: list with isDefault, get and listSecrets; the key opens Azurite at endpoint/protocol', async () => {
    const r = raw();
    const defaults = await listAll(client.datastores.list(rg, ws, { isDefault: true, ...r.options }));
    expect(defaults.map((d) => d.name)).toEqual(['workspaceblobstore']);
    expect(shapeMismatches(r.body(), { value: (example('Datastore/list.json') as { value: unknown[] }).value })).toEqual([]);
    const props = defaults[0].properties as unknown as Record<string, unknown>;
    expect(props).toMatchObject({ datastoreType: 'AzureBlob', isDefault: true, protocol: 'http', endpoint: config.blobEndpoint.replace('http://', '') });
    expect((await listAll(client.datastores.list(rg, ws))).length).toBe(2);
    const s = raw();
    const secrets = await client.datastores.listSecrets(rg, ws, 'workspaceblobstore', s.options);
    expect(shapeMismatches(s.body(), example('Datastore/listSecrets.json'))).toEqual([]);
    expect(secrets.secretsType).toBe('AccountKey');
    const { service, container } = await blobService(client, rg, ws);
    await service.getContainerClient(container).getBlockBlobClient('hello/world.txt').upload('hi', 2);
    const downloaded = await service.getContainerClient(container).getBlobClient('hello/world.txt').downloadToBuffer();
    expect(downloaded.toString()).toBe('hi');
    // prod has its own account.
    const prod = await blobService(client, config.prod.resourceGroup, config.prod.workspace);
    expect(prod.account).not.toBe((await blobService(client, rg, ws)).account);
  });
});

describe('assets: containers and versions', () => {
  test('code, environment and data versions match their create examples; containers get latestVersion/nextVersion', async () => {
    const c = raw();
    await client.codeVersions.createOrUpdate(rg, ws, 'credit-src', '1', { properties: { codeUri: `${config.blobEndpoint}/mlopsdevstore/container/LocalUpload/abc/src`, isAnonymous: false, description: 'code', tags: { a: 'b' }, properties: { hash_sha256: 'x' } } }, c.options);
    expect(c.status()).toBe(201);
    expect(shapeMismatches(c.body(), example('CodeVersion/createOrUpdate.json', '201'))).toEqual([]);
    const e = raw();
    await client.environmentVersions.createOrUpdate(
      rg,
      ws,
      'credit-env',
      '1',
      {
        properties: {
          image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04',
          condaFile: 'name: env',
          build: { contextUri: 'https://example/context/', dockerfilePath: 'Dockerfile' },
          inferenceConfig: { livenessRoute: { path: '/', port: 5001 }, readinessRoute: { path: '/', port: 5001 }, scoringRoute: { path: '/score', port: 5001 } },
          description: 'env',
          tags: {},
          properties: {},
          isAnonymous: false,
        },
      },
      e.options,
    );
    expect(shapeMismatches(e.body(), example('EnvironmentVersion/createOrUpdate.json', '201'))).toEqual([]);
    const d = raw();
    await client.dataVersions.createOrUpdate(rg, ws, 'credit-data', '1', { properties: { dataType: 'uri_folder', dataUri: 'azureml://datastores/workspaceblobstore/paths/data/', description: 'd', tags: {}, properties: {}, isAnonymous: false } }, d.options);
    expect(shapeMismatches(d.body(), example('DataVersionBase/createOrUpdate.json', '201'))).toEqual([]);
    await client.codeVersions.createOrUpdate(rg, ws, 'credit-src', '2', { properties: { codeUri: `${config.blobEndpoint}/mlopsdevstore/container/LocalUpload/def/src` } });
    const container = await client.codeContainers.get(rg, ws, 'credit-src');
    expect(container.properties).toMatchObject({ latestVersion: '2', nextVersion: '3' });
    expect((await listAll(client.codeVersions.list(rg, ws, 'credit-src'))).map((v) => v.name)).toEqual(['2', '1']);
  });

  test('model versions: create, tags filter, nextVersion, immutability, delete; container matches ModelContainer/get.json', async () => {
    const m = raw();
    await client.modelVersions.createOrUpdate(
      rg,
      ws,
      'credit-model',
      '1',
      { properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/m1/', modelType: 'custom_model', description: 'first', tags: { stage: 'dev' }, properties: { auc: '0.7' }, flavors: { python_function: { data: { loader_module: 'x' } } }, isAnonymous: false } },
      m.options,
    );
    expect(shapeMismatches(m.body(), example('ModelVersion/createOrUpdate.json', '201'))).toEqual([]);
    await client.modelVersions.createOrUpdate(rg, ws, 'credit-model', '2', { properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/m2/', tags: { stage: 'prod' } } });
    const c = raw();
    const container = await client.modelContainers.get(rg, ws, 'credit-model', c.options);
    expect(shapeMismatches(c.body(), example('ModelContainer/get.json'), ['properties.tags.tag1', 'properties.tags.tag2'])).toEqual([]);
    expect(container.properties.nextVersion).toBe('3');
    expect((await listAll(client.modelVersions.list(rg, ws, 'credit-model', { tags: 'stage=prod' }))).map((v) => v.name)).toEqual(['2']);
    expect((await listAll(client.modelVersions.list(rg, ws, 'credit-model', { orderBy: 'createdtime asc', top: 1 }))).map((v) => v.name)).toEqual(['1']);
    // Tags and description may change; the model's location may not.
    await client.modelVersions.createOrUpdate(rg, ws, 'credit-model', '1', { properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/m1/', description: 'renamed' } });
    await expect(client.modelVersions.createOrUpdate(rg, ws, 'credit-model', '1', { properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/other/' } })).rejects.toMatchObject({ statusCode: 409 });
    await client.modelVersions.delete(rg, ws, 'credit-model', '2');
    await expect(client.modelVersions.get(rg, ws, 'credit-model', '2')).rejects.toMatchObject({ statusCode: 404, code: 'UserError' });
    await client.modelContainers.createOrUpdate(rg, ws, 'empty-model', { properties: { description: 'explicit container' } });
    expect((await client.modelContainers.get(rg, ws, 'empty-model')).properties).toMatchObject({ description: 'explicit container', nextVersion: '1' });
    await client.modelContainers.delete(rg, ws, 'empty-model');
    expect((await listAll(client.modelContainers.list(rg, ws))).map((x) => x.name)).toEqual(['credit-model']);
  });

  test('a missing required field is a 400 UserError with details, and lists page through nextLink', async () => {
    // The SDK checks required fields itself, so this goes over plain REST.
    const token = (await credential(config).getToken(ARM_SCOPE)).token;
    const url = `${config.armEndpoint}/subscriptions/${config.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${ws}/data/bad/versions/1?api-version=2022-10-01`;
    const res = await fetch(url, { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ properties: { dataType: 'uri_file' } }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'UserError', details: [{ code: 'Required', target: 'properties.dataUri' }], innerError: { code: 'BadArgument' } } });
    for (let i = 1; i <= 55; i++) await client.dataVersions.createOrUpdate(rg, ws, 'many', String(i), { properties: { dataType: 'uri_file', dataUri: `azureml://datastores/workspaceblobstore/paths/f${i}.csv` } });
    const seen: number[] = [];
    for await (const pageOf of client.dataVersions.list(rg, ws, 'many').byPage()) seen.push(pageOf.length);
    expect(seen).toEqual([50, 5]);
  });

  test('page sizes follow the admin setting and `count`; resource groups page with $skiptoken, ML lists with $skip', async () => {
    const token = (await credential(config).getToken(ARM_SCOPE)).token;
    const get = async (url: string) => {
      const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as { value: Array<{ name: string }>; nextLink?: string; error?: { code: string } } };
    };
    await adminCall(config, 'PATCH', '/settings', { listPageSize: 1 });
    try {
      // ARM's resource-group list: an empty token is the first page; nextLink carries `$skiptoken`, percent-encoded as ARM writes it.
      const first = await get(`${config.armEndpoint}/subscriptions/${config.subscriptionId}/resourcegroups?$skiptoken=&api-version=2021-04-01`);
      expect(first.status).toBe(200);
      expect(first.body.value).toHaveLength(1);
      expect(first.body.nextLink).toMatch(/[?&]%24skiptoken=[^&]+/);
      const second = await get(first.body.nextLink!);
      expect(second.body.value).toHaveLength(1);
      expect(second.body.nextLink).toBeUndefined();
      expect([first.body.value[0].name, second.body.value[0].name].sort()).toEqual([config.dev.resourceGroup, config.prod.resourceGroup].sort());
      // An ML list: `$skip` is the continuation token; the official client follows it page by page.
      const computes = `${config.armEndpoint}/subscriptions/${config.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${ws}/computes?api-version=2022-10-01`;
      const page1 = await get(computes);
      expect(page1.body.nextLink).toMatch(/[?&]%24skip=[^&]+/);
      const pages: number[] = [];
      for await (const p of client.computeOperations.list(rg, ws).byPage()) pages.push(p.length);
      expect(pages).toEqual([1, 1]);
      // A token the service did not hand out is refused.
      const bad = await get(`${computes}&$skip=not-a-token`);
      expect(bad.status).toBe(400);
      expect(bad.body.error?.code).toBe('InvalidSkipToken');
      // `count` (models, online endpoints, datastores) asks for a page size of its own.
      const datastores = await get(`${config.armEndpoint}/subscriptions/${config.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${ws}/datastores?api-version=2022-10-01&count=2`);
      expect(datastores.body.value.length).toBe(2);
    } finally {
      await adminCall(config, 'PATCH', '/settings', { listPageSize: 0 });
    }
  });
});

describe('jobs through ARM', () => {
  const env = 'azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest';
  const job = (props: Record<string, unknown>) => ({ properties: { jobType: 'Command', command: 'echo hi', environmentId: env, computeId: 'cpu-cluster', ...props } }) as never;

  test('PUT returns 201 NotStarted matching CommandJob/createOrUpdate.json; GET and list find it; cancel is an LRO', async () => {
    const r = raw();
    const created = await client.jobs.createOrUpdate(rg, ws, 'shape-job', job({ command: 'sleep 30', inputs: { n: { jobInputType: 'literal', value: '3' } }, outputs: { out: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' } }, limits: { jobLimitsType: 'Command', timeout: 'PT5M' }, environmentVariables: { A: 'b' }, displayName: 'shape', experimentName: 'exp', description: 'd', tags: { t: '1' }, properties: {} }), r.options);
    expect(r.status()).toBe(201);
    expect(created.properties.status).toBe('NotStarted');
    const optional = ['properties.distribution', 'properties.resources', 'properties.identity', 'properties.codeId', 'properties.services.*.port', 'properties.services.*.status', 'properties.services.*.errorMessage', 'properties.services.*.properties'];
    expect(shapeMismatches(r.body(), example('Job/CommandJob/createOrUpdate.json', '201'), optional)).toEqual([]);
    expect(String((r.body() as { properties: { computeId: string } }).properties.computeId)).toMatch(/\/workspaces\/mlw-mlops-dev\/computes\/cpu-cluster$/);
    expect((await listAll(client.jobs.list(rg, ws))).map((j) => j.name)).toContain('shape-job');
    // Whether the first poll already sees the end depends on timing; the LRO must end Canceled either way.
    const poller = await client.jobs.beginCancel(rg, ws, 'shape-job', { updateIntervalInMs: 20 });
    await poller.pollUntilDone();
    expect((await client.jobs.get(rg, ws, 'shape-job')).properties.status).toBe('Canceled');
  });

  test('the service validation: unknown compute, missing environment or code, a binding naming no input', async () => {
    const expectUserError = async (body: never, pattern: RegExp) => {
      const error = (await client.jobs.createOrUpdate(rg, ws, `bad-${Math.random().toString(36).slice(2, 8)}`, body).then(() => undefined, (e: unknown) => e)) as {
        statusCode?: number;
        code?: string;
        message?: string;
        details?: { error?: { innerError?: { code?: string }; target?: string } };
      };
      expect({ statusCode: error?.statusCode, code: error?.code, message: error?.message }).toMatchObject({ statusCode: 400, code: 'UserError', message: expect.stringMatching(pattern) });
      expect(error?.details?.error?.target).toBeTruthy();
    };
    await expectUserError(job({ computeId: 'no-such-cluster' }), /Compute 'no-such-cluster' was not found/);
    await expectUserError(job({ environmentId: 'azureml:missing-env:1' }), /Environment 'azureml:missing-env:1' was not found/);
    await expectUserError(job({ codeId: 'azureml:missing-code:1' }), /Code asset 'azureml:missing-code:1' was not found/);
    await expectUserError(job({ command: 'python train.py --lr ${{inputs.lr}}' }), /Invalid data binding expression '\$\{\{inputs\.lr\}\}'/);
    await expectUserError(job({ command: 'python train.py --out ${{outputs.model}}', outputs: {} }), /outputs\.model/);
    // A registered environment version is as good as a curated one.
    const envId = (await client.environmentVersions.createOrUpdate(rg, ws, 'job-env', '1', { properties: { image: 'python:3.11-slim' } })).id!;
    await client.jobs.createOrUpdate(rg, ws, 'registered-env', job({ environmentId: envId }));
    await client.jobs.beginCancelAndWait(rg, ws, 'registered-env', { updateIntervalInMs: 20 });
    // An optional [...] block may name an input that is not given.
    await client.jobs.createOrUpdate(rg, ws, 'optional-binding', job({ command: 'echo run [--lr ${{inputs.lr}}]' }));
    await client.jobs.beginCancelAndWait(rg, ws, 'optional-binding', { updateIntervalInMs: 20 });
    await expect(client.jobs.get(rg, ws, 'no-such-job')).rejects.toMatchObject({ statusCode: 404, code: 'UserError' });
  });
});
