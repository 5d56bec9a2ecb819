// `npm run demo`: the whole loop on the sample project — lint → bandit → pytest → train → register →
// transfer (dev → prod) → deploy to QA (a managed endpoint, what ACI was) → smoke-test → deploy to prod (a
// Kubernetes endpoint, what AKS was) → smoke-test — through the built bundles, the way the GitHub runner and
// then the Azure DevOps agent run them (environment in, files and stdout out), with the local Azure ML
// emulator standing in for Azure. Each step's inputs come from the earlier steps' outputs, as a pipeline
// chains them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StepDeclaration } from '../shared/platform/declaration.js';
import { shippedSteps } from '../shared/steps/catalog.js';
import { start, type ReadyConfig } from '../test/emulator/index.js';
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
const emulator = await start({});
const c = emulator.config;
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
      const ok = run.exitCode === 0 && !run.failure;
      if (!ok) failed++;
      console.log(`\n--- ${stage.label}: ${ok ? 'succeeded' : `FAILED: ${run.failure ?? run.stderr.trim()}`} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      console.log(`outputs: ${JSON.stringify(run.outputs)}`);
      if (run.issues.length) console.log(`annotations: ${run.issues.map((i) => `${i.file}:${i.line}`).join(', ')}`);
      const summaryFile = path.join(workspace, '.mlops-demo', `${platform}-${stage.key}-summary.md`);
      fs.mkdirSync(path.dirname(summaryFile), { recursive: true });
      fs.writeFileSync(summaryFile, run.summary);
      console.log(`summary: ${summaryFile}`);
    }
    console.log('');
  }
} finally {
  await emulator.stop();
}
console.log(failed ? `${failed} step runs failed.` : 'All steps succeeded on both platforms.');
process.exitCode = failed ? 1 : 0;
