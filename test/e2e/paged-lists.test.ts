// The product's own list calls read every page. With the emulator answering one item per page, each list the
// steps make — an endpoint's deployments (smoke test, rollback), model versions by tag or property (register,
// transfer), the default datastore (train, register) — must still see every item, because each follows
// nextLink until a page has none.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatastoreResolver } from '../../shared/azureml/datastores.js';
import { openEndpoints } from '../../shared/azureml/endpoints.js';
import { JobClient } from '../../shared/azureml/jobs.js';
import { ModelRegistry } from '../../shared/azureml/models.js';
import type { RunningEmulator } from '../emulator/index.js';
import { adminCall, armClient, blobService, putJob, startForTests, uploadFolder, waitForJob } from '../emulator/testing.js';
import { emulatorArm } from '../helpers/emulator-arm.js';

let emulator: RunningEmulator;
let dir: string;
beforeAll(async () => {
  emulator = await startForTests({ listPageSize: 1 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'paged-lists-'));
}, 120000);
afterAll(async () => {
  await emulator?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const connect = () => emulatorArm(emulator.config);

/** GETs of a path (ending as given) the emulator answered, from its request log. */
async function listCalls(pathEnd: RegExp): Promise<number> {
  const log = await adminCall<{ value: Array<{ method: string; path: string }> }>(emulator.config, 'GET', '/requests?target=api');
  return log.value.filter((r) => r.method === 'GET' && pathEnd.test(r.path.split('?')[0])).length;
}

test("an endpoint's deployments: all of them, one page each", async () => {
  const c = emulator.config;
  const client = armClient(c);
  const rg = c.dev.resourceGroup;
  const ws = c.dev.workspace;
  // A scoring script that loads nothing and a model folder with one file: enough for a deployment to run.
  const { service, container } = await blobService(client, rg, ws);
  await writeFile(path.join(dir, 'score.py'), 'def init():\n    pass\n\n\ndef run(raw_data):\n    return raw_data\n');
  await uploadFolder(service, container, 'LocalUpload/paged/src', dir);
  const codeId = (await client.codeVersions.createOrUpdate(rg, ws, 'paged-src', '1', { properties: { codeUri: `${service.url}/${container}/LocalUpload/paged/src` } })).id!;
  const modelId = (
    await client.modelVersions.createOrUpdate(rg, ws, 'paged-model', '1', {
      properties: { modelUri: `azureml://subscriptions/${c.subscriptionId}/resourcegroups/${rg}/workspaces/${ws}/datastores/workspaceblobstore/paths/LocalUpload/paged/src`, modelType: 'custom_model' },
    } as never)
  ).id!;
  const fast = { updateIntervalInMs: 25 };
  await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'paged-ep', { location: 'eastus', identity: { type: 'SystemAssigned' }, properties: { authMode: 'Key' } } as never, fast);
  const names = ['blue', 'green', 'red'];
  for (const name of names) {
    await client.onlineDeployments.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'paged-ep',
      name,
      {
        location: 'eastus',
        sku: { name: 'Default', capacity: 1 },
        properties: {
          endpointComputeType: 'Managed',
          model: modelId,
          codeConfiguration: { codeId, scoringScript: 'score.py' },
          environmentId: 'azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest',
          instanceType: 'Standard_DS3_v2',
        },
      } as never,
      fast,
    );
  }

  const { platform, access, arm, ws: ref } = await connect();
  const endpoints = openEndpoints({ arm, ws: ref, access }, platform);
  await adminCall(c, 'DELETE', '/requests');
  const listed = (await endpoints.listDeployments('paged-ep')).map((d) => d.name);
  expect(listed.sort()).toEqual(names);
  expect(await listCalls(/\/onlineEndpoints\/paged-ep\/deployments$/i)).toBe(3);
}, 180000);

test('model versions by tag: every matching version, newest first, across pages', async () => {
  const c = emulator.config;
  const client = armClient(c);
  for (const v of ['1', '2', '3', '4']) {
    await client.modelVersions.createOrUpdate(c.dev.resourceGroup, c.dev.workspace, 'tagged', v, {
      properties: { modelUri: `azureml://datastores/workspaceblobstore/paths/models/tagged/${v}/`, modelType: 'custom_model', tags: Number(v) % 2 ? { stage: 'qa' } : {} },
    });
  }
  const { arm, ws } = await connect();
  const registry = new ModelRegistry(arm, ws);
  await adminCall(c, 'DELETE', '/requests');
  expect((await registry.list('tagged', { tags: 'stage=qa' })).map((v) => v.name)).toEqual(['3', '1']);
  expect(await listCalls(/\/models\/tagged\/versions$/i)).toBe(2);
  // `newestWithTag` needs only the first match: it stops after the first page.
  await adminCall(c, 'DELETE', '/requests');
  expect((await registry.newestWithTag('tagged', 'stage', 'qa'))?.name).toBe('3');
  expect(await listCalls(/\/models\/tagged\/versions$/i)).toBe(1);
});

test('the default datastore is found when it is not on the first page', async () => {
  const c = emulator.config;
  const { platform, access, stats, arm, ws } = await connect();
  // Without the isDefault filter the default datastore is not first; the product asks with the filter, and
  // reads every page of what comes back either way.
  const all = await arm.list<{ name: string; properties: { isDefault: boolean } }>(`/subscriptions/${c.subscriptionId}/resourceGroups/${c.dev.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${c.dev.workspace}/datastores`, 'Listing datastores');
  expect(all.length).toBeGreaterThan(1);
  expect(all.filter((d) => d.properties.isDefault).map((d) => d.name)).toEqual(['workspaceblobstore']);
  const resolver = new DatastoreResolver(platform, arm, access, stats);
  expect((await resolver.default(ws)).name).toBe('workspaceblobstore');
});

test("a pipeline's child runs: all of them, one page each (run history's continuation)", async () => {
  const c = emulator.config;
  const client = armClient(c);
  const rg = c.dev.resourceGroup;
  const computeId = (await client.computeOperations.get(rg, c.dev.workspace, 'cpu-cluster')).id!;
  const step = (n: number) => ({ type: 'command', environment: 'azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest', command: `echo step ${n}`, inputs: {}, outputs: {} });
  const put = await putJob(c, rg, c.dev.workspace, 'paged-pipeline', {
    properties: { jobType: 'Pipeline', settings: { default_compute: computeId }, inputs: {}, outputs: {}, jobs: { a: step(1), b: step(2), c: step(3) } },
  });
  expect(put.status).toBeLessThan(300);
  await waitForJob(client, rg, c.dev.workspace, 'paged-pipeline', undefined, 90_000);
  const { platform, access, stats, arm, ws } = await connect();
  const jobs = new JobClient(arm, platform, stats, access.credential, access.cloud.armScope, ws);
  await adminCall(c, 'DELETE', '/requests');
  expect((await jobs.children('paged-pipeline')).map((r) => r.displayName).sort()).toEqual(['a', 'b', 'c']);
  expect(await listCalls(/\/runs\/paged-pipeline\/children$/i)).toBe(3);
}, 180000);
