// `npm run demo`: the pipeline on the sample project — lint → bandit → pytest → train, then the release
// stage: deploy to QA (a managed endpoint) → smoke-test → deploy to prod (a Kubernetes endpoint) →
// smoke-test — through the built bundles, the way the GitHub runner and then the Azure DevOps agent run
// them (environment in, files and stdout out), with the local Azure ML emulator standing in for Azure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StepDeclaration } from '../shared/platform/declaration.js';
import { shippedSteps } from '../shared/steps/catalog.js';
import { deployDeclaration } from '../shared/steps/deploy/declaration.js';
import { smokeTestDeclaration } from '../shared/steps/smoke-test/declaration.js';
import { start, type ReadyConfig } from '../test/emulator/index.js';
import { armClient, trustCa } from '../test/emulator/testing.js';
import { githubWorkspaceInputs, serviceConnectionEnv } from '../test/helpers/azure-env.js';
import { CONTRACTS, type Contract } from '../test/helpers/both.js';
import type { StepRun } from '../test/helpers/contracts.js';
import { ROOT } from '../test/helpers/paths.js';

const sample = path.join(ROOT, 'examples', 'credit-default');
const inputs: Record<string, Record<string, string>> = {
  lint: { paths: 'src tests', 'max-line-length': '88' },
  bandit: { paths: 'src' },
  pytest: { paths: 'tests', 'coverage-min': '80', 'coverage-source': 'src' },
  train: { 'job-file': 'jobs/train.yml' },
};

/** Steps that run in the release stage, after train (and, once merged, register → transfer). */
const RELEASE = new Set([deployDeclaration.id, smokeTestDeclaration.id]);

console.log('Starting the Azure ML emulator (HTTPS on loopback, Azurite for storage)…');
const emulator = await start({});
const c = emulator.config;
trustCa(c.caCertPath);
let failed = 0;

/** How an Azure step signs in to the emulator on each platform, and its environment. */
function azureRun(contract: Contract, step: StepDeclaration, stepInputs: Record<string, string>, workspace: string): Promise<StepRun> {
  const github = contract.name === 'GitHub';
  const all = github ? githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret, ...stepInputs }) : stepInputs;
  const env = github
    ? { NODE_EXTRA_CA_CERTS: c.caCertPath }
    : serviceConnectionEnv(c, 'ServicePrincipal', { serviceprincipalid: c.clientId, tenantid: c.tenantId, serviceprincipalkey: c.clientSecret, authenticationType: 'spnKey' });
  return contract.run(step, all, { workspace, env, timeoutMs: 300000 });
}

function report(step: string, label: string, run: StepRun, started: number, workspace: string, platform: string): boolean {
  const ok = run.exitCode === 0 && !run.failure;
  console.log(`\n--- ${label}: ${ok ? 'succeeded' : `FAILED: ${run.failure ?? run.stderr.trim()}`} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`outputs: ${JSON.stringify(run.outputs)}`);
  const summaryFile = path.join(workspace, '.mlops-demo', `${platform}-${step}-summary.md`);
  fs.mkdirSync(path.dirname(summaryFile), { recursive: true });
  fs.writeFileSync(summaryFile, run.summary);
  console.log(`summary: ${summaryFile}`);
  return ok;
}

/**
 * The release stage: the trained model to QA (a managed endpoint, what ACI was), smoke-tested, then to
 * prod (a Kubernetes endpoint, what AKS was), smoke-tested.
 *
 * Until the register and transfer steps are merged, the model is registered here through ARM from the
 * train job's output (REPLACED AT MERGE by register → transfer, whose output `model` feeds deploy, with
 * QA and prod in the prod workspace).
 */
async function releaseStage(contract: Contract, config: ReadyConfig, workspace: string, trainOutputs: Record<string, string>, version: string): Promise<number> {
  const platform = contract.name === 'GitHub' ? 'github' : 'azure-devops';
  const suffix = contract.name === 'GitHub' ? 'gh' : 'ado';
  const modelUri = (JSON.parse(trainOutputs.outputs ?? '{}') as Record<string, string>).model_output;
  if (!modelUri) {
    console.log('\n--- release: skipped, the train step gave no model_output');
    return 1;
  }
  // REPLACED AT MERGE by the register and transfer steps.
  await armClient(config).modelVersions.createOrUpdate(config.dev.resourceGroup, config.dev.workspace, 'credit-default', version, {
    properties: { modelUri: `${modelUri}/paths/`, modelType: 'custom_model', jobName: trainOutputs['job-name'] },
  } as never);
  console.log(`\nRegistered ${modelUri} as azureml:credit-default:${version} (the register and transfer steps' job, once merged).`);
  const model = `azureml:credit-default:${version}`;
  const stages: Array<[string, StepDeclaration, Record<string, string>]> = [
    ['deploy (QA, managed endpoint)', deployDeclaration, { target: 'aci', 'endpoint-file': 'deploy/endpoint.yml', 'deployment-file': 'deploy/deployment.yml', 'endpoint-name': `credit-qa-${suffix}`, model, 'smoke-test-file': 'test.json' }],
    ['smoke-test (QA)', smokeTestDeclaration, { 'endpoint-name': `credit-qa-${suffix}`, 'request-file': 'test.json', expect: 'len(body.predictions) == 3', requests: '50', concurrency: '4' }],
    ['deploy (prod, Kubernetes endpoint)', deployDeclaration, { target: 'aks', 'endpoint-file': 'deploy/kubernetes-endpoint.yml', 'deployment-file': 'deploy/kubernetes-deployment.yml', 'endpoint-name': `credit-prod-${suffix}`, model, traffic: '100' }],
    ['smoke-test (prod)', smokeTestDeclaration, { 'endpoint-name': `credit-prod-${suffix}`, 'request-file': 'test.json', expect: 'all(body.probabilities, _ >= 0 and _ <= 1)', requests: '50', concurrency: '4', 'max-p95-ms': '2000' }],
  ];
  let failures = 0;
  for (const [label, step, stepInputs] of stages) {
    const started = Date.now();
    const run = await azureRun(contract, step, stepInputs, workspace);
    if (!report(`${step.id}-${label.includes('prod') ? 'prod' : 'qa'}`, label, run, started, workspace, platform)) failures++;
  }
  return failures;
}
try {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-demo-'));
  fs.cpSync(sample, workspace, { recursive: true });
  console.log(`Sample project copied to ${workspace}\n`);

  for (const [index, contract] of CONTRACTS.entries()) {
    const platform = contract.name === 'GitHub' ? 'github' : 'azure-devops';
    console.log(`=== As the ${contract.name} ${contract.name === 'GitHub' ? 'runner' : 'agent'} runs them`);
    let trainOutputs: Record<string, string> = {};
    for (const step of shippedSteps.filter((s) => !RELEASE.has(s.id))) {
      const azure = step.id === 'train';
      // Azure steps sign in to the emulator like to any other cloud: a client secret on GitHub, an
      // AzureRM service connection on Azure DevOps, and its CA trusted through NODE_EXTRA_CA_CERTS.
      const stepInputs = azure && platform === 'github'
        ? githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret, ...inputs[step.id] })
        : inputs[step.id] ?? {};
      const env = !azure
        ? {}
        : platform === 'github'
          ? { NODE_EXTRA_CA_CERTS: c.caCertPath }
          : serviceConnectionEnv(c, 'ServicePrincipal', { serviceprincipalid: c.clientId, tenantid: c.tenantId, serviceprincipalkey: c.clientSecret, authenticationType: 'spnKey' });
      const started = Date.now();
      const run = await contract.run(step, stepInputs, { workspace, env, timeoutMs: 300000 });
      const ok = run.exitCode === 0 && !run.failure;
      if (!ok) failed++;
      console.log(`\n--- ${step.id}: ${ok ? 'succeeded' : `FAILED: ${run.failure ?? run.stderr.trim()}`} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      console.log(`outputs: ${JSON.stringify(run.outputs)}`);
      if (run.issues.length) console.log(`annotations: ${run.issues.map((i) => `${i.file}:${i.line}`).join(', ')}`);
      const summaryFile = path.join(workspace, '.mlops-demo', `${platform}-${step.id}-summary.md`);
      fs.mkdirSync(path.dirname(summaryFile), { recursive: true });
      fs.writeFileSync(summaryFile, run.summary);
      console.log(`summary: ${summaryFile}`);
      if (step.id === 'train' && ok) trainOutputs = run.outputs;
    }
    failed += await releaseStage(contract, c, workspace, trainOutputs, String(index + 1));
    console.log('');
  }
} finally {
  await emulator.stop();
}
console.log(failed ? `${failed} step runs failed.` : 'All steps succeeded on both platforms.');
process.exitCode = failed ? 1 : 0;
