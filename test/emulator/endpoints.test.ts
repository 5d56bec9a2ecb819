// Online endpoints serve for real: the sample's score.py and model behind a managed endpoint, created
// and changed through the official client's LRO pollers, answering test.json with key or token auth,
// routed by traffic or header; a failing init() ends provisioning Failed with its output in getLogs.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { RunningEmulator, ReadyConfig } from './index.js';
import { decodeJwt, signJwt } from './jwt.js';
import { adminCall, armClient, blobService, SAMPLE_PROJECT, shapeMismatches, specExample, startForTests, uploadFolder } from './testing.js';

let emulator: RunningEmulator;
let config: ReadyConfig;
let client: AzureMachineLearningWorkspaces;
let rg: string;
let ws: string;
let codeId: string;
let brokenCodeId: string;
let moodyCodeId: string;
let modelId: string;
let testJson: string;
const tmp: string[] = [];
const ENV = 'azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest';
const fast = { updateIntervalInMs: 25 };

beforeAll(async () => {
  emulator = await startForTests();
  config = emulator.config;
  client = armClient(config);
  rg = config.dev.resourceGroup;
  ws = config.dev.workspace;
  const { service, container } = await blobService(client, rg, ws);
  await uploadFolder(service, container, 'LocalUpload/aa11/src', path.join(SAMPLE_PROJECT, 'src'));
  codeId = (await client.codeVersions.createOrUpdate(rg, ws, 'credit-src', '1', { properties: { codeUri: `${service.url}/${container}/LocalUpload/aa11/src` } })).id!;
  // A model trained locally with the sample's own script, registered from a datastore path (a folder).
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emulator-model-'));
  tmp.push(dir);
  execFileSync('python3', [path.join(SAMPLE_PROJECT, 'src', 'train.py'), '--training-data', path.join(SAMPLE_PROJECT, 'data'), '--model-output', path.join(dir, 'model'), '--epochs', '50'], { env: { PATH: process.env.PATH } });
  await uploadFolder(service, container, 'LocalUpload/bb22/model', path.join(dir, 'model'));
  modelId = (
    await client.modelVersions.createOrUpdate(rg, ws, 'credit-default', '1', {
      properties: { modelUri: `azureml://subscriptions/${config.subscriptionId}/resourcegroups/${rg}/workspaces/${ws}/datastores/workspaceblobstore/paths/LocalUpload/bb22/model`, modelType: 'custom_model' },
    } as never)
  ).id!;
  // A scoring script whose init() fails.
  const broken = path.join(dir, 'broken');
  await import('node:fs/promises').then((fs) => fs.mkdir(broken));
  await writeFile(path.join(broken, 'score.py'), 'def init():\n    raise RuntimeError("model file is corrupt")\n\n\ndef run(raw_data):\n    return raw_data\n');
  await uploadFolder(service, container, 'LocalUpload/cc33/broken', broken);
  brokenCodeId = (await client.codeVersions.createOrUpdate(rg, ws, 'broken-src', '1', { properties: { codeUri: `${service.url}/${container}/LocalUpload/cc33/broken` } })).id!;
  // A scoring script whose run() can raise or be slow.
  const moody = path.join(dir, 'moody');
  await import('node:fs/promises').then((fs) => fs.mkdir(moody));
  await writeFile(
    path.join(moody, 'score.py'),
    'import json\nimport time\n\n\ndef init():\n    pass\n\n\ndef run(raw_data):\n    data = json.loads(raw_data)\n    if data.get("sleep"):\n        time.sleep(data["sleep"])\n    if data.get("raise"):\n        raise ValueError("cannot score this")\n    return {"echo": data}\n',
  );
  await uploadFolder(service, container, 'LocalUpload/dd44/moody', moody);
  moodyCodeId = (await client.codeVersions.createOrUpdate(rg, ws, 'moody-src', '1', { properties: { codeUri: `${service.url}/${container}/LocalUpload/dd44/moody` } })).id!;
  testJson = await readFile(path.join(SAMPLE_PROJECT, 'test.json'), 'utf8');
});

afterAll(async () => {
  await emulator?.stop();
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

const endpointBody = (authMode: string, traffic: Record<string, number> = {}, compute?: string) => ({
  location: 'eastus',
  identity: { type: 'SystemAssigned' },
  properties: { authMode, traffic, ...(compute ? { compute } : {}) },
});

const deploymentBody = (code = codeId, type: 'Managed' | 'Kubernetes' = 'Managed') => ({
  location: 'eastus',
  sku: { name: 'Default', capacity: 1 },
  properties: {
    endpointComputeType: type,
    model: modelId,
    codeConfiguration: { codeId: code, scoringScript: 'score.py' },
    environmentId: ENV,
    ...(type === 'Managed'
      ? { instanceType: 'Standard_DS3_v2' }
      : { instanceType: 'defaultinstancetype', containerResourceRequirements: { containerResourceRequests: { cpu: '0.5', memory: '1Gi' }, containerResourceLimits: { cpu: '1', memory: '2Gi' } } }),
    requestSettings: { requestTimeout: 'PT5S', maxConcurrentRequestsPerInstance: 1 },
  },
});

async function score(uri: string, auth: string, deployment?: string): Promise<{ status: number; body: unknown; deployment: string | null }> {
  const res = await fetch(uri, {
    method: 'POST',
    headers: { Authorization: `Bearer ${auth}`, 'content-type': 'application/json', ...(deployment ? { 'azureml-model-deployment': deployment } : {}) },
    body: testJson,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, deployment: res.headers.get('azureml-model-deployment') };
}

type Raw = { status: number; bodyAsText?: string | null; headers: { get(n: string): string | undefined } };
function rawCapture() {
  const all: Raw[] = [];
  return { options: { onResponse: (r: Raw) => void all.push(r) }, get: () => all[all.length - 1], first: () => all[0] };
}

describe('managed online endpoint serving the sample model', () => {
  let scoringUri: string;

  test('endpoint and deployment are created through beginCreateOrUpdateAndWait (Azure-AsyncOperation), and test.json is answered with key auth', async () => {
    const initial = rawCapture();
    const poller = await client.onlineEndpoints.beginCreateOrUpdate(rg, ws, 'credit-ep', endpointBody('Key') as never, { ...fast, ...initial.options });
    expect(initial.first().status).toBe(201);
    expect(initial.first().headers.get('azure-asyncoperation')).toMatch(/\/providers\/Microsoft\.MachineLearningServices\/locations\/eastus\/mfeOperationsStatus\/[^?]+\?api-version=2022-10-01$/);
    expect(initial.first().headers.get('location')).toMatch(/\/mfeOperationResults\/[^?]+\?api-version=2022-10-01$/);
    expect(JSON.parse(initial.first().bodyAsText!).properties.provisioningState).toBe('Creating');
    const ep = await poller.pollUntilDone();
    expect(ep.properties.provisioningState).toBe('Succeeded');
    scoringUri = ep.properties.scoringUri!;
    const dep = await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'credit-ep', 'blue', deploymentBody() as never, fast);
    expect(dep.properties.provisioningState).toBe('Succeeded');
    // Traffic is changed as az ml does it: GET the endpoint and PUT the whole body back.
    const current = await client.onlineEndpoints.get(rg, ws, 'credit-ep');
    current.properties.traffic = { blue: 100 };
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-ep', current, fast);
    const keys = await client.onlineEndpoints.listKeys(rg, ws, 'credit-ep');
    const answer = await score(scoringUri, keys.primaryKey!);
    expect(answer).toMatchObject({ status: 200, deployment: 'blue' });
    const body = answer.body as { predictions: number[]; probabilities: number[] };
    expect(body.predictions).toHaveLength(3);
    expect(body.probabilities.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect((await score(scoringUri, keys.secondaryKey!)).status).toBe(200);
    // Every scoring answer, refusals included, carries a request id for support and echoes the client's.
    for (const auth of [keys.primaryKey!, 'wrong-key']) {
      const traced = await fetch(scoringUri, { method: 'POST', headers: { Authorization: `Bearer ${auth}`, 'content-type': 'application/json', 'x-ms-client-request-id': 'smoke-1' }, body: testJson });
      expect(traced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(traced.headers.get('x-ms-client-request-id')).toBe('smoke-1');
    }
    expect((await score(scoringUri, 'wrong-key')).status).toBe(401);
  });

  test('GET, listKeys, getLogs and the deployment match their spec examples', async () => {
    const e = rawCapture();
    await client.onlineEndpoints.get(rg, ws, 'credit-ep', e.options);
    const epExample = specExample('OnlineEndpoint/get.json').responses['200'].body;
    // No compute (managed), no user-assigned identities, no sku on a managed endpoint.
    expect(shapeMismatches(JSON.parse(e.get().bodyAsText!), epExample, ['properties.compute', 'identity.userAssignedIdentities', 'sku', 'kind'])).toEqual([]);
    const d = rawCapture();
    await client.onlineDeployments.get(rg, ws, 'credit-ep', 'blue', d.options);
    const depExample = specExample('OnlineDeployment/ManagedOnlineDeployment/createOrUpdate.json').responses['200'].body;
    expect(shapeMismatches(JSON.parse(d.get().bodyAsText!), depExample, ['properties.modelMountPath', 'identity', 'kind', 'sku.tier', 'sku.size', 'sku.family'])).toEqual([]);
    const k = rawCapture();
    await client.onlineEndpoints.listKeys(rg, ws, 'credit-ep', k.options);
    expect(shapeMismatches(JSON.parse(k.get().bodyAsText!), specExample('OnlineEndpoint/listKeys.json').responses['200'].body)).toEqual([]);
    const l = rawCapture();
    const logs = await client.onlineDeployments.getLogs(rg, ws, 'credit-ep', 'blue', { containerType: 'InferenceServer', tail: 50 }, l.options);
    expect(shapeMismatches(JSON.parse(l.get().bodyAsText!), specExample('OnlineDeployment/getLogs.json').responses['200'].body)).toEqual([]);
    expect(logs.content).toMatch(/Calling init\(\)/);
    expect(logs.content).toMatch(/POST \/score/);
    const storage = await client.onlineDeployments.getLogs(rg, ws, 'credit-ep', 'blue', { containerType: 'StorageInitializer' });
    expect(storage.content).toMatch(/Model downloaded: 1 file/);
  });

  test('traffic must name existing deployments and sum to 100', async () => {
    await expect(client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-ep', endpointBody('Key', { blue: 50, ghost: 50 }) as never, fast)).rejects.toMatchObject({
      statusCode: 400,
      code: 'UserError',
      message: expect.stringMatching(/'ghost', which does not exist/),
    });
    await expect(client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-ep', endpointBody('Key', { blue: 90 }) as never, fast)).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/add up to 100/),
    });
  });

  test('routing: the azureml-model-deployment header picks a deployment, weights split the rest', async () => {
    await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'credit-ep', 'green', deploymentBody() as never, fast);
    const { primaryKey } = await client.onlineEndpoints.listKeys(rg, ws, 'credit-ep');
    // green has no traffic yet: only the header reaches it.
    expect((await score(scoringUri, primaryKey!, 'green')).deployment).toBe('green');
    for (let i = 0; i < 5; i++) expect((await score(scoringUri, primaryKey!)).deployment).toBe('blue');
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-ep', endpointBody('Key', { blue: 0, green: 100 }) as never, fast);
    for (let i = 0; i < 5; i++) expect((await score(scoringUri, primaryKey!)).deployment).toBe('green');
    expect((await score(scoringUri, primaryKey!, 'nope')).status).toBe(404);
    // A deployment with traffic cannot be deleted; scale it with PATCH instead.
    await expect(client.onlineDeployments.beginDeleteAndWait(rg, ws, 'credit-ep', 'green', fast)).rejects.toMatchObject({ statusCode: 400 });
    const scaled = await client.onlineDeployments.beginUpdateAndWait(rg, ws, 'credit-ep', 'green', { sku: { capacity: 2 } } as never, fast);
    expect(scaled.sku?.capacity).toBe(2);
    await client.onlineDeployments.beginDeleteAndWait(rg, ws, 'credit-ep', 'blue', fast);
    await expect(client.onlineDeployments.get(rg, ws, 'credit-ep', 'blue')).rejects.toMatchObject({ statusCode: 404 });
  });

  test('deleting the endpoint is an LRO that stops its deployments', async () => {
    await client.onlineEndpoints.beginDeleteAndWait(rg, ws, 'credit-ep', fast);
    await expect(client.onlineEndpoints.get(rg, ws, 'credit-ep')).rejects.toMatchObject({ statusCode: 404 });
    expect((await score(scoringUri, 'any')).status).toBe(404);
  });
});

describe('other endpoint behaviour', () => {
  test('AMLToken endpoints: the token operation (shape of getToken.json) gives a token the scoring URI accepts', async () => {
    const ep = await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-token', endpointBody('AMLToken') as never, fast);
    await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'credit-token', 'blue', deploymentBody() as never, fast);
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-token', endpointBody('AMLToken', { blue: 100 }) as never, fast);
    const t = rawCapture();
    const token = await client.onlineEndpoints.getToken(rg, ws, 'credit-token', t.options);
    expect(shapeMismatches(JSON.parse(t.get().bodyAsText!), specExample('OnlineEndpoint/getToken.json').responses['200'].body)).toEqual([]);
    expect((await score(ep.properties.scoringUri!, token.accessToken!)).status).toBe(200);
    expect((await score(ep.properties.scoringUri!, 'not-a-token')).status).toBe(401);
    await expect(client.onlineEndpoints.listKeys(rg, ws, 'credit-token')).rejects.toMatchObject({ statusCode: 400 });
  });

  test('AADToken endpoints: only an unexpired Entra token for https://ml.azure.com scores; keys, AML tokens, ARM tokens and forged tokens get 401; listKeys and token are refused', async () => {
    const ep = await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-aad', endpointBody('AADToken') as never, fast);
    expect(ep.properties.authMode).toBe('AADToken');
    await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'credit-aad', 'blue', deploymentBody() as never, fast);
    const uri = ep.properties.scoringUri!;
    const mint = async (audience: string, lifetime?: number) => (await adminCall<{ accessToken: string }>(config, 'POST', '/tokens', { audience, lifetime })).accessToken;
    const ml = await mint('https://ml.azure.com');
    expect(await score(uri, ml, 'blue')).toMatchObject({ status: 200, deployment: 'blue' });
    expect((await score(uri, await mint('https://ml.azure.com/'), 'blue')).status).toBe(200);
    // Not for this audience, expired, not issued by Entra, or not a token at all.
    const refused = await score(uri, await mint('https://management.azure.com'), 'blue');
    expect(refused).toMatchObject({ status: 401, body: { message: expect.stringContaining('https://ml.azure.com') } });
    expect((await score(uri, await mint('https://storage.azure.com'), 'blue')).status).toBe(401);
    expect((await score(uri, await mint('https://ml.azure.com', -60), 'blue')).status).toBe(401);
    const claims = decodeJwt(ml)!.claims;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect((await score(uri, signJwt(claims, privateKey, { kid: decodeJwt(ml)!.header.kid }), 'blue')).status).toBe(401);
    const keyEndpoint = await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-aad-key', endpointBody('Key') as never, fast);
    expect(keyEndpoint.properties.authMode).toBe('Key');
    const { primaryKey } = await client.onlineEndpoints.listKeys(rg, ws, 'credit-aad-key');
    expect((await score(uri, primaryKey!, 'blue')).status).toBe(401);
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-aad-aml', endpointBody('AMLToken') as never, fast);
    const amlToken = (await client.onlineEndpoints.getToken(rg, ws, 'credit-aad-aml')).accessToken!;
    expect((await score(uri, amlToken, 'blue')).status).toBe(401);
    // The spec: listKeys is for Key endpoints, token for AMLToken endpoints.
    await expect(client.onlineEndpoints.listKeys(rg, ws, 'credit-aad')).rejects.toMatchObject({ statusCode: 400 });
    await expect(client.onlineEndpoints.getToken(rg, ws, 'credit-aad')).rejects.toMatchObject({ statusCode: 400 });
  });

  test('a provisioning delay set through the admin API keeps one deployment Creating, and the endpoint refuses other operations (409) meanwhile', async () => {
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-slow', endpointBody('Key') as never, fast);
    await adminCall(config, 'POST', '/provisioning-delays', { count: 1, delayMs: 6000, pattern: '^credit-slow/blue$' });
    const poller = await client.onlineDeployments.beginCreateOrUpdate(rg, ws, 'credit-slow', 'blue', deploymentBody() as never, fast);
    expect((await client.onlineDeployments.get(rg, ws, 'credit-slow', 'blue')).properties.provisioningState).toBe('Creating');
    await expect(client.onlineDeployments.beginDeleteAndWait(rg, ws, 'credit-slow', 'blue', fast)).rejects.toMatchObject({ statusCode: 409 });
    expect((await poller.pollUntilDone()).properties.provisioningState).toBe('Succeeded');
    // The delay was for one deployment only: the next is provisioned at the usual pace, and deleting works again.
    await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'credit-slow', 'green', deploymentBody() as never, fast);
    await client.onlineDeployments.beginDeleteAndWait(rg, ws, 'credit-slow', 'blue', fast);
    await expect(adminCall(config, 'POST', '/provisioning-delays', { delayMs: -1 })).rejects.toThrow(/delayMs must be a non-negative number/);
  });

  test('an init() that raises ends provisioning Failed (ResourceNotReady) with its traceback in getLogs', async () => {
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-broken', endpointBody('Key') as never, fast);
    const error = await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'credit-broken', 'blue', deploymentBody(brokenCodeId) as never, fast).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/User container has crashed or terminated/);
    expect((await client.onlineDeployments.get(rg, ws, 'credit-broken', 'blue')).properties.provisioningState).toBe('Failed');
    const logs = await client.onlineDeployments.getLogs(rg, ws, 'credit-broken', 'blue', { containerType: 'InferenceServer' });
    expect(logs.content).toMatch(/RuntimeError: model file is corrupt/);
  });

  test('an exception in run() answers 424 with the container\'s status in ms-azureml-model-error-* headers, a run() slower than requestSettings.requestTimeout answers 408', async () => {
    const ep = await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-moody', endpointBody('Key') as never, fast);
    const body = deploymentBody(moodyCodeId) as { properties: { requestSettings: Record<string, unknown> } };
    body.properties.requestSettings = { requestTimeout: 'PT0.5S' };
    await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'credit-moody', 'blue', body as never, fast);
    const { primaryKey } = await client.onlineEndpoints.listKeys(rg, ws, 'credit-moody');
    const post = (payload: unknown) =>
      fetch(ep.properties.scoringUri!, { method: 'POST', headers: { Authorization: `Bearer ${primaryKey}`, 'content-type': 'application/json', 'azureml-model-deployment': 'blue' }, body: JSON.stringify(payload) });
    const ok = await post({ a: 1 });
    expect({ status: ok.status, body: await ok.json() }).toEqual({ status: 200, body: { echo: { a: 1 } } });
    const raised = await post({ raise: true });
    expect(raised.status).toBe(424);
    expect(raised.headers.get('ms-azureml-model-error-statuscode')).toBe('500');
    expect(raised.headers.get('ms-azureml-model-error-reason')).toBe('Internal Server Error');
    expect(raised.headers.get('x-ms-run-function-failed')).toBe('True');
    expect(await raised.text()).toMatch(/ValueError: cannot score this/);
    expect((await post({ sleep: 2 })).status).toBe(408);
    const logs = await client.onlineDeployments.getLogs(rg, ws, 'credit-moody', 'blue', { containerType: 'InferenceServer' });
    expect(logs.content).toMatch(/ValueError: cannot score this/);
  });

  test('a Kubernetes endpoint on k8s-compute serves too, and injected provisioning failures fail the LRO', async () => {
    const ep = await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'credit-k8s', endpointBody('Key', {}, 'azureml:k8s-compute') as never, fast);
    expect(ep.properties.compute).toMatch(/\/computes\/k8s-compute$/);
    await expect(client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'credit-k8s', 'blue', deploymentBody(codeId, 'Managed') as never, fast)).rejects.toMatchObject({ statusCode: 400 });
    await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'credit-k8s', 'blue', deploymentBody(codeId, 'Kubernetes') as never, fast);
    const d = rawCapture();
    await client.onlineDeployments.get(rg, ws, 'credit-k8s', 'blue', d.options);
    const k8sExample = specExample('OnlineDeployment/KubernetesOnlineDeployment/createOrUpdate.json').responses['200'].body;
    const k8sBody = JSON.parse(d.get().bodyAsText!);
    // Requests and limits are echoed as sent (no gpu asked for, none reported).
    expect(shapeMismatches(k8sBody, k8sExample, ['properties.modelMountPath', 'identity', 'kind', 'sku.tier', 'sku.size', 'sku.family', 'properties.containerResourceRequirements.*.gpu'])).toEqual([]);
    expect(k8sBody.properties.containerResourceRequirements).toEqual({ containerResourceRequests: { cpu: '0.5', memory: '1Gi' }, containerResourceLimits: { cpu: '1', memory: '2Gi' } });
    expect(k8sBody.properties).not.toHaveProperty('egressPublicNetworkAccess');
    const { primaryKey } = await client.onlineEndpoints.listKeys(rg, ws, 'credit-k8s');
    expect((await score(ep.properties.scoringUri!, primaryKey!, 'blue')).status).toBe(200);
    await adminCall(config, 'POST', '/provisioning-failures', { count: 1, message: 'Not enough quota in eastus.', pattern: '^credit-k8s/green$' });
    await expect(client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'credit-k8s', 'green', deploymentBody(codeId, 'Kubernetes') as never, fast)).rejects.toThrow(/Not enough quota/);
  });
});
