// The classic editor's dropdowns: every dataSourceBinding in every generated task.json is resolved the way
// the Azure DevOps server resolves it — `{{{endpoint.*}}}` from the AzureRM service connection, `$(input)`
// from the other inputs, a GET with the connection's ARM token, then the `jsonpath:` result selector — and
// sent to the emulator. What comes back must be what the official ARM client lists for the same resource.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { shippedSteps } from '../../shared/steps/catalog.js';
import { taskFolder } from '../../shared/platform/declaration.js';
import type { RunningEmulator } from '../emulator/index.js';
import { ARM_SCOPE, armClient, credential, listAll, startForTests } from '../emulator/testing.js';
import { ROOT } from '../helpers/paths.js';

interface Binding {
  target: string;
  endpointId: string;
  endpointUrl: string;
  resultSelector: string;
}

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startForTests();
  // A model, so the model dropdowns have something to list.
  const c = emulator.config;
  await armClient(c).modelVersions.createOrUpdate(c.dev.resourceGroup, c.dev.workspace, 'credit-default', '1', {
    properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/credit-default/', modelType: 'custom_model' },
  });
}, 120000);
afterAll(async () => {
  await emulator?.stop();
});

/** `{{{endpoint.url}}}`, `{{{endpoint.subscriptionId}}}` and `$(input)`, as the server fills them in. */
function resolveUrl(template: string, endpoint: Record<string, string>, inputs: Record<string, string>): string {
  return template
    .replace(/\{\{\{endpoint\.(\w+)\}\}\}/g, (_, key: string) => {
      if (!(key in endpoint)) throw new Error(`The binding reads endpoint.${key}, which an AzureRM connection does not have.`);
      return endpoint[key];
    })
    .replace(/\$\((\w+)\)/g, (_, name: string) => {
      if (!(name in inputs)) throw new Error(`The binding reads $(${name}), which the test did not fill in.`);
      return encodeURIComponent(inputs[name]);
    });
}

/** The `jsonpath:$.value[*].<field>` selectors the bindings use. */
function select(selector: string, body: { value?: Array<Record<string, unknown>> }): string[] {
  const m = /^jsonpath:\$\.value\[\*\]\.(\w+)$/.exec(selector);
  if (!m) throw new Error(`Unexpected result selector ${selector}`);
  return (body.value ?? []).map((item) => String(item[m[1]]));
}

const bindings = shippedSteps.flatMap((step) => {
  const task = JSON.parse(fs.readFileSync(path.join(ROOT, 'tasks', taskFolder(step), 'task.json'), 'utf8'));
  return ((task.dataSourceBindings ?? []) as Binding[]).map((b) => [`${task.name}.${b.target}`, b] as const);
});

test('the Azure steps offer dropdowns for resource group and workspace, train for its compute, register and transfer for the model', () => {
  const names = bindings.map(([name]) => name);
  expect(names).toEqual(
    expect.arrayContaining(['Train.resourceGroup', 'Train.workspace', 'Train.compute', 'RegisterModel.name', 'TransferModel.name', 'TransferModel.targetResourceGroup', 'TransferModel.targetWorkspace']),
  );
});

describe.each(bindings)('%s', (_name, binding) => {
  test('lists what ARM has, read through the service connection', async () => {
    const c = emulator.config;
    const endpoint = { url: `${c.armEndpoint}/`, subscriptionId: c.subscriptionId };
    // The source workspace in dev; a transfer's target in prod.
    const inputs = { resourceGroup: c.dev.resourceGroup, workspace: c.dev.workspace, targetResourceGroup: c.prod.resourceGroup };
    const url = resolveUrl(binding.endpointUrl, endpoint, inputs);
    const token = await credential(c).getToken(ARM_SCOPE);
    const response = await fetch(url, { headers: { authorization: `Bearer ${token!.token}` } });
    expect(response.status).toBe(200);
    const listed = select(binding.resultSelector, (await response.json()) as { value?: Array<Record<string, unknown>> });

    const client = armClient(c);
    const path = new URL(url).pathname.toLowerCase();
    const rg = decodeURIComponent(/\/resourcegroups\/([^/]+)/.exec(path)?.[1] ?? '');
    const ws = decodeURIComponent(/\/workspaces\/([^/]+)/.exec(path)?.[1] ?? '');
    let expected: string[];
    if (path.endsWith('/resourcegroups')) expected = [c.dev.resourceGroup, c.prod.resourceGroup];
    else if (path.endsWith('/workspaces')) expected = (await listAll(client.workspaces.listByResourceGroup(rg))).map((w) => w.name!);
    else if (path.endsWith('/computes')) expected = (await listAll(client.computeOperations.list(rg, ws))).map((x) => x.name!);
    else if (path.endsWith('/onlineendpoints')) expected = (await listAll(client.onlineEndpoints.list(rg, ws))).map((x) => x.name!);
    else if (path.endsWith('/models')) expected = (await listAll(client.modelContainers.list(rg, ws))).map((x) => x.name!);
    else throw new Error(`No expectation for ${path}`);
    expect(listed.sort()).toEqual([...new Set(expected)].sort());
    if (!path.endsWith('/onlineendpoints')) expect(listed.length).toBeGreaterThan(0);
  });
});
