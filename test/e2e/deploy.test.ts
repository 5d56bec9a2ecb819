// The deploy and smoke-test bundles under both contracts against the emulator: the sample model to a
// managed endpoint and to a Kubernetes endpoint, smoke-tested with examples/credit-default/test.json; a
// second version blue-green (50 % then 100 %, the old deployment deleted); a deployment whose init()
// raises rolls back with the traffic unchanged and the traceback shown; a wrong expected answer fails
// the smoke test with the diff; user mistakes as one sentence with nothing sent. No secret (client
// secret, tokens, endpoint keys) may appear in anything a run printed or wrote.
//
// The model is registered here through ARM, as the register and transfer steps will register it: a
// folder trained by the sample's own script, uploaded to the workspace's default datastore.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deployDeclaration } from '../../shared/steps/deploy/declaration.js';
import { smokeTestDeclaration } from '../../shared/steps/smoke-test/declaration.js';
import type { StepDeclaration } from '../../shared/platform/declaration.js';
import { start, type RunningEmulator } from '../emulator/index.js';
import { armClient, blobService, trustCa, uploadFolder } from '../emulator/testing.js';
import { githubWorkspaceInputs, serviceConnectionEnv } from '../helpers/azure-env.js';
import { CONTRACTS, type Contract } from '../helpers/both.js';
import { workspaceFrom, type StepRun } from '../helpers/contracts.js';
import { readJUnit } from '../helpers/reports.js';
import { ROOT } from '../helpers/paths.js';

const SAMPLE = path.join(ROOT, 'examples', 'credit-default');
let emulator: RunningEmulator;
let client: AzureMachineLearningWorkspaces;
const runs: StepRun[] = [];
const tmp: string[] = [];

/** Trains the sample model locally and registers it as credit-default:<version> in the dev workspace. */
async function registerModel(version: string, epochs: number): Promise<void> {
  const c = emulator.config;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-model-'));
  tmp.push(dir);
  execFileSync('python3', [path.join(SAMPLE, 'src', 'train.py'), '--training-data', path.join(SAMPLE, 'data'), '--model-output', path.join(dir, 'model'), '--epochs', String(epochs)], {
    env: { PATH: process.env.PATH },
  });
  const { service, container } = await blobService(client, c.dev.resourceGroup, c.dev.workspace);
  const prefix = `LocalUpload/model-v${version}/model`;
  await uploadFolder(service, container, prefix, path.join(dir, 'model'));
  await client.modelVersions.createOrUpdate(c.dev.resourceGroup, c.dev.workspace, 'credit-default', version, {
    properties: {
      modelUri: `azureml://subscriptions/${c.subscriptionId}/resourcegroups/${c.dev.resourceGroup}/workspaces/${c.dev.workspace}/datastores/workspaceblobstore/paths/${prefix}`,
      modelType: 'custom_model',
    },
  } as never);
}

beforeAll(async () => {
  emulator = await start({ logFlushMs: 200 });
  trustCa(emulator.config.caCertPath);
  client = armClient(emulator.config);
  await registerModel('1', 60);
  await registerModel('2', 120);
}, 180000);

afterAll(async () => {
  await emulator?.stop();
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

async function run(contract: Contract, step: StepDeclaration, inputs: Record<string, string>, workspace: string): Promise<StepRun> {
  const c = emulator.config;
  const github = contract.name === 'GitHub';
  const all = github ? githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret, ...inputs }) : inputs;
  const env = github
    ? { NODE_EXTRA_CA_CERTS: c.caCertPath }
    : serviceConnectionEnv(c, 'ServicePrincipal', { serviceprincipalid: c.clientId, tenantid: c.tenantId, serviceprincipalkey: c.clientSecret, authenticationType: 'spnKey' });
  const result = await contract.run(step, all, { workspace, env, timeoutMs: 240000 });
  runs.push(result);
  return result;
}

async function admin(method: string, route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.config.adminUrl}${route}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return response.json();
}

async function trafficOf(endpoint: string): Promise<Record<string, number>> {
  const c = emulator.config;
  const ep = await client.onlineEndpoints.get(c.dev.resourceGroup, c.dev.workspace, endpoint);
  return Object.fromEntries(Object.entries(ep.properties.traffic ?? {}).filter(([, w]) => w > 0).sort(([a], [b]) => a.localeCompare(b)));
}

async function deploymentNames(endpoint: string): Promise<string[]> {
  const c = emulator.config;
  const names: string[] = [];
  for await (const d of client.onlineDeployments.list(c.dev.resourceGroup, c.dev.workspace, endpoint)) names.push(d.name!);
  return names.sort();
}

async function deploymentState(endpoint: string, deployment: string): Promise<string | undefined> {
  const c = emulator.config;
  return client.onlineDeployments.get(c.dev.resourceGroup, c.dev.workspace, endpoint, deployment).then(
    (d) => d.properties.provisioningState,
    () => undefined,
  );
}

const BROKEN_SCORE = 'def init():\n    raise RuntimeError("model file is corrupt")\n\n\ndef run(raw_data):\n    return raw_data\n';

describe.each(CONTRACTS)('deploy and smoke-test, as $name runs them', (contract) => {
  const suffix = contract.name === 'GitHub' ? 'gh' : 'ado';
  const managed = `credit-${suffix}`;
  const k8s = `credit-k8s-${suffix}`;
  let ws: string;
  beforeAll(() => {
    ws = workspaceFrom(SAMPLE);
  });

  test('the sample model goes to a managed endpoint, and test.json passes the smoke test', async () => {
    const deployed = await run(
      contract,
      deployDeclaration,
      { 'endpoint-file': 'deploy/endpoint.yml', 'deployment-file': 'deploy/deployment.yml', 'endpoint-name': managed, model: 'azureml:credit-default:1' },
      ws,
    );
    expect(deployed.failure).toBeUndefined();
    expect(deployed.exitCode).toBe(0);
    expect(deployed.outputs).toMatchObject({ 'endpoint-name': managed, 'deployment-name': 'blue', 'previous-deployment': '', traffic: '{"blue":100}' });
    expect(deployed.outputs['scoring-uri']).toMatch(new RegExp(`/inference/eastus/${managed}/score$`));
    expect(deployed.outputs['swagger-uri']).toMatch(/\/swagger\.json$/);
    expect(deployed.stdout).toMatch(new RegExp(`^\\[\\d+s\\] Creating endpoint ${managed}: Succeeded`, 'm'));
    expect(deployed.stdout).toMatch(new RegExp(`^\\[\\d+s\\] Creating deployment blue of endpoint ${managed}: InProgress`, 'm'));
    expect(deployed.stdout).toMatch(new RegExp(`^\\[\\d+s\\] Creating deployment blue of endpoint ${managed}: Succeeded`, 'm'));
    expect(deployed.summary).toContain(`Deployment \`blue\` of \`${managed}\`: deployed`);
    expect(await trafficOf(managed)).toEqual({ blue: 100 });

    const smoke = await run(
      contract,
      smokeTestDeclaration,
      {
        'endpoint-name': managed,
        'request-file': 'test.json',
        expect: 'len(body.predictions) == 3\nall(body.probabilities, _ >= 0 and _ <= 1)\nheaders["azureml-model-deployment"] == "blue"',
        requests: '20',
        concurrency: '4',
        'max-p95-ms': '30000',
      },
      ws,
    );
    expect(smoke.failure).toBeUndefined();
    expect(smoke.outputs.passed).toBe('true');
    for (const p of ['p50-ms', 'p95-ms', 'p99-ms']) expect(Number(smoke.outputs[p])).toBeGreaterThan(0);
    expect(Number(smoke.outputs['p50-ms'])).toBeLessThanOrEqual(Number(smoke.outputs['p95-ms']));
    expect(smoke.stdout).toContain('Latency over 21 requests');
    const report = readJUnit(smoke.outputs['report-path']);
    expect(report.cases.map((c) => c.attributes.name)).toEqual(['test.json']);
    expect(report.failures).toEqual([]);
    expect(smoke.summary).toMatch(/\| `test\.json` \| 200 \| [\d.]+ ms \| blue \| ✅ passed \|/);
    if (contract.name === 'Azure DevOps') expect(smoke.published).toEqual([expect.objectContaining({ type: 'JUnit', resultFiles: smoke.outputs['report-path'] })]);
  }, 300000);

  test('a second version goes blue-green: smoke-tested at 0 %, then 50 %, then 100 %, the old deployment deleted', async () => {
    const run2 = await run(
      contract,
      deployDeclaration,
      {
        'deployment-file': 'deploy/deployment.yml',
        'endpoint-name': managed,
        model: 'azureml:credit-default:2',
        traffic: '50,100',
        'delete-previous': 'true',
        'smoke-test-file': 'test.json',
        expect: 'len(body.predictions) == 3',
      },
      ws,
    );
    expect(run2.failure).toBeUndefined();
    expect(run2.outputs).toMatchObject({ 'deployment-name': 'green', 'previous-deployment': 'blue', traffic: '{"green":100}' });
    expect(run2.stdout).toContain('Deployment blue serves the endpoint now; the new one is green (blue-green).');
    expect(run2.stdout).toContain('Smoke test of deployment green passed.');
    // The steps, in order, each waited for.
    const half = run2.stdout.search(new RegExp(`Traffic of endpoint ${managed} → blue 50%, green 50%: Succeeded`));
    const full = run2.stdout.search(new RegExp(`Traffic of endpoint ${managed} → green 100%: Succeeded`));
    expect(half).toBeGreaterThan(0);
    expect(full).toBeGreaterThan(half);
    expect(await trafficOf(managed)).toEqual({ green: 100 });
    expect(await deploymentNames(managed)).toEqual(['green']);
    expect(run2.summary).toContain('| Deleted | `blue` |');

    const smoke = await run(contract, smokeTestDeclaration, { 'endpoint-name': managed, expect: 'headers["azureml-model-deployment"] == "green"' }, ws);
    expect(smoke.failure).toBeUndefined();
  }, 300000);

  test('a deployment whose init() raises rolls back: traffic unchanged, traceback shown, the failed deployment deleted', async () => {
    fs.mkdirSync(path.join(ws, 'broken'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'broken', 'score.py'), BROKEN_SCORE);
    const broken = await run(
      contract,
      deployDeclaration,
      {
        'endpoint-name': managed,
        model: 'azureml:credit-default:2',
        code: 'broken',
        'scoring-script': 'score.py',
        'deployment-environment': 'azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest',
        'instance-type': 'Standard_DS3_v2',
      },
      ws,
    );
    expect(broken.exitCode).toBe(1);
    expect(broken.outputs['deployment-name']).toBe('blue');
    expect(broken.failure).toMatch(new RegExp(`^Deployment blue of endpoint ${managed} failed and was rolled back; traffic is unchanged \\(green 100%\\)\\. Deployment blue was deleted\\. Creating deployment blue of endpoint ${managed} failed \\(ResourceNotReady\\): User container has crashed`));
    expect(broken.failure).toContain('RuntimeError: model file is corrupt');
    expect(broken.stdout).toMatch(/Log of deployment blue \(last 50 lines\)/);
    expect(broken.stdout).toContain('Traceback (most recent call last)');
    expect(broken.outputs.traffic).toBe('{"green":100}');
    expect(broken.summary).toContain('rolled back');
    expect(await trafficOf(managed)).toEqual({ green: 100 });
    expect(await deploymentNames(managed)).toEqual(['green']);
  }, 300000);

  test('SIGINT between traffic steps puts the traffic back as it was before exiting', async () => {
    let child: import('node:child_process').ChildProcess | undefined;
    const c = emulator.config;
    const github = contract.name === 'GitHub';
    const inputs = { 'deployment-file': 'deploy/deployment.yml', 'endpoint-name': managed, model: 'azureml:credit-default:1', traffic: '50,100', 'traffic-interval': '120' };
    const running = contract.run(deployDeclaration, github ? githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret, ...inputs }) : inputs, {
      workspace: ws,
      env: github ? { NODE_EXTRA_CA_CERTS: c.caCertPath } : serviceConnectionEnv(c, 'ServicePrincipal', { serviceprincipalid: c.clientId, tenantid: c.tenantId, serviceprincipalkey: c.clientSecret, authenticationType: 'spnKey' }),
      timeoutMs: 240000,
      onSpawn: (spawned) => (child = spawned),
    });
    // Cancel as the runner does once half the traffic has moved.
    let half = false;
    for (let i = 0; i < 600 && !half; i++) {
      await new Promise((r) => setTimeout(r, 100));
      half = JSON.stringify(await trafficOf(managed)) === JSON.stringify({ blue: 50, green: 50 });
    }
    expect(half).toBe(true);
    child!.kill('SIGINT');
    const cancelled = await running;
    runs.push(cancelled);
    expect(cancelled.failure).toBe('Cancelled: received SIGINT.');
    expect(cancelled.stdout).toContain(`Traffic of endpoint ${managed} restored: green 100%.`);
    expect(cancelled.stdout).toContain('Deleted deployment blue, which this run had created.');
    expect(await trafficOf(managed)).toEqual({ green: 100 });
    expect(await deploymentNames(managed)).toEqual(['green']);
  }, 300000);

  test('SIGINT while the new deployment is still being created: it cannot be deleted within the grace period, and the log says what was left and how to delete it', async () => {
    let child: import('node:child_process').ChildProcess | undefined;
    const c = emulator.config;
    const github = contract.name === 'GitHub';
    // Provisioning that outlasts the grace period by far: the service refuses the DELETE (409) until it ends.
    await admin('POST', '/provisioning-delays', { count: 1, delayMs: 18000, pattern: `^${managed}/blue$` });
    const inputs = { 'deployment-file': 'deploy/deployment.yml', 'endpoint-name': managed, model: 'azureml:credit-default:1' };
    const running = contract.run(deployDeclaration, github ? githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret, ...inputs }) : inputs, {
      workspace: ws,
      env: github ? { NODE_EXTRA_CA_CERTS: c.caCertPath } : serviceConnectionEnv(c, 'ServicePrincipal', { serviceprincipalid: c.clientId, tenantid: c.tenantId, serviceprincipalkey: c.clientSecret, authenticationType: 'spnKey' }),
      timeoutMs: 240000,
      onSpawn: (spawned) => (child = spawned),
    });
    let creating = false;
    for (let i = 0; i < 600 && !creating; i++) {
      await new Promise((r) => setTimeout(r, 100));
      creating = (await deploymentState(managed, 'blue')) === 'Creating';
    }
    expect(creating).toBe(true);
    child!.kill('SIGINT');
    const cancelled = await running;
    runs.push(cancelled);
    expect(cancelled.failure).toBe('Cancelled: received SIGINT.');
    expect(cancelled.stdout).toContain('Rolling back: the run was cancelled (the clean-up has 8 s');
    expect(cancelled.stdout).toContain(`An operation on endpoint ${managed} is still running; deployment blue is deleted once it has ended.`);
    expect(cancelled.stdout).toContain(
      `Deployment blue was left in place with no traffic: it could not be deleted (the 8 s after the cancel ran out). Delete it with: az ml online-deployment delete -e ${managed} -n blue --yes`,
    );
    expect(await trafficOf(managed)).toEqual({ green: 100 });
    // What the log says to do, once the creation has ended.
    for (let i = 0; i < 600 && (await deploymentState(managed, 'blue')) === 'Creating'; i++) await new Promise((r) => setTimeout(r, 200));
    await client.onlineDeployments.beginDeleteAndWait(c.dev.resourceGroup, c.dev.workspace, managed, 'blue', { updateIntervalInMs: 200 });
    expect(await deploymentNames(managed)).toEqual(['green']);
  }, 300000);

  test('a wrong expected answer fails the smoke test with the diff, the request, the response and the log tail', async () => {
    const dir = path.join(ws, 'requests');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(SAMPLE, 'test.json'), path.join(dir, 'credit.json'));
    fs.writeFileSync(path.join(dir, 'credit.expected.json'), JSON.stringify({ predictions: [1, 1, 1] }));
    fs.writeFileSync(path.join(dir, 'shape.json'), '{"data": [[1, 2]]}');
    const smoke = await run(contract, smokeTestDeclaration, { 'endpoint-name': managed, 'request-file': 'requests', match: 'contains', expect: 'not ("error" in body)' }, ws);
    expect(smoke.exitCode).toBe(1);
    expect(smoke.outputs.passed).toBe('false');
    expect(smoke.failure).toMatch(new RegExp(`^Smoke test of endpoint ${managed} failed: 2 of 2 requests failed \\(requests/credit\\.json: body does not contain requests/credit\\.expected\\.json: \\$\\.predictions\\[0\\]: expected 1, got 0`));
    expect(smoke.failure).toContain('requests/shape.json: expect not ("error" in body): ("error" in body) is true');
    expect(smoke.stdout).toContain('Request: POST endpoint');
    expect(smoke.stdout).toMatch(/Response: HTTP 200 in [\d.]+ ms \(content-type: application\/json; azureml-model-deployment: green/);
    expect(smoke.stdout).toContain('each row needs 6 values');
    expect(smoke.stdout).toMatch(/Log of deployment green \(last 50 lines\)/);
    const report = readJUnit(smoke.outputs['report-path']);
    expect(report.cases.map((c) => c.attributes.name)).toEqual(['requests/credit.json', 'requests/shape.json']);
    expect(report.failures).toHaveLength(2);
  }, 300000);

  test('the sample model goes to a Kubernetes endpoint on k8s-compute with token auth, and passes the smoke test', async () => {
    const deployed = await run(
      contract,
      deployDeclaration,
      {
        target: 'aks',
        'endpoint-file': 'deploy/kubernetes-endpoint.yml',
        'deployment-file': 'deploy/kubernetes-deployment.yml',
        'endpoint-name': k8s,
        'auth-mode': 'aml_token',
        model: 'azureml:credit-default:1',
      },
      ws,
    );
    expect(deployed.failure).toBeUndefined();
    expect(deployed.outputs['scoring-uri']).toMatch(new RegExp(`/k8s/eastus/k8s-compute/api/v1/endpoint/${k8s}/score$`));
    const c = emulator.config;
    const ep = await client.onlineEndpoints.get(c.dev.resourceGroup, c.dev.workspace, k8s);
    expect(ep.properties.authMode).toBe('AMLToken');
    const d = await client.onlineDeployments.get(c.dev.resourceGroup, c.dev.workspace, k8s, 'blue');
    expect(d.properties.endpointComputeType).toBe('Kubernetes');
    expect(d.properties).toMatchObject({ containerResourceRequirements: { containerResourceRequests: { cpu: '0.5', memory: '1Gi' }, containerResourceLimits: { cpu: '1', memory: '2Gi' } } });
    const smoke = await run(contract, smokeTestDeclaration, { 'endpoint-name': k8s, 'deployment-name': 'blue', expect: 'len(body.predictions) == 3' }, ws);
    expect(smoke.failure).toBeUndefined();
    expect(smoke.stdout).toContain('auth AMLToken');
  }, 300000);

  test('an aad_token endpoint: created AADToken, smoke-tested before traffic and by the smoke-test step with an Entra token for https://ml.azure.com, never with keys', async () => {
    const aad = `credit-aad-${suffix}`;
    const c = emulator.config;
    await admin('DELETE', '/requests');
    const deployed = await run(
      contract,
      deployDeclaration,
      {
        'deployment-file': 'deploy/deployment.yml',
        'endpoint-name': aad,
        'auth-mode': 'aad_token',
        model: 'azureml:credit-default:1',
        'smoke-test-file': 'test.json',
        expect: 'len(body.predictions) == 3\nheaders["azureml-model-deployment"] == "blue"',
      },
      ws,
    );
    expect(deployed.failure).toBeUndefined();
    expect(deployed.stdout).toContain(`Creating managed online endpoint ${aad} (auth AADToken).`);
    expect(deployed.stdout).toContain('Smoke test of deployment blue passed.');
    expect(deployed.outputs.traffic).toBe('{"blue":100}');
    const ep = await client.onlineEndpoints.get(c.dev.resourceGroup, c.dev.workspace, aad);
    expect(ep.properties.authMode).toBe('AADToken');
    expect(deployed.summary).toContain(`(managed, auth AADToken)`);

    const smoke = await run(contract, smokeTestDeclaration, { 'endpoint-name': aad, expect: 'headers["azureml-model-deployment"] == "blue"', requests: '5' }, ws);
    expect(smoke.failure).toBeUndefined();
    expect(smoke.stdout).toContain(`Smoke-testing endpoint ${aad} (${ep.properties.scoringUri}, auth AADToken)`);

    // Neither step asked for keys or an AML token; every scoring request (deploy's 1, smoke-test's 1 + 5) was let in.
    const log = (await admin('GET', '/requests')) as { value: Array<{ method: string; path: string; status: number }> };
    expect(log.value.filter((r) => /\/onlineEndpoints\/[^/?]+\/(listKeys|token)(\?|$)/i.test(r.path))).toEqual([]);
    const scoring = log.value.filter((r) => r.method === 'POST' && r.path.startsWith(`/inference/eastus/${aad}/score`));
    expect(scoring.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200, 200]);

    // The endpoint takes nothing else: a key of another endpoint, an ARM token, an expired token for its audience.
    const keys = await client.onlineEndpoints.listKeys(c.dev.resourceGroup, c.dev.workspace, managed);
    const mint = async (audience: string, lifetime?: number) => ((await admin('POST', '/tokens', { audience, lifetime })) as { accessToken: string }).accessToken;
    const status = async (bearer: string) =>
      (await fetch(ep.properties.scoringUri!, { method: 'POST', headers: { Authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: fs.readFileSync(path.join(SAMPLE, 'test.json')) })).status;
    expect(await status(keys.primaryKey!)).toBe(401);
    expect(await status(await mint('https://management.azure.com'))).toBe(401);
    expect(await status(await mint('https://ml.azure.com', -60))).toBe(401);
    expect(await status(await mint('https://ml.azure.com'))).toBe(200);
    await expect(client.onlineEndpoints.listKeys(c.dev.resourceGroup, c.dev.workspace, aad)).rejects.toMatchObject({ statusCode: 400 });
  }, 300000);

  test('user mistakes are one sentence each, and nothing is created, changed or scored', async () => {
    fs.writeFileSync(path.join(ws, 'deploy', 'typo.yml'), fs.readFileSync(path.join(ws, 'deploy', 'deployment.yml'), 'utf8').replace('instance_count: 1', 'instance_cont: 1'));
    fs.writeFileSync(path.join(ws, 'bad.json'), '{"data": [[1, 2,]]}\n');
    await admin('DELETE', '/requests');
    const cases: Array<[StepDeclaration, Record<string, string>, string | RegExp]> = [
      [
        deployDeclaration,
        { 'deployment-file': 'deploy/typo.yml', 'endpoint-name': managed },
        /^deploy\/typo\.yml:10: instance_cont: is not a key an online deployment can have \(expected one of name, type, endpoint_name/,
      ],
      [deployDeclaration, { 'deployment-file': 'deploy/deployment.yml', 'endpoint-name': managed, traffic: '50,10' }, "Input 'traffic' must rise from step to step (got 50 then 10 in '50,10')."],
      [
        deployDeclaration,
        { 'deployment-file': 'deploy/deployment.yml', 'endpoint-name': managed, model: 'credit-default' },
        `Input 'model' must be azureml:<name>:<version>, azureml:<name>@latest, a model version ARM id or an azureml://registries/… id (got 'credit-default').`,
      ],
      [
        deployDeclaration,
        { target: 'managed', 'deployment-file': 'deploy/kubernetes-deployment.yml', 'endpoint-name': managed },
        'deploy/kubernetes-deployment.yml:3: type: says kubernetes, but the deployment goes to a managed endpoint (target managed).',
      ],
      [
        deployDeclaration,
        { 'endpoint-name': managed, model: 'azureml:credit-default:1', code: 'src', 'scoring-script': 'scor.py', 'deployment-environment': 'azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest', 'instance-type': 'Standard_DS3_v2' },
        new RegExp(`^Input '${contract.name === 'GitHub' ? 'scoring-script' : 'scoringScript'}' names 'scor\\.py', which is not a file in .*src`),
      ],
      [
        smokeTestDeclaration,
        { 'endpoint-name': managed, expect: 'len(body.predictions) = 3' },
        "Input 'expect' line 1 ('len(body.predictions) = 3'): unexpected '=' at column 23 (use '==' to compare).",
      ],
      [
        deployDeclaration,
        { 'deployment-file': 'deploy/deployment.yml', 'endpoint-name': managed, model: 'azureml:no-such-model@latest' },
        /^Input 'model' names model no-such-model, which is not registered in workspace mlw-mlops-dev\.$/,
      ],
      [
        deployDeclaration,
        { 'deployment-file': 'deploy/deployment.yml', 'endpoint-name': managed, model: 'azureml:credit-default:999' },
        /^Input 'model' names model credit-default version 999, which is not registered in workspace mlw-mlops-dev\.$/,
      ],
      [smokeTestDeclaration, { 'endpoint-name': managed, 'request-file': 'bad.json' }, "bad.json:1:17: is not valid JSON: unexpected ']'."],
      [smokeTestDeclaration, { 'endpoint-name': managed, 'request-file': 'nope.json' }, new RegExp(`^Input '${contract.name === 'GitHub' ? 'request-file' : 'requestFile'}' names 'nope\\.json', which does not exist`)],
    ];
    for (const [step, inputs, expected] of cases) {
      const result = await run(contract, step, inputs, ws);
      expect(result.exitCode).toBe(1);
      if (typeof expected === 'string') expect(result.failure).toBe(expected);
      else expect(result.failure).toMatch(expected);
      expect(result.failure).not.toMatch(/Unexpected error|\n\s+at /);
    }
    const log = (await admin('GET', '/requests')) as { value: Array<{ method: string; path: string }> };
    const changes = log.value.filter((r) => r.method !== 'GET' && !r.path.includes('/oauth2/') && !r.path.includes('/oidctoken'));
    expect(changes).toEqual([]);
    expect(log.value.filter((r) => /\/score$|\/inference\//.test(r.path))).toEqual([]);
    expect(await trafficOf(managed)).toEqual({ green: 100 });
  }, 300000);
});

// The one test that waits past a minute: `timeout` is in whole minutes, so a deployment is made to
// provision for 80 s and both contracts run at once (GitHub with keep-failed, Azure DevOps without).
test('timeout: a deployment still being created after `timeout` minutes fails the step naming the input; traffic stays exactly as it was; the deployment is deleted, or kept with keep-failed', async () => {
  const c = emulator.config;
  const [github, azureDevOps] = CONTRACTS;
  const endpoints = { GitHub: 'credit-gh', 'Azure DevOps': 'credit-ado' } as const;
  const before = { GitHub: await trafficOf('credit-gh'), 'Azure DevOps': await trafficOf('credit-ado') };
  expect(Object.keys(before.GitHub)).not.toContain('slow');
  await admin('POST', '/provisioning-delays', { count: 2, delayMs: 80000, pattern: '^credit-(gh|ado)/slow$' });
  const inputs = (endpoint: string) => ({ 'deployment-file': 'deploy/deployment.yml', 'endpoint-name': endpoint, 'deployment-name': 'slow', model: 'azureml:credit-default:1', timeout: '1' });
  const [kept, deleted] = await Promise.all([
    run(github, deployDeclaration, { ...inputs('credit-gh'), 'keep-failed': 'true' }, workspaceFrom(SAMPLE)),
    run(azureDevOps, deployDeclaration, inputs('credit-ado'), workspaceFrom(SAMPLE)),
  ]);
  for (const [result, contract] of [[kept, github], [deleted, azureDevOps]] as const) {
    const endpoint = endpoints[contract.name];
    const unchanged = Object.entries(before[contract.name]).map(([n, w]) => `${n} ${w}%`).join(', ');
    expect(result.exitCode).toBe(1);
    expect(result.failure).toContain(`Deployment slow of endpoint ${endpoint} failed and was rolled back; traffic is unchanged (${unchanged}).`);
    expect(result.failure).toContain(`Creating deployment slow of endpoint ${endpoint} did not finish within 1 minute, the limit set by input 'timeout'.`);
    expect(result.stdout).toContain(`Rolling back: Creating deployment slow of endpoint ${endpoint} did not finish within 1 minute, the limit set by input 'timeout'.`);
    expect(JSON.parse(result.outputs.traffic)).toEqual(before[contract.name]);
    expect(await trafficOf(endpoint)).toEqual(before[contract.name]);
  }
  expect(kept.failure).toContain('Deployment slow is kept at 0 % traffic (keep-failed).');
  expect(await deploymentNames('credit-gh')).toContain('slow');
  // The service refuses the DELETE while the creation runs on: the step waits for it, then deletes.
  expect(deleted.stdout).toContain('An operation on endpoint credit-ado is still running; deployment slow is deleted once it has ended.');
  expect(deleted.failure).toContain('Deployment slow was deleted.');
  expect(await deploymentNames('credit-ado')).not.toContain('slow');
  for (let i = 0; i < 600 && (await deploymentState('credit-gh', 'slow')) === 'Creating'; i++) await new Promise((r) => setTimeout(r, 200));
  await client.onlineDeployments.beginDeleteAndWait(c.dev.resourceGroup, c.dev.workspace, 'credit-gh', 'slow', { updateIntervalInMs: 200 });
}, 300000);

test('no secret reached any output: client secret, endpoint keys, scoring tokens', async () => {
  const c = emulator.config;
  const secrets = [c.clientSecret];
  for (const ep of ['credit-gh', 'credit-ado']) {
    const keys = await client.onlineEndpoints.listKeys(c.dev.resourceGroup, c.dev.workspace, ep);
    secrets.push(keys.primaryKey!, keys.secondaryKey!);
  }
  expect(runs.length).toBeGreaterThan(26);
  for (const r of runs) {
    // `::add-mask::` and `##vso[task.setsecret]` are how a step hands a secret to the runner to mask: the
    // only lines where one may appear.
    const printed = [r.stdout, r.stderr, r.summary, JSON.stringify(r.outputs)]
      .join('\n')
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::') && !l.includes('##vso[task.setsecret]'))
      .join('\n');
    for (const s of secrets) expect(printed.includes(s)).toBe(false);
    expect(printed).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./);
  }
});
