// Tasks declare Node24 and Node20_1 handlers with one bundle: prove the bundle runs on both.
import { expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { shippedSteps } from '../../shared/steps/catalog.js';
import { camelCase, taskFolder } from '../../shared/platform/declaration.js';
import { handlers } from '../../scripts/metadata.js';
import { runTask, workspaceFrom } from '../helpers/contracts.js';
import { FIXTURES, NODE20, NODE24 } from '../helpers/paths.js';

const inputs: Record<string, Record<string, string>> = {
  lint: { paths: 'pkg' },
  bandit: { paths: 'pkg' },
  pytest: { paths: 'tests' },
};

test('the runtimes are the ones the handlers name', () => {
  expect(execFileSync(NODE24, ['--version']).toString()).toMatch(/^v24\./);
  expect(execFileSync(NODE20, ['--version']).toString()).toMatch(/^v20\./);
});

// Tasks with a Node20_1 handler (the ones without Azure SDKs in their bundle).
const onBoth = shippedSteps.filter((s) => handlers(s).includes('Node20_1'));

test('every task that declares Node20_1 is covered here', () => {
  expect(onBoth.map((s) => s.id).sort()).toEqual(Object.keys(inputs).sort());
});

test.each(onBoth.map((s) => [s.id, s] as const))('%s task: same outcome under Node20_1 as under Node24', async (_id, step) => {
  const results = [];
  for (const node of [NODE20, NODE24]) {
    const run = await runTask(taskFolder(step), {
      workspace: workspaceFrom(path.join(FIXTURES, 'quality', 'findings')),
      inputs: Object.fromEntries(Object.entries(inputs[step.id]).map(([k, v]) => [camelCase(k), v])),
      node,
    });
    expect(run.stderr).not.toMatch(/ExperimentalWarning|SyntaxError|ERR_/);
    results.push({ result: run.result, failure: run.failure, issues: run.issues.length, outputs: Object.keys(run.outputs).sort() });
  }
  expect(results[0].result).toBe('Failed');
  expect(results[0].issues).toBeGreaterThan(0);
  expect(results[0]).toEqual(results[1]);
});
