// `npm run demo`: the pipeline on the sample project — lint → bandit → pytest → train → register →
// transfer (dev → prod) — through the built bundles, the way the GitHub runner and then the Azure DevOps
// agent run them (environment in, files and stdout out), with the local Azure ML emulator standing in
// for Azure.
// `npm run demo -- --chaos 0.2` disturbs 20 % of the requests to ARM, the data plane, scoring and blob
// storage (throttling, server errors, dropped connections, delays; test/emulator/faults.ts chaosRules)
// for every step, and reports the faults injected and the retries the steps logged.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shippedSteps } from '../shared/steps/catalog.js';
import { chaosRules } from '../test/emulator/faults.js';
import { start } from '../test/emulator/index.js';
import { trustCa } from '../test/emulator/testing.js';
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

/** What a step must have answered, beyond succeeding, for the run to count as correct. */
const expected: Record<string, (outputs: Record<string, string>) => string | undefined> = {
  train: (o) => (o.status !== 'Completed' ? `status ${o.status}` : !('auc' in JSON.parse(o.metrics || '{}')) ? 'no auc metric' : undefined),
};

const chaosAt = process.argv.indexOf('--chaos');
const chaos = chaosAt >= 0 ? Number(process.argv[chaosAt + 1]) : 0;
if (chaosAt >= 0 && !(chaos > 0 && chaos < 1)) throw new Error('--chaos needs a rate between 0 and 1, e.g. --chaos 0.2');

console.log('Starting the Azure ML emulator (HTTPS on loopback, Azurite for storage)…');
const emulator = await start(chaos ? { faults: chaosRules(chaos) } : {});
const c = emulator.config;
if (chaos) console.log(`Chaos: ${Math.round(chaos * 100)} % of ARM, data-plane, scoring and blob requests disturbed.`);
const began = Date.now();
let retriedAttempts = 0;
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
      const wrong = run.exitCode === 0 && !run.failure ? expected[step.id]?.(run.outputs) : undefined;
      const ok = run.exitCode === 0 && !run.failure && !wrong;
      if (!ok) failed++;
      // The client factory logs every failed attempt and every retry: `… → <status or error> … (attempt n…)`.
      const retried = run.stdout.split('\n').filter((l) => / → .*\(attempt ([2-9]|\d{2,})\b/.test(l)).length;
      retriedAttempts += retried;
      const note = `${((Date.now() - started) / 1000).toFixed(1)} s${retried ? `, ${retried} retries` : ''}`;
      console.log(`\n--- ${step.id}: ${ok ? 'succeeded' : `FAILED: ${wrong ?? run.failure ?? run.stderr.trim()}`} (${note})`);
      console.log(`outputs: ${JSON.stringify(run.outputs)}`);
      if (run.issues.length) console.log(`annotations: ${run.issues.map((i) => `${i.file}:${i.line}`).join(', ')}`);
      const summaryFile = path.join(workspace, '.mlops-demo', `${platform}-${step.id}-summary.md`);
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
  console.log(`Retries the steps made: ${retriedAttempts}. Wall time of the steps: ${seconds} s.`);
} finally {
  await emulator.stop();
}
console.log(failed ? `${failed} step runs failed.` : 'All steps succeeded on both platforms.');
process.exitCode = failed ? 1 : 0;
