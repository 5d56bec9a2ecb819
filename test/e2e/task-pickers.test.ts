// The classic editor's dropdowns: every dataSourceBinding in every generated task.json is resolved the way
// the Azure DevOps server resolves it (test/helpers/data-source-binding.ts) — `{{{endpoint.*}}}` from the
// AzureRM service connection, `$(input)` from the other inputs, a GET with the connection's ARM token, the
// `jsonpath:` result selector, and the paging callbacks: initial context, then a call per `nextLink` while
// the callback-required template says so — and sent to the emulator, whose lists page as ARM's do. What the
// dropdown lists must be what the official ARM client lists for the same resource, every page of it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { shippedSteps } from '../../shared/steps/catalog.js';
import { taskFolder } from '../../shared/platform/declaration.js';
import type { RunningEmulator } from '../emulator/index.js';
import { adminCall, ARM_SCOPE, armClient, credential, listAll, startForTests } from '../emulator/testing.js';
import { MAX_CALLS, render, resolveBinding, type DataSourceBinding } from '../helpers/data-source-binding.js';
import { ROOT } from '../helpers/paths.js';

let emulator: RunningEmulator;
const LONG = Array.from({ length: 7 }, (_, i) => `model-${String(i + 1).padStart(2, '0')}`);
// One item per page: every list of two or more items goes through the binding's callbacks.
beforeAll(async () => {
  emulator = await startForTests({ listPageSize: 1 });
  // A model, so the model dropdowns have something to list.
  const c = emulator.config;
  await armClient(c).modelVersions.createOrUpdate(c.dev.resourceGroup, c.dev.workspace, 'credit-default', '1', {
    properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/credit-default/', modelType: 'custom_model' },
  });
  // A long list in prod, so the dev lists above stay short.
  for (const name of LONG) {
    await armClient(c).modelVersions.createOrUpdate(c.prod.resourceGroup, c.prod.workspace, name, '1', {
      properties: { modelUri: `azureml://datastores/workspaceblobstore/paths/models/${name}/`, modelType: 'custom_model' },
    });
  }
}, 120000);
afterAll(async () => {
  await emulator?.stop();
});

/** The service connection as the server knows it, and a GET with its ARM token. */
async function connection() {
  const c = emulator.config;
  const endpoint = { url: `${c.armEndpoint}/`, subscriptionId: c.subscriptionId };
  const token = await credential(c).getToken(ARM_SCOPE);
  const get = async (url: string) => {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token!.token}` } });
    return { status: response.status, body: (await response.json()) as unknown, headers: Object.fromEntries(response.headers) };
  };
  return { endpoint, get };
}

const bindings = shippedSteps.flatMap((step) => {
  const task = JSON.parse(fs.readFileSync(path.join(ROOT, 'tasks', taskFolder(step), 'task.json'), 'utf8'));
  return ((task.dataSourceBindings ?? []) as DataSourceBinding[]).map((b) => [`${task.name}.${b.target}`, b] as const);
});

test('the Azure steps offer dropdowns for resource group and workspace, train for its compute, register and transfer for the model', () => {
  const names = bindings.map(([name]) => name);
  expect(names).toEqual(
    expect.arrayContaining(['Train.resourceGroup', 'Train.workspace', 'Train.compute', 'RegisterModel.name', 'TransferModel.name', 'TransferModel.targetResourceGroup', 'TransferModel.targetWorkspace']),
  );
});

describe.each(bindings)('%s', (_name, binding) => {
  test('lists every item ARM has, page after page, read through the service connection', async () => {
    const c = emulator.config;
    const { endpoint, get } = await connection();
    // The source workspace in dev; a transfer's target in prod.
    const inputs = { resourceGroup: c.dev.resourceGroup, workspace: c.dev.workspace, targetResourceGroup: c.prod.resourceGroup };
    const { items: listed, urls, truncated } = await resolveBinding(binding, endpoint, inputs, get);
    expect(truncated).toBe(false);

    const client = armClient(c);
    const path = new URL(urls[0]).pathname.toLowerCase();
    const rg = decodeURIComponent(/\/resourcegroups\/([^/]+)/.exec(path)?.[1] ?? '');
    const ws = decodeURIComponent(/\/workspaces\/([^/]+)/.exec(path)?.[1] ?? '');
    let expected: string[];
    if (path.endsWith('/resourcegroups')) expected = [c.dev.resourceGroup, c.prod.resourceGroup];
    else if (path.endsWith('/workspaces')) expected = (await listAll(client.workspaces.listByResourceGroup(rg))).map((w) => w.name!);
    else if (path.endsWith('/computes')) expected = (await listAll(client.computeOperations.list(rg, ws))).map((x) => x.name!);
    else if (path.endsWith('/onlineendpoints')) expected = (await listAll(client.onlineEndpoints.list(rg, ws))).map((x) => x.name!);
    else if (path.endsWith('/models')) expected = (await listAll(client.modelContainers.list(rg, ws))).map((x) => x.name!);
    else throw new Error(`No expectation for ${path}`);
    // The official client follows nextLink; the dropdown lists the same items once each, in the same order.
    if (path.endsWith('/resourcegroups')) expect([...listed].sort()).toEqual([...expected].sort());
    else expect(listed).toEqual(expected);
    expect(new Set(listed).size).toBe(listed.length);
    // One call per page (a page holds one item here; an empty list is one empty page).
    expect(urls).toHaveLength(Math.max(1, listed.length));
    if (!path.endsWith('/onlineendpoints')) expect(listed.length).toBeGreaterThan(0);
  });
});

test('a long list: 7 models, 3 to a page, appear once each and in order after 3 calls', async () => {
  const c = emulator.config;
  const [, binding] = bindings.find(([name]) => name === 'RegisterModel.name')!;
  const { endpoint, get } = await connection();
  await adminCall(c, 'PATCH', '/settings', { listPageSize: 3 });
  try {
    const { items, urls, truncated } = await resolveBinding(binding, endpoint, { resourceGroup: c.prod.resourceGroup, workspace: c.prod.workspace }, get);
    expect(items).toEqual(LONG);
    expect(urls).toHaveLength(3);
    expect(truncated).toBe(false);
    // The first call sends an empty token; the next ones the token taken from nextLink.
    expect(urls.map((u) => new URL(u).searchParams.get('$skip'))).toEqual(['', expect.stringMatching(/.+/), expect.stringMatching(/.+/)]);
  } finally {
    await adminCall(c, 'PATCH', '/settings', { listPageSize: 1 });
  }
});

test("the server's limit of five calls: a longer list stops there, and the resolver says so", async () => {
  const c = emulator.config;
  const [, binding] = bindings.find(([name]) => name === 'RegisterModel.name')!;
  const { endpoint, get } = await connection();
  // The 7 models, one to a page.
  const { items, urls, truncated } = await resolveBinding(binding, endpoint, { resourceGroup: c.prod.resourceGroup, workspace: c.prod.workspace }, get);
  expect(urls).toHaveLength(MAX_CALLS);
  expect(items).toHaveLength(MAX_CALLS);
  expect(truncated).toBe(true);
});

test("the bindings' continuation tokens come out of ARM's own nextLink shapes unchanged", () => {
  const bindingOf = (name: string) => bindings.find(([n]) => n === name)![1];
  // A resource-group list's nextLink as ARM writes it: `$` percent-encoded, the token percent-encoded.
  const armNext = { nextLink: 'https://management.azure.com/subscriptions/s/resourcegroups?api-version=2021-04-01&%24skiptoken=eyJuZXh0IjoiMSJ9%3d' };
  expect(JSON.parse(render(bindingOf('Train.resourceGroup').callbackContextTemplate!, { response: armNext }))).toEqual({ skiptoken: 'eyJuZXh0IjoiMSJ9%3d' });
  // An ML list's nextLink with `$skip` written either way.
  for (const nextLink of ['https://x/computes?api-version=2022-10-01&%24skip=abc%2Fdef', 'https://x/computes?api-version=2022-10-01&$skip=abc%2Fdef']) {
    expect(JSON.parse(render(bindingOf('Train.compute').callbackContextTemplate!, { response: { nextLink } }))).toEqual({ skip: 'abc%2Fdef' });
  }
  expect(render(bindingOf('Train.compute').callbackRequiredTemplate!, { response: { value: [] } })).toBe('false');
  expect(render(bindingOf('Train.compute').callbackRequiredTemplate!, { response: { value: [], nextLink: 'https://x/?%24skip=1' } })).toBe('true');
});
