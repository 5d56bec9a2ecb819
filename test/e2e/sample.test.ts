// The sample project stays clean: the three quality steps pass on it, as the demo shows.
import { expect, test } from '@jest/globals';
import path from 'node:path';
import { banditDeclaration } from '../../shared/steps/bandit/declaration.js';
import { lintDeclaration } from '../../shared/steps/lint/declaration.js';
import { pytestDeclaration } from '../../shared/steps/pytest/declaration.js';
import { CONTRACTS } from '../helpers/both.js';
import { workspaceFrom } from '../helpers/contracts.js';
import { ROOT } from '../helpers/paths.js';

test('examples/credit-default passes lint, bandit and pytest with coverage', async () => {
  const workspace = workspaceFrom(path.join(ROOT, 'examples', 'credit-default'));
  const github = CONTRACTS[0];
  const lint = await github.run(lintDeclaration, { paths: 'src tests' }, { workspace });
  expect([lint.failure, lint.outputs['issue-count']]).toEqual([undefined, '0']);
  const bandit = await github.run(banditDeclaration, { paths: 'src' }, { workspace });
  expect([bandit.failure, bandit.outputs['issue-count']]).toEqual([undefined, '0']);
  const pytest = await github.run(pytestDeclaration, { 'coverage-min': '75', 'coverage-source': 'src' }, { workspace });
  expect(pytest.failure).toBeUndefined();
  expect(Number(pytest.outputs.passed)).toBeGreaterThanOrEqual(13);
  expect(Number(pytest.outputs.coverage)).toBeGreaterThan(75);
});
