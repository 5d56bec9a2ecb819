// `npm run demo`: the pipeline on the sample project — lint → bandit → pytest → train → register →
// transfer (dev → prod) — through the built bundles, the way the GitHub runner and then the Azure DevOps
// agent run them (environment in, files and stdout out), with the local Azure ML emulator standing in
// for Azure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shippedSteps } from '../shared/steps/catalog.js';
import { start } from '../test/emulator/index.js';
import { githubWorkspaceInputs, serviceConnectionEnv } from '../test/helpers/azure-env.js';
import { CONTRACTS } from '../test/helpers/both.js';
import { ROOT } from '../test/helpers/paths.js';

const sample = path.join(ROOT, 'examples', 'credit-default');
const inputs: Record<string, Record<string, string>> = {
  lint: { paths: 'src tests', 'max-line-length': '88' },
  bandit: { paths: 'src' },
  pytest: { paths: 'tests', 'coverage-min': '80', 'coverage-source': 'src' },
  train: { 'job-file': 'jobs/train.yml' },
};
/** Steps that talk to Azure (signed in to the emulator). */
const azureSteps = new Set(['train', 'register', 'transfer']);
/** Inputs taken from earlier steps' outputs, as a pipeline chains them. */
type Outputs = Record<string, Record<string, string>>;
const chained: Record<string, (earlier: Outputs, config: typeof c) => Record<string, string>> = {
  register: (earlier) => ({ 'job-name': earlier.train?.['job-name'] ?? '', 'output-name': 'model_output', name: 'credit-default', gates: 'auc>0.6, accuracy>=0.8', 'compare-metric': 'auc' }),
  transfer: (earlier, config) => ({ name: earlier.register?.['model-id'] ?? '', 'target-resource-group': config.prod.resourceGroup, 'target-workspace': config.prod.workspace }),
};

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
    console.log(`=== As the ${contract.name} ${contract.name === 'GitHub' ? 'runner' : 'agent'} runs them`);
    const earlier: Outputs = {};
    for (const step of shippedSteps) {
      const azure = azureSteps.has(step.id);
      const own = { ...inputs[step.id], ...chained[step.id]?.(earlier, c) };
      // Azure steps sign in to the emulator like to any other cloud: a client secret on GitHub, an
      // AzureRM service connection on Azure DevOps, and its CA trusted through NODE_EXTRA_CA_CERTS.
      const stepInputs = azure && platform === 'github'
        ? githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret, ...own })
        : own;
      const env = !azure
        ? {}
        : platform === 'github'
          ? { NODE_EXTRA_CA_CERTS: c.caCertPath }
          : serviceConnectionEnv(c, 'ServicePrincipal', { serviceprincipalid: c.clientId, tenantid: c.tenantId, serviceprincipalkey: c.clientSecret, authenticationType: 'spnKey' });
      const started = Date.now();
      const run = await contract.run(step, stepInputs, { workspace, env, timeoutMs: 300000 });
      earlier[step.id] = run.outputs;
      const ok = run.exitCode === 0 && !run.failure;
      if (!ok) failed++;
      console.log(`\n--- ${step.id}: ${ok ? 'succeeded' : `FAILED: ${run.failure ?? run.stderr.trim()}`} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      console.log(`outputs: ${JSON.stringify(run.outputs)}`);
      if (run.issues.length) console.log(`annotations: ${run.issues.map((i) => `${i.file}:${i.line}`).join(', ')}`);
      const summaryFile = path.join(workspace, '.mlops-demo', `${platform}-${step.id}-summary.md`);
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
