// The register and transfer bundles under both contracts against the emulator, in the order a release
// runs them: train the sample (twice: a good model and a worse one) → register with a passing gate →
// the same again registers nothing → a failing gate (fail, then skip) → a worse challenger leaves the
// champion → transfer to prod (another storage account, a second identity) → the same again copies
// nothing → a copy corrupted in transit fails with no version and no blob in prod. User mistakes are
// one sentence and send nothing. No secret appears in anything either platform captured.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import fs from 'node:fs';
import path from 'node:path';
import { camelCase, type StepDeclaration } from '../../shared/platform/declaration.js';
import { registerDeclaration } from '../../shared/steps/register/declaration.js';
import { trainDeclaration } from '../../shared/steps/train/declaration.js';
import { transferDeclaration } from '../../shared/steps/transfer/declaration.js';
import { start, type RunningEmulator } from '../emulator/index.js';
import { adminCall, armClient, blobService, listAll, trustCa } from '../emulator/testing.js';
import { githubWorkspaceInputs, serviceConnectionEnv } from '../helpers/azure-env.js';
import { CONTRACTS, type Contract } from '../helpers/both.js';
import { workspaceFrom, type StepRun } from '../helpers/contracts.js';
import { ROOT } from '../helpers/paths.js';

let emulator: RunningEmulator;
let arm: AzureMachineLearningWorkspaces;
const captured: StepRun[] = [];

beforeAll(async () => {
  emulator = await start({ jobStepDelayMs: 100, logFlushMs: 200, lroRetryAfter: 0 });
  trustCa(emulator.config.caCertPath);
  arm = armClient(emulator.config);
}, 120000);
afterAll(async () => {
  await emulator?.stop();
});

const PROD_CONNECTION = '7d1e2f3a-4b5c-4d6e-8f70-9a1b2c3d4e5f';

/** Runs a step as the contract does, signed in to the emulator; `secondIdentity` gives transfer its own for the target. */
async function run(contract: Contract, step: StepDeclaration, inputs: Record<string, string>, workspace: string, secondIdentity = false): Promise<StepRun> {
  const c = emulator.config;
  let result: StepRun;
  if (contract.name === 'GitHub') {
    const identity = { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret };
    const target: Record<string, string> = secondIdentity ? { 'target-client-id': c.clientId, 'target-client-secret': c.clientSecret } : {};
    result = await contract.run(step, githubWorkspaceInputs(c, { ...identity, ...target, ...inputs }), {
      workspace,
      timeoutMs: 180000,
      env: {
        NODE_EXTRA_CA_CERTS: c.caCertPath,
        GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
        GITHUB_REPOSITORY: 'contoso/credit-default',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_RUN_ID: '4242',
      },
    });
  } else {
    const sp = { serviceprincipalid: c.clientId, tenantid: c.tenantId, serviceprincipalkey: c.clientSecret, authenticationType: 'spnKey' };
    const env = serviceConnectionEnv(c, 'ServicePrincipal', sp);
    if (secondIdentity) {
      // A second AzureRM connection for prod, as a release pipeline would have.
      Object.assign(env, {
        [`ENDPOINT_URL_${PROD_CONNECTION}`]: c.armEndpoint,
        [`ENDPOINT_AUTH_${PROD_CONNECTION}`]: JSON.stringify({ scheme: 'ServicePrincipal', parameters: sp }),
        [`ENDPOINT_AUTH_SCHEME_${PROD_CONNECTION}`]: 'ServicePrincipal',
        [`ENDPOINT_DATA_${PROD_CONNECTION}_SUBSCRIPTIONID`]: c.subscriptionId,
        [`ENDPOINT_DATA_${PROD_CONNECTION}_ENVIRONMENT`]: 'AzureCloud',
        [`ENDPOINT_DATA_${PROD_CONNECTION}_ACTIVEDIRECTORYAUTHORITY`]: c.authorityHost,
      });
      inputs = { 'target-azure-subscription': PROD_CONNECTION, ...inputs };
    }
    Object.assign(env, { BUILD_SOURCEVERSION: 'fedcba9876543210fedcba9876543210fedcba98', BUILD_REPOSITORY_URI: 'https://dev.azure.com/contoso/mlops/_git/credit-default', SYSTEM_TEAMPROJECT: 'mlops', BUILD_BUILDID: '77' });
    result = await contract.run(step, inputs, { workspace, timeoutMs: 180000, env });
  }
  captured.push(result);
  return result;
}

const prod = () => ({ rg: emulator.config.prod.resourceGroup, ws: emulator.config.prod.workspace });
const dev = () => ({ rg: emulator.config.dev.resourceGroup, ws: emulator.config.dev.workspace });

async function prodBlobs(prefix: string): Promise<string[]> {
  const { service, container } = await blobService(arm, prod().rg, prod().ws);
  const names: string[] = [];
  for await (const b of service.getContainerClient(container).listBlobsFlat({ prefix })) names.push(b.name);
  return names.sort();
}

describe.each(CONTRACTS)('register and transfer, as $name runs them', (contract) => {
  const model = contract.name === 'GitHub' ? 'credit-model-gh' : 'credit-model-ado';
  const tgt = () => ({ 'target-resource-group': prod().rg, 'target-workspace': prod().ws });
  let sample: string;
  let good: string;
  let worse: string;
  let pipeline: string;

  beforeAll(async () => {
    sample = workspaceFrom(path.join(ROOT, 'examples', 'credit-default'));
    // Train the sample through the train bundle: a good model, a worse one (tiny learning rate), and the pipeline.
    const [a, b, p] = await Promise.all([
      run(contract, trainDeclaration, { 'job-file': 'jobs/train.yml' }, sample),
      run(contract, trainDeclaration, { 'job-file': 'jobs/train.yml', set: 'inputs.learning_rate=0.0001' }, sample),
      run(contract, trainDeclaration, { 'job-file': 'jobs/pipeline.yml' }, sample),
    ]);
    for (const r of [a, b, p]) expect(r.outputs.status).toBe('Completed');
    [good, worse, pipeline] = [a.outputs['job-name'], b.outputs['job-name'], p.outputs['job-name']];
    expect(JSON.parse(a.outputs.metrics).auc).toBeGreaterThan(JSON.parse(b.outputs.metrics).auc);
  }, 300000);

  test('a job output that passes its gates is registered with lineage; the same again registers nothing', async () => {
    const first = await run(contract, registerDeclaration, { 'job-name': good, 'output-name': 'model_output', name: model, gates: 'auc>0.6, accuracy>=0.8', tags: 'stage=candidate' }, sample);
    expect(first.failure).toBeUndefined();
    expect(first.outputs).toMatchObject({ 'model-name': model, 'model-version': '1', 'model-id': `azureml:${model}:1`, registered: 'true' });
    expect(first.summary).toContain(`Registered model \`azureml:${model}:1\``);
    expect(first.summary).toMatch(/\| `auc>0\.6` \| 0\.\d+ \| ✅ passed \|/);

    const v = await arm.modelVersions.get(dev().rg, dev().ws, model, '1');
    // The service keeps the datastore path the job output was written to.
    expect(v.properties.modelUri).toMatch(new RegExp(`^azureml://subscriptions/[^/]+/resourcegroups/${dev().rg}/workspaces/${dev().ws}/datastores/workspaceblobstore/paths/azureml/${good}/model_output/$`));
    expect(v.properties.jobName).toBe(good);
    expect(v.properties.tags).toEqual({ stage: 'candidate' });
    const props = v.properties.properties!;
    expect(props['mlops.job']).toBe(good);
    expect(Number(props['mlops.metric.auc'])).toBeGreaterThan(0.6);
    expect(props['mlops.commit']).toBe(contract.name === 'GitHub' ? '0123456789abcdef0123456789abcdef01234567' : 'fedcba9876543210fedcba9876543210fedcba98');
    expect(props['mlops.run_url']).toBe(contract.name === 'GitHub' ? 'https://github.com/contoso/credit-default/actions/runs/4242' : `${emulator.config.azureDevOps.collectionUri}mlops/_build/results?buildId=77`);

    const again = await run(contract, registerDeclaration, { 'job-name': good, 'output-name': 'model_output', name: model, gates: 'auc>0.6' }, sample);
    expect(again.failure).toBeUndefined();
    expect(again.outputs).toMatchObject({ 'model-version': '1', 'model-id': `azureml:${model}:1`, registered: 'false' });
    expect(again.stdout).toContain(`azureml:${model}:1 is already registered from this source (job ${good}, output model_output); nothing registered.`);
    expect((await listAll(arm.modelVersions.list(dev().rg, dev().ws, model))).map((x) => x.name)).toEqual(['1']);
  }, 180000);

  test('a failing gate registers nothing: it fails the step, or with on-gate-fail: skip, succeeds', async () => {
    const failed = await run(contract, registerDeclaration, { 'job-name': worse, 'output-name': 'model_output', name: model, gates: 'auc>=0.7' }, sample);
    expect(failed.exitCode).toBe(1);
    expect(failed.failure).toMatch(/^A gate failed, so nothing was registered: auc is 0\.\d+ \(needs auc>=0\.7\)\.$/);
    expect(failed.outputs.registered).toBe('false');
    const skipped = await run(contract, registerDeclaration, { 'job-name': worse, 'output-name': 'model_output', name: model, gates: 'auc>=0.7', 'on-gate-fail': 'skip' }, sample);
    expect(skipped.failure).toBeUndefined();
    expect(skipped.exitCode).toBe(0);
    expect(skipped.outputs.registered).toBe('false');
    expect(skipped.summary).toContain('not registered: a gate failed');
    expect((await listAll(arm.modelVersions.list(dev().rg, dev().ws, model))).map((x) => x.name)).toEqual(['1']);
  }, 180000);

  test('a challenger worse than the champion is not registered; the champion is reported', async () => {
    const r = await run(contract, registerDeclaration, { 'job-name': worse, 'output-name': 'model_output', name: model, 'compare-metric': 'auc' }, sample);
    expect(r.failure).toBeUndefined();
    expect(r.outputs).toMatchObject({ 'model-version': '1', 'model-id': `azureml:${model}:1`, registered: 'false' });
    expect(r.stdout).toMatch(new RegExp(`Not registered: the challenger's auc 0\\.\\d+ is not better than champion azureml:${model}:1's 0\\.\\d+\\.`));
    expect(r.summary).toContain(`Champion \`azureml:${model}:1\` stays`);
    expect((await listAll(arm.modelVersions.list(dev().rg, dev().ws, model))).map((x) => x.name)).toEqual(['1']);
  }, 180000);

  test("a pipeline step's output registers as <step>.<output>, gated on the step's metrics", async () => {
    const r = await run(contract, registerDeclaration, { 'job-name': pipeline, 'output-name': 'train.model_output', name: `${model}-pipeline`, gates: 'train.auc>0.6' }, sample);
    expect(r.failure).toBeUndefined();
    expect(r.outputs).toMatchObject({ 'model-version': '1', registered: 'true' });
    const v = await arm.modelVersions.get(dev().rg, dev().ws, `${model}-pipeline`, '1');
    // The train step's output is bound to the pipeline's trained_model output: that is where its files are.
    expect(v.properties.modelUri).toMatch(new RegExp(`/datastores/workspaceblobstore/paths/azureml/${pipeline}/trained_model/$`));
  }, 180000);

  test('an az ml model YAML with set overrides, and a datastore path, register as they say', async () => {
    fs.writeFileSync(
      path.join(sample, 'model.yml'),
      `$schema: https://azuremlschemas.azureedge.net/latest/model.schema.json\nname: ${model}-yaml\ntype: custom_model\npath: azureml://jobs/${good}/outputs/model_output\ndescription: from a YAML\ntags:\n  stage: candidate\n`,
    );
    const yaml = await run(contract, registerDeclaration, { 'model-file': 'model.yml', set: 'tags.stage=reviewed\ndescription=overridden' }, sample);
    expect(yaml.failure).toBeUndefined();
    expect(yaml.outputs).toMatchObject({ 'model-id': `azureml:${model}-yaml:1`, registered: 'true' });
    const v = await arm.modelVersions.get(dev().rg, dev().ws, `${model}-yaml`, '1');
    expect(v.properties).toMatchObject({ description: 'overridden', tags: { stage: 'reviewed' }, jobName: good });
    const uri = `azureml://datastores/workspaceblobstore/paths/azureml/${good}/model_output/`;
    const ds = await run(contract, registerDeclaration, { 'model-path': uri, name: `${model}-ds`, version: '7' }, sample);
    expect(ds.outputs).toMatchObject({ 'model-id': `azureml:${model}-ds:7`, registered: 'true' });
    expect((await arm.modelVersions.get(dev().rg, dev().ws, `${model}-ds`, '7')).properties.modelUri).toBe(
      `azureml://subscriptions/${emulator.config.subscriptionId}/resourcegroups/${dev().rg}/workspaces/${dev().ws}/datastores/workspaceblobstore/paths/azureml/${good}/model_output/`,
    );
    const again = await run(contract, registerDeclaration, { 'model-path': uri, name: `${model}-ds` }, sample);
    expect(again.outputs).toMatchObject({ 'model-id': `azureml:${model}-ds:7`, registered: 'false' });
  }, 180000);

  test('transfer copies the model to prod server-side and verified, with lineage; the same again copies nothing', async () => {
    const r = await run(contract, transferDeclaration, { name: `azureml:${model}:1`, ...tgt() }, sample, true);
    expect(r.failure).toBeUndefined();
    expect(r.outputs).toMatchObject({ 'model-name': model, 'model-version': '1', 'model-id': `azureml:${model}:1`, files: '1' });
    expect(Number(r.outputs['bytes-copied'])).toBeGreaterThan(100);
    // The target signed in with its own identity (here the same app, through the target inputs).
    expect(r.stdout.match(/Signing in to /g)).toHaveLength(2);
    if (contract.name === 'Azure DevOps') expect(r.stdout).toContain(`service connection '${PROD_CONNECTION}'`);

    const v = await arm.modelVersions.get(prod().rg, prod().ws, model, '1');
    expect(v.properties.modelUri).toMatch(new RegExp(`^azureml://subscriptions/[^/]+/resourcegroups/${prod().rg}/workspaces/${prod().ws}/datastores/workspaceblobstore/paths/mlops-transfer/${model}/[0-9a-f]{32}/model_output/$`));
    expect(v.properties.tags).toEqual({ stage: 'candidate' });
    const props = v.properties.properties!;
    expect(props['mlops.transfer.source_model']).toMatch(new RegExp(`/resourceGroups/${dev().rg}/providers/Microsoft.MachineLearningServices/workspaces/${dev().ws}/models/${model}/versions/1$`));
    expect(props['mlops.transfer.copied_at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(props['mlops.job']).toBe(good);
    // The files are in prod's own storage account, byte for byte.
    const blobs = await prodBlobs(`mlops-transfer/${model}/`);
    expect(blobs).toEqual([expect.stringMatching(new RegExp(`^mlops-transfer/${model}/[0-9a-f]{32}/model_output/model\\.json$`))]);
    const { service, container, account } = await blobService(arm, prod().rg, prod().ws);
    expect(account).toBe(emulator.config.prod.storageAccount);
    const devStore = await blobService(arm, dev().rg, dev().ws);
    const original = await devStore.service.getContainerClient(devStore.container).getBlobClient(`azureml/${good}/model_output/model.json`).downloadToBuffer();
    expect((await service.getContainerClient(container).getBlobClient(blobs[0]).downloadToBuffer()).equals(original)).toBe(true);

    const again = await run(contract, transferDeclaration, { name: model, version: '1', ...tgt() }, sample, true);
    expect(again.failure).toBeUndefined();
    expect(again.outputs).toMatchObject({ 'model-id': `azureml:${model}:1`, 'bytes-copied': '0', files: '1' });
    expect(again.stdout).toContain('nothing copied');
    expect((await listAll(arm.modelVersions.list(prod().rg, prod().ws, model))).map((x) => x.name)).toEqual(['1']);
  }, 180000);

  test('a copy corrupted in transit fails: no version in prod, no blob left behind', async () => {
    // A model of several files, registered from a local folder (uploaded in azure-ai-ml's layout), so
    // that some files are copied before one fails.
    const folderModel = `${model}-src`;
    const reg = await run(contract, registerDeclaration, { 'model-path': 'src', name: folderModel, type: 'custom_model' }, sample);
    expect(reg.outputs).toMatchObject({ 'model-version': '1', registered: 'true' });
    const files = (await arm.modelVersions.get(dev().rg, dev().ws, folderModel, '1')).properties.modelUri!;
    expect(files).toMatch(/\/datastores\/workspaceblobstore\/paths\/LocalUpload\/[0-9a-f]{32}\/src$/);
    const inputs = { name: folderModel, ...tgt() };
    await adminCall(emulator.config, 'POST', '/faults', { target: 'blob', method: 'PUT', path: `/mlops-transfer/${folderModel}/.*/score\\.py$`, corrupt: true });
    try {
      const r = await run(contract, transferDeclaration, inputs, sample);
      expect(r.exitCode).toBe(1);
      expect(r.failure).toMatch(
        new RegExp(
          `^Copying model azureml:${folderModel}:1 from storage account mlopsdevstore to mlopsprodstore \\(container [^)]+\\) failed: Copy of score\\.py failed verification: the bytes the storage service received from the source do not match the source's Content-MD5 \\S+ \\(Md5Mismatch\\)\\. No version was registered in workspace ${prod().ws}, and the files this run copied were removed\\.$`,
        ),
      );
      expect(r.outputs['model-id']).toBeUndefined();
    } finally {
      await adminCall(emulator.config, 'DELETE', '/faults');
    }
    expect(await listAll(arm.modelVersions.list(prod().rg, prod().ws, folderModel)).catch(() => [])).toEqual([]);
    expect(await prodBlobs(`mlops-transfer/${folderModel}/`)).toEqual([]);

    // A copy that keeps failing (server errors past every retry) leaves nothing either; then a clean run succeeds.
    await adminCall(emulator.config, 'POST', '/faults', { target: 'blob', method: 'PUT', path: `/mlops-transfer/${folderModel}/.*/score\\.py$`, status: 500 });
    try {
      const r = await run(contract, transferDeclaration, inputs, sample);
      expect(r.exitCode).toBe(1);
      expect(r.failure).toMatch(
        /failed \(HTTP 500 InternalError\): The server encountered an internal error\. Please retry the request\. Gave up after \d+ attempts\. Correlation id: [0-9a-f-]{36}\. No version was registered in workspace mlw-mlops-prod, and the files this run copied were removed\.$/,
      );
    } finally {
      await adminCall(emulator.config, 'DELETE', '/faults');
    }
    expect(await prodBlobs(`mlops-transfer/${folderModel}/`)).toEqual([]);
    const ok = await run(contract, transferDeclaration, inputs, sample);
    expect(ok.failure).toBeUndefined();
    expect(ok.outputs['model-id']).toBe(`azureml:${folderModel}:1`);
    const copied = await prodBlobs(`mlops-transfer/${folderModel}/`);
    expect(copied.length).toBe(Number(ok.outputs.files));
    expect(copied).toContainEqual(expect.stringMatching(/\/src\/score\.py$/));
  }, 240000);

  test('mistakes in the inputs are one sentence, and nothing is sent', async () => {
    const n = (word: string) => (contract.name === 'GitHub' ? word : camelCase(word));
    const ws = workspaceFrom(path.join(ROOT, 'examples', 'credit-default'));
    fs.writeFileSync(path.join(ws, 'model.yml'), 'name: credit\npath: ./src\nframework: sklearn\n');
    const cases: Array<[StepDeclaration, Record<string, string>, string | RegExp]> = [
      [registerDeclaration, { 'job-name': good, 'output-name': 'model_output', name: model, gates: 'auc>>0.7' }, `Input '${n('gates')}' has 'auc>>0.7': expected <metric><op><number> such as accuracy>=0.8, with <op> one of >=, <=, ==, !=, >, <.`],
      [registerDeclaration, { name: model }, `Input '${n('job-name')}' is required unless '${n('model-path')}' or a model YAML with a path says where the model is (the train step's job-name and an output-name, a datastore URI, or a local folder).`],
      [registerDeclaration, { 'job-name': good, name: model }, `Input '${n('output-name')}' is required with '${n('job-name')}': the job output that holds the model (e.g. model_output, or train.model_output for a pipeline step).`],
      [registerDeclaration, { 'model-path': 'no/such/folder', name: model }, `Input '${n('model-path')}' names 'no/such/folder', which does not exist (looked for ${path.join(ws, 'no/such/folder')}).`],
      [registerDeclaration, { 'model-path': 'src', name: model, gates: 'auc>0.5' }, new RegExp(`^Input '${n('gates')}' reads the job's metrics, but the model's source \\(src \\(local, \\d+ files\\)\\) is no job output: set '${n('job-name')}' and '${n('output-name')}'\\.$`)],
      [registerDeclaration, { 'job-name': good, 'output-name': 'model_output', name: model, tags: 'stage' }, `Input '${n('tags')}' has the line 'stage': expected key=value, one per line.`],
      [registerDeclaration, { 'model-file': 'model.yml' }, 'model.yml:3: framework: is not a key a model YAML can have (expected one of name, version, type, path, description, tags, properties, flavors).'],
      [transferDeclaration, { name: 'azureml:credit', 'target-resource-group': prod().rg, 'target-workspace': prod().ws }, `Input '${n('name')}' must be a model name or azureml:<name>:<version> (got 'azureml:credit').`],
      [transferDeclaration, { name: model, 'target-workspace': prod().ws }, `Input '${n('target-resource-group')}' is required to find target workspace '${prod().ws}' (or give '${n('target-workspace')}' as an ARM id).`],
    ];
    await adminCall(emulator.config, 'DELETE', '/requests');
    for (const [step, inputs, expected] of cases) {
      const r = await run(contract, step, inputs, ws);
      expect(r.exitCode).toBe(1);
      if (typeof expected === 'string') expect(r.failure).toBe(expected);
      else expect(r.failure).toMatch(expected);
    }
    const requests = await adminCall<{ value: Array<{ target: string; method: string; path: string }> }>(emulator.config, 'GET', '/requests');
    expect(requests.value).toEqual([]);
  }, 180000);
});

test('no secret reaches anything the runner or the agent captured', async () => {
  expect(captured.length).toBeGreaterThan(20);
  const c = emulator.config;
  const keys: string[] = [];
  for (const w of [dev(), prod()]) {
    for (const ds of ['workspaceblobstore', 'workspaceartifactstore']) keys.push(((await arm.datastores.listSecrets(w.rg, w.ws, ds)) as { key: string }).key);
  }
  const secrets = [c.clientSecret, c.azureDevOps.accessToken, c.githubOidc.requestToken, ...keys];
  for (const r of captured) {
    // The masking commands themselves are read by the runner / agent and never shown.
    const text = [r.stdout, r.stderr, r.summary, JSON.stringify(r.outputs)]
      .join('\n')
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::') && !l.includes('##vso[task.setsecret]'))
      .join('\n');
    for (const s of secrets) expect(text.includes(s)).toBe(false);
    expect(text).not.toMatch(/sig=/);
    expect(text).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\./);
  }
});
