// `npm run bench:smoke`: what the smoke-test client costs per request. The sample model is deployed to a
// managed endpoint of the emulator; test.json is then POSTed by (1) a plain Node `fetch` loop with the key,
// (2) the smoke-test step's own ScoringClient (the client factory's pipeline: User-Agent, request
// counting, throttling retries), and (3) azure-ai-ml 1.4.0's `online_endpoints.invoke` (Debian's
// python3-azure, pointed at the emulator through its cloud table and a credential that asks for ARM
// tokens; it calls online endpoints at api-version 2022-02-01-preview, which the emulator — 2022-10-01
// only, like our SDK — refuses, so a per-call policy rewrites the api-version: GET endpoint and listKeys
// have the same shapes in both), in the same run. Rounds of (1) and (2) alternate; p50 / p95 of each, and the difference.
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RequestStats } from '../shared/azure/clients.js';
import { ms, summarise } from '../shared/assertions/latency.js';
import { ScoringClient } from '../shared/azureml/scoring.js';
import { start } from '../test/emulator/index.js';
import { armClient, blobService, trustCa, uploadFolder } from '../test/emulator/testing.js';
import { RecordingPlatform } from '../test/helpers/recording-platform.js';
import { ROOT, SYSTEM_PYTHON } from '../test/helpers/paths.js';

const SAMPLE = path.join(ROOT, 'examples', 'credit-default');
const ROUNDS = 10;
const PER_ROUND = 30;
const WARMUP = 20;
const INVOKES = 60;

const emulator = await start({ provisionDelayMs: 0, lroRetryAfter: 0 });
const c = emulator.config;
trustCa(c.caCertPath);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
try {
  const client: AzureMachineLearningWorkspaces = armClient(c);
  const rg = c.dev.resourceGroup;
  const ws = c.dev.workspace;
  // The sample model, trained locally, and its scoring code, registered through ARM.
  execFileSync('python3', [path.join(SAMPLE, 'src', 'train.py'), '--training-data', path.join(SAMPLE, 'data'), '--model-output', path.join(tmp, 'model'), '--epochs', '60'], { env: { PATH: process.env.PATH } });
  const { service, container } = await blobService(client, rg, ws);
  await uploadFolder(service, container, 'LocalUpload/bench/model', path.join(tmp, 'model'));
  await uploadFolder(service, container, 'LocalUpload/bench/src', path.join(SAMPLE, 'src'));
  const modelId = (
    await client.modelVersions.createOrUpdate(rg, ws, 'credit-default', '1', {
      properties: { modelUri: `azureml://subscriptions/${c.subscriptionId}/resourcegroups/${rg}/workspaces/${ws}/datastores/workspaceblobstore/paths/LocalUpload/bench/model`, modelType: 'custom_model' },
    } as never)
  ).id!;
  const codeId = (await client.codeVersions.createOrUpdate(rg, ws, 'credit-src', '1', { properties: { codeUri: `${service.url}/${container}/LocalUpload/bench/src` } })).id!;
  const fast = { updateIntervalInMs: 50 };
  await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'bench-ep', { location: 'eastus', identity: { type: 'SystemAssigned' }, properties: { authMode: 'Key' } } as never, fast);
  await client.onlineDeployments.beginCreateOrUpdateAndWait(
    rg,
    ws,
    'bench-ep',
    'blue',
    {
      location: 'eastus',
      sku: { name: 'Default', capacity: 1 },
      properties: { endpointComputeType: 'Managed', model: modelId, codeConfiguration: { codeId, scoringScript: 'score.py' }, environmentId: 'azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest', instanceType: 'Standard_DS3_v2' },
    } as never,
    fast,
  );
  const endpoint = await client.onlineEndpoints.get(rg, ws, 'bench-ep');
  endpoint.properties.traffic = { blue: 100 };
  await client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, 'bench-ep', endpoint, fast);
  const uri = endpoint.properties.scoringUri!;
  const key = (await client.onlineEndpoints.listKeys(rg, ws, 'bench-ep')).primaryKey!;
  const body = fs.readFileSync(path.join(SAMPLE, 'test.json'), 'utf8');

  const plain = async (): Promise<number> => {
    const t = performance.now();
    const res = await fetch(uri, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body });
    await res.text();
    if (res.status !== 200) throw new Error(`fetch: HTTP ${res.status}`);
    return performance.now() - t;
  };
  const scoring = new ScoringClient(new RecordingPlatform(), new RequestStats(), uri, { kind: 'header', authorization: `Bearer ${key}`, mode: 'Key' });
  const ours = async (): Promise<number> => {
    const t = performance.now();
    const r = await scoring.score(body);
    if (r.status !== 200) throw new Error(`ScoringClient: HTTP ${r.status}`);
    return performance.now() - t;
  };

  for (let i = 0; i < WARMUP; i++) {
    await plain();
    await ours();
  }
  const times = { plain: [] as number[], ours: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const order: Array<keyof typeof times> = round % 2 === 0 ? ['plain', 'ours'] : ['ours', 'plain'];
    for (const which of order) for (let i = 0; i < PER_ROUND; i++) times[which].push(await (which === 'plain' ? plain() : ours()));
  }

  // azure-ai-ml 1.4.0, if it imports here (Debian python3-azure with the pydash stand-in).
  const script = path.join(tmp, 'invoke.py');
  fs.writeFileSync(
    script,
    [
      'import faulthandler, json, sys, time',
      '# A call that hangs prints where it hangs instead of stalling the bench.',
      'faulthandler.dump_traceback_later(90, exit=True)',
      'from azure.ai.ml import MLClient',
      'from azure.ai.ml import _azure_environments as envs',
      'from azure.identity import ClientSecretCredential',
      'from azure.core.pipeline.policies import SansIOHTTPPolicy',
      'cfg = json.load(open(sys.argv[1]))',
      '# Point the SDK at the emulator: its cloud table names the ARM endpoint; tokens are asked for ARM.',
      "envs._environments['AzureCloud'][envs.EndpointURLS.RESOURCE_MANAGER_ENDPOINT] = cfg['arm'] + '/'",
      "inner = ClientSecretCredential(cfg['tenant'], cfg['client'], cfg['secret'], authority=cfg['authority'], instance_discovery=False)",
      'class ArmScoped:',
      '    def get_token(self, *scopes, **kwargs):',
      "        return inner.get_token('https://management.azure.com/.default', **kwargs)",
      'class ApiVersion(SansIOHTTPPolicy):',
      '    def on_request(self, request):',
      "        request.http_request.url = request.http_request.url.replace('api-version=2022-02-01-preview', 'api-version=2022-10-01')",
      "ml = MLClient(ArmScoped(), cfg['subscription'], cfg['rg'], cfg['ws'], per_call_policies=[ApiVersion()])",
      'times = []',
      "for i in range(cfg['n'] + 5):",
      '    t = time.perf_counter()',
      "    ml.online_endpoints.invoke(endpoint_name=cfg['endpoint'], request_file=cfg['request'])",
      '    times.append((time.perf_counter() - t) * 1000)',
      'print(json.dumps(times[5:]))',
    ].join('\n'),
  );
  const config = path.join(tmp, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({ arm: c.armEndpoint, authority: c.authorityHost, tenant: c.tenantId, client: c.clientId, secret: c.clientSecret, subscription: c.subscriptionId, rg, ws, endpoint: 'bench-ep', request: path.join(SAMPLE, 'test.json'), n: INVOKES }),
  );
  // Asynchronously: the emulator answers from this very process, so its event loop must keep running.
  const py = await new Promise<{ stdout: string; stderr: string; error?: Error }>((resolve) =>
    execFile(
      SYSTEM_PYTHON,
      [script, config],
      { env: { PATH: '/usr/bin:/bin', HOME: os.homedir(), PYTHONPATH: path.join(ROOT, 'scripts', 'oracle'), REQUESTS_CA_BUNDLE: c.caCertPath, SSL_CERT_FILE: c.caCertPath }, encoding: 'utf8', timeout: 300_000 },
      (error, stdout, stderr) => resolve({ stdout, stderr, error: error ?? undefined }),
    ),
  );
  let sdk: number[] | undefined;
  let sdkNote = '';
  try {
    sdk = JSON.parse(py.stdout.trim().split('\n').pop() ?? '') as number[];
  } catch {
    sdkNote = `azure-ai-ml could not be run here: ${(py.stderr || py.error?.message || 'no output').trim().split('\n').slice(-1)[0]}`;
  }

  const p = summarise(times.plain);
  const o = summarise(times.ours);
  const rows = [
    ['plain Node fetch loop (key in a header)', p],
    ['smoke-test ScoringClient (client factory pipeline)', o],
  ] as Array<[string, ReturnType<typeof summarise>]>;
  if (sdk) rows.push(['azure-ai-ml 1.4.0 online_endpoints.invoke (GET endpoint + listKeys + POST each call)', summarise(sdk)]);
  console.log(`\nScoring test.json on the emulator's managed endpoint (${os.cpus().length} cores, Node ${process.version}); ${ROUNDS} alternating rounds of ${PER_ROUND} requests after ${WARMUP} warm-up each${sdk ? `; ${INVOKES} invokes` : ''}.\n`);
  console.log('| client | requests | p50 | p95 |');
  console.log('| --- | --- | --- | --- |');
  for (const [name, s] of rows) console.log(`| ${name} | ${s.count} | ${ms(s.p50)} ms | ${ms(s.p95)} ms |`);
  console.log(`\nsmoke-test client overhead per request vs plain fetch: p50 ${ms(o.p50 - p.p50)} ms, p95 ${ms(o.p95 - p.p95)} ms`);
  if (sdk) console.log(`azure-ai-ml invoke vs plain fetch: p50 +${ms(summarise(sdk).p50 - p.p50)} ms`);
  if (sdkNote) console.log(sdkNote);
} finally {
  await emulator.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
