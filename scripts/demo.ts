// `npm run demo`: the pipeline on the sample project, through the built bundles, the way the GitHub
// runner runs them (environment in, files and stdout out) — and once more as the Azure DevOps agent does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shippedSteps } from '../shared/steps/catalog.js';
import { CONTRACTS } from '../test/helpers/both.js';
import { ROOT } from '../test/helpers/paths.js';

const sample = path.join(ROOT, 'examples', 'credit-default');
const inputs: Record<string, Record<string, string>> = {
  lint: { paths: 'src tests', 'max-line-length': '88' },
  bandit: { paths: 'src' },
  pytest: { paths: 'tests', 'coverage-min': '80', 'coverage-source': 'src' },
};

const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-demo-'));
fs.cpSync(sample, workspace, { recursive: true });
console.log(`Sample project copied to ${workspace}\n`);

let failed = 0;
for (const contract of CONTRACTS) {
  console.log(`=== As the ${contract.name} ${contract.name === 'GitHub' ? 'runner' : 'agent'} runs them`);
  for (const step of shippedSteps) {
    const run = await contract.run(step, inputs[step.id] ?? {}, { workspace });
    const ok = run.exitCode === 0 && !run.failure;
    if (!ok) failed++;
    console.log(`\n--- ${step.id}: ${ok ? 'succeeded' : `FAILED: ${run.failure ?? run.stderr.trim()}`}`);
    console.log(`outputs: ${JSON.stringify(run.outputs)}`);
    if (run.issues.length) console.log(`annotations: ${run.issues.map((i) => `${i.file}:${i.line}`).join(', ')}`);
    const summaryFile = path.join(workspace, '.mlops-demo', `${contract.name === 'GitHub' ? 'github' : 'azure-devops'}-${step.id}-summary.md`);
    fs.mkdirSync(path.dirname(summaryFile), { recursive: true });
    fs.writeFileSync(summaryFile, run.summary);
    console.log(`summary: ${summaryFile}`);
  }
  console.log('');
}
console.log(failed ? `${failed} step runs failed.` : 'All steps succeeded on both platforms.');
process.exitCode = failed ? 1 : 0;
