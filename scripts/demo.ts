// `npm run demo`: the whole loop on the sample project — lint → bandit → pytest → train → register →
// transfer (dev → prod) → deploy to QA (a managed endpoint, what ACI was) → smoke-test → deploy to prod (a
// Kubernetes endpoint, what AKS was) → smoke-test — through the built bundles, the way the GitHub runner and
// then the Azure DevOps agent run them (environment in, files and stdout out), with the local Azure ML
// emulator standing in for Azure. Each step's inputs come from the earlier steps' outputs, as a pipeline
// chains them.
// `npm run demo -- --chaos 0.2` disturbs 20 % of the requests to ARM, the data plane, scoring and blob
// storage (throttling, server errors, dropped connections, delays; test/emulator/faults.ts chaosRules)
// for every stage, and reports the faults injected and the retries the steps made.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StepDeclaration } from '../shared/platform/declaration.js';
import { shippedSteps } from '../shared/steps/catalog.js';
import { chaosRules } from '../test/emulator/faults.js';
import { start, type ReadyConfig } from '../test/emulator/index.js';
import { trustCa } from '../test/emulator/testing.js';
import { githubWorkspaceInputs, serviceConnectionEnv } from '../test/helpers/azure-env.js';
import { CONTRACTS, type Contract } from '../test/helpers/both.js';
import type { StepRun } from '../test/helpers/contracts.js';
import { ROOT } from '../test/helpers/paths.js';

const sample = path.join(ROOT, 'examples', 'credit-default');
const step = (id: string): StepDeclaration => shippedSteps.find((s) => s.id === id)!;

/** Outputs of the stages run so far, by stage key. */
type Outputs = Record<string, Record<string, string>>;
interface Stage {
  key: string;
  label: string;
  step: StepDeclaration;
  azure: boolean;
  inputs: (earlier: Outputs, config: ReadyConfig, suffix: string) => Record<string, string>;
}

/** Where the release deploys: the prod workspace, as the transfer step left the model there. */
const prod = (config: ReadyConfig) => ({ 'resource-group': config.prod.resourceGroup, workspace: config.prod.workspace });

const STAGES: Stage[] = [
  { key: 'lint', label: 'lint', step: step('lint'), azure: false, inputs: () => ({ paths: 'src tests', 'max-line-length': '88' }) },
  { key: 'bandit', label: 'bandit', step: step('bandit'), azure: false, inputs: () => ({ paths: 'src' }) },
  { key: 'pytest', label: 'pytest', step: step('pytest'), azure: false, inputs: () => ({ paths: 'tests', 'coverage-min': '80', 'coverage-source': 'src' }) },
  { key: 'train', label: 'train (dev)', step: step('train'), azure: true, inputs: () => ({ 'job-file': 'jobs/train.yml' }) },
  {
    key: 'register',
    label: 'register (dev, gated, champion/challenger)',
    step: step('register'),
    azure: true,
    inputs: (e) => ({ 'job-name': e.train?.['job-name'] ?? '', 'output-name': 'model_output', name: 'credit-default', gates: 'auc>0.6, accuracy>=0.8', 'compare-metric': 'auc' }),
  },
  {
    key: 'transfer',
    label: 'transfer (dev → prod)',
    step: step('transfer'),
    azure: true,
    inputs: (e, c) => ({ name: e.register?.['model-id'] ?? '', 'target-resource-group': c.prod.resourceGroup, 'target-workspace': c.prod.workspace }),
  },
  {
    key: 'deploy-qa',
    label: 'deploy (QA, managed endpoint)',
    step: step('deploy'),
    azure: true,
    inputs: (e, c, suffix) => ({
      ...prod(c),
      target: 'aci',
      'endpoint-file': 'deploy/endpoint.yml',
      'deployment-file': 'deploy/deployment.yml',
      'endpoint-name': `credit-qa-${suffix}`,
      model: e.transfer?.['model-id'] ?? '',
      'smoke-test-file': 'test.json',
    }),
  },
  {
    key: 'smoke-qa',
    label: 'smoke-test (QA)',
    step: step('smoke-test'),
    azure: true,
    inputs: (e, c) => ({ ...prod(c), 'endpoint-name': e['deploy-qa']?.['endpoint-name'] ?? '', 'request-file': 'test.json', expect: 'len(body.predictions) == 3', requests: '50', concurrency: '4' }),
  },
  {
    key: 'deploy-prod',
    label: 'deploy (prod, Kubernetes endpoint)',
    step: step('deploy'),
    azure: true,
    inputs: (e, c, suffix) => ({
      ...prod(c),
      target: 'aks',
      'endpoint-file': 'deploy/kubernetes-endpoint.yml',
      'deployment-file': 'deploy/kubernetes-deployment.yml',
      'endpoint-name': `credit-prod-${suffix}`,
      model: e.transfer?.['model-id'] ?? '',
      traffic: '100',
    }),
  },
  {
    key: 'smoke-prod',
    label: 'smoke-test (prod)',
    step: step('smoke-test'),
    azure: true,
    inputs: (e, c) => ({
      ...prod(c),
      'endpoint-name': e['deploy-prod']?.['endpoint-name'] ?? '',
      'request-file': 'test.json',
      expect: 'all(body.probabilities, _ >= 0 and _ <= 1)',
      requests: '50',
      concurrency: '4',
      'max-p95-ms': '2000',
    }),
  },
];

/** What a stage must have answered, beyond succeeding, for the run to count as correct. */
const expected: Record<string, (outputs: Record<string, string>) => string | undefined> = {
  train: (o) => (o.status !== 'Completed' ? `status ${o.status}` : !('auc' in JSON.parse(o.metrics || '{}')) ? 'no auc metric' : undefined),
};

const chaosAt = process.argv.indexOf('--chaos');
const chaos = chaosAt >= 0 ? Number(process.argv[chaosAt + 1]) : 0;
if (chaosAt >= 0 && !(chaos > 0 && chaos < 1)) throw new Error('--chaos needs a rate between 0 and 1, e.g. --chaos 0.2');

/** Azure steps sign in to the emulator like to any other cloud: a client secret on GitHub, an AzureRM service
 *  connection on Azure DevOps, and its CA trusted through NODE_EXTRA_CA_CERTS. */
function runStage(contract: Contract, stage: Stage, own: Record<string, string>, workspace: string, c: ReadyConfig): Promise<StepRun> {
  const github = contract.name === 'GitHub';
  if (!stage.azure) return contract.run(stage.step, own, { workspace, env: {}, timeoutMs: 300000 });
  const inputs = github ? githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret, ...own }) : own;
  const env = github
    ? { NODE_EXTRA_CA_CERTS: c.caCertPath }
    : serviceConnectionEnv(c, 'ServicePrincipal', { serviceprincipalid: c.clientId, tenantid: c.tenantId, serviceprincipalkey: c.clientSecret, authenticationType: 'spnKey' });
  return contract.run(stage.step, inputs, { workspace, env, timeoutMs: 300000 });
}

console.log('Starting the Azure ML emulator (HTTPS on loopback, Azurite for storage)…');
const emulator = await start(chaos ? { faults: chaosRules(chaos) } : {});
const c = emulator.config;
if (chaos) console.log(`Chaos: ${Math.round(chaos * 100)} % of ARM, data-plane, scoring and blob requests disturbed.`);
const began = Date.now();
let retries = 0;
let failed = 0;
try {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-demo-'));
  fs.cpSync(sample, workspace, { recursive: true });
  console.log(`Sample project copied to ${workspace}\n`);

  for (const contract of CONTRACTS) {
    const platform = contract.name === 'GitHub' ? 'github' : 'azure-devops';
    const suffix = contract.name === 'GitHub' ? 'gh' : 'ado';
    console.log(`=== As the ${contract.name} ${contract.name === 'GitHub' ? 'runner' : 'agent'} runs them`);
    const earlier: Outputs = {};
    for (const stage of STAGES) {
      const started = Date.now();
      const run = await runStage(contract, stage, stage.inputs(earlier, c, suffix), workspace, c);
      earlier[stage.key] = run.outputs;
      const wrong = run.exitCode === 0 && !run.failure ? expected[stage.key]?.(run.outputs) : undefined;
      const ok = run.exitCode === 0 && !run.failure && !wrong;
      if (!ok) failed++;
      // The client factory logs every failed attempt and every retry: `… → <status or error> … (attempt n…)`.
      const retried = run.stdout.split('\n').filter((l) => / → .*\(attempt ([2-9]|\d{2,})\b/.test(l)).length;
      retries += retried;
      const note = `${((Date.now() - started) / 1000).toFixed(1)} s${retried ? `, ${retried} retries` : ''}`;
      console.log(`\n--- ${stage.label}: ${ok ? 'succeeded' : `FAILED: ${wrong ?? run.failure ?? run.stderr.trim()}`} (${note})`);
      console.log(`outputs: ${JSON.stringify(run.outputs)}`);
      if (run.issues.length) console.log(`annotations: ${run.issues.map((i) => `${i.file}:${i.line}`).join(', ')}`);
      const summaryFile = path.join(workspace, '.mlops-demo', `${platform}-${stage.key}-summary.md`);
      fs.mkdirSync(path.dirname(summaryFile), { recursive: true });
      fs.writeFileSync(summaryFile, run.summary);
      console.log(`summary: ${summaryFile}`);
    }
    console.log('');
  }
  const seconds = ((Date.now() - began) / 1000).toFixed(1);
  if (chaos) {
    trustCa(c.caCertPath);
    const log = ((await (await fetch(`${c.adminUrl}/requests`)).json()) as { value: Array<{ target: string; fault?: string }> }).value;
    const injected = log.filter((r) => r.fault?.startsWith('chaos-'));
    const by = (f: (r: { target: string; fault?: string }) => string) => {
      const counts = new Map<string, number>();
      for (const r of injected) counts.set(f(r), (counts.get(f(r)) ?? 0) + 1);
      return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
    };
    console.log(`Chaos: ${injected.length} of ${log.length} requests disturbed (${by((r) => r.fault!.replace(/^chaos-\w+-/, ''))}; ${by((r) => r.target)}).`);
  }
  console.log(`Retries the steps made: ${retries}. Wall time of the steps: ${seconds} s.`);
} finally {
  await emulator.stop();
}
console.log(failed ? `${failed} step runs failed.` : 'All steps succeeded on both platforms.');
process.exitCode = failed ? 1 : 0;
