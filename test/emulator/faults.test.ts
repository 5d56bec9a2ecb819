// Fault injection through the admin API: throttling with Retry-After, 5xx, dropped connections and
// latency on the HTTPS API (retried by the official SDK), storage errors and corrupted bytes on the
// blob proxy, and the request log.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { AzureMachineLearningWorkspaces as Client } from '@azure/arm-machinelearning';
import type { RunningEmulator, ReadyConfig } from './index.js';
import { chaosRules, Faults, type RequestLogEntry } from './faults.js';
import { adminCall, ARM_SCOPE, armClient, blobService, credential, startForTests } from './testing.js';

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
  await client.workspaces.get(rg, ws); // token cached, so the log below only shows ARM calls
  await adminCall(config, 'POST', '/reset');
});

afterEach(async () => {
  await adminCall(config, 'POST', '/reset');
});

afterAll(async () => {
  await emulator?.stop();
});

const requests = async (target?: 'api' | 'blob') => (await adminCall<{ value: RequestLogEntry[] }>(config, 'GET', `/requests${target ? `?target=${target}` : ''}`)).value;
const workspacePath = () => `/subscriptions/${config.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${ws}`;

describe('API faults', () => {
  test('a 429 with Retry-After is retried by the official SDK after the advertised delay', async () => {
    await adminCall(config, 'POST', '/faults', { method: 'GET', path: '/workspaces/mlw-mlops-dev$', status: 429, retryAfter: 1, count: 1 });
    const started = Date.now();
    const got = await client.workspaces.get(rg, ws);
    const elapsed = Date.now() - started;
    expect(got.name).toBe(ws);
    const log = (await requests('api')).filter((r) => r.path.startsWith(workspacePath()));
    expect(log.map((r) => r.status)).toEqual([429, 200]);
    expect(log[0].fault).toBeTruthy();
    expect(elapsed).toBeGreaterThanOrEqual(950);
  });

  test('the throttled answer carries Retry-After and an ARM error body', async () => {
    await adminCall(config, 'POST', '/faults', { path: '/workspaces/mlw-mlops-dev$', status: 429, retryAfter: 7, count: 1 });
    const token = (await credential(config).getToken(ARM_SCOPE)).token;
    const res = await fetch(`${config.armEndpoint}${workspacePath()}?api-version=2022-10-01`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('x-ms-request-id')).toBeTruthy();
    expect(await res.json()).toMatchObject({ error: { code: 'TooManyRequests', message: expect.stringMatching(/throttled/) } });
    const again = await fetch(`${config.armEndpoint}${workspacePath()}?api-version=2022-10-01`, { headers: { Authorization: `Bearer ${token}` } });
    expect(again.status).toBe(200);
  });

  test('500, 503 and a dropped connection are retried; latency is added; all shows in the request log', async () => {
    const quick = new Client(credential(config), config.subscriptionId, { endpoint: config.armEndpoint, credentialScopes: [ARM_SCOPE], retryOptions: { retryDelayInMs: 20, maxRetryDelayInMs: 50 } });
    await adminCall(config, 'POST', '/faults', [
      { method: 'GET', path: '/computes/cpu-cluster$', status: 500, count: 1 },
      { method: 'GET', path: '/computes/cpu-cluster$', status: 503, retryAfter: 0, count: 1 },
      { method: 'GET', path: '/computes/cpu-cluster$', reset: true, count: 1 },
      { method: 'GET', path: '/computes/k8s-compute$', latencyMs: 300, count: 1 },
    ]);
    expect((await quick.computeOperations.get(rg, ws, 'cpu-cluster')).name).toBe('cpu-cluster');
    expect((await quick.computeOperations.get(rg, ws, 'k8s-compute')).name).toBe('k8s-compute');
    const log = await requests('api');
    expect(log.filter((r) => r.path.includes('/computes/cpu-cluster')).map((r) => r.status)).toEqual([500, 503, 0, 200]);
    const slow = log.filter((r) => r.path.includes('/computes/k8s-compute'));
    expect(slow.map((r) => r.status)).toEqual([200]);
    expect(slow[0].durationMs).toBeGreaterThanOrEqual(290);
    for (const entry of log) expect(entry).toMatchObject({ method: expect.any(String), path: expect.any(String), status: expect.any(Number), durationMs: expect.any(Number) });
  });

  test('a rule with probability 0 never fires, rules can be listed and removed, and the log resets', async () => {
    const { value } = await adminCall<{ value: { id: string }[] }>(config, 'POST', '/faults', { path: '/workspaces/', status: 500, probability: 0 });
    for (let i = 0; i < 5; i++) await client.workspaces.get(rg, ws);
    expect((await adminCall<{ value: { id: string; fired: number }[] }>(config, 'GET', '/faults')).value).toEqual([expect.objectContaining({ id: value[0].id, fired: 0 })]);
    await adminCall(config, 'DELETE', `/faults/${value[0].id}`);
    expect((await adminCall<{ value: unknown[] }>(config, 'GET', '/faults')).value).toEqual([]);
    expect((await requests()).length).toBeGreaterThanOrEqual(5);
    await adminCall(config, 'DELETE', '/requests');
    expect(await requests()).toEqual([]);
  });
});

describe('blob faults (the proxy in front of Azurite)', () => {
  test('a storage 503 ServerBusy is retried by @azure/storage-blob; corrupted bytes reach the client unnoticed', async () => {
    const { service, container } = await blobService(client, rg, ws);
    const blob = service.getContainerClient(container).getBlockBlobClient('faults/data.bin');
    const data = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
    await adminCall(config, 'POST', '/faults', { target: 'blob', method: 'PUT', path: '/faults/data\\.bin$', status: 503, retryAfter: 0, count: 1 });
    await blob.upload(data, data.length, { onProgress: undefined });
    const puts = (await requests('blob')).filter((r) => r.method === 'PUT' && r.path.includes('/faults/data.bin'));
    expect(puts.map((r) => r.status)).toEqual([503, 201]);

    await adminCall(config, 'POST', '/faults', { target: 'blob', method: 'GET', path: '/faults/data\\.bin$', corrupt: true, count: 1 });
    const corrupted = await blob.downloadToBuffer();
    expect(corrupted.length).toBe(data.length);
    expect(corrupted.equals(data)).toBe(false);
    expect((await blob.downloadToBuffer()).equals(data)).toBe(true);
  });
});

describe('chaos rules', () => {
  test('disturb the given share of what a step calls, in the stated mix, and nothing else', () => {
    const faults = new Faults();
    for (const rule of chaosRules(0.2)) faults.add(rule);
    const n = 20000;
    const counts = new Map<string, number>();
    for (const [target, path] of [
      ['api', '/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/jobs/j'],
      ['blob', '/mlopsdevstore/azureml-blobstore-x/LocalUpload/h/src/train.py'],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const id = faults.pick(target, 'GET', path)?.id;
        if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    const share = (id: string) => (counts.get(id) ?? 0) / n;
    for (const target of ['api', 'blob']) {
      const total = ['throttled', 'server-error', 'reset', 'slow'].reduce((sum, kind) => sum + share(`chaos-${target}-${kind}`), 0);
      expect(total).toBeGreaterThan(0.18);
      expect(total).toBeLessThan(0.22);
      expect(share(`chaos-${target}-throttled`)).toBeGreaterThan(0.05);
      expect(share(`chaos-${target}-slow`)).toBeGreaterThan(0.03);
    }
    // Sign-in, the CI issuers and a job's own MLflow writes are left alone.
    for (const path of ['/t/oauth2/v2.0/token', '/github/idtoken', '/mlflow/v1.0/subscriptions/s/api/2.0/mlflow/runs/log-batch']) {
      for (let i = 0; i < 200; i++) expect(faults.pick('api', 'POST', path)).toBeUndefined();
    }
    // Storage is throttled the way storage throttles: 503 ServerBusy, never 429.
    expect(chaosRules(0.2).filter((r) => r.target === 'blob').map((r) => r.status)).not.toContain(429);
  });
});
