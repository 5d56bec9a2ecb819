// The pytest bundles under both contracts, against Debian's real pytest and pytest-cov.
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { pytestDeclaration as step } from '../../shared/steps/pytest/declaration.js';
import { CONTRACTS } from '../helpers/both.js';
import { workspaceFrom } from '../helpers/contracts.js';
import { FIXTURES } from '../helpers/paths.js';
import { readJUnit } from '../helpers/reports.js';

const fixture = (name: string) => workspaceFrom(path.join(FIXTURES, 'quality', name));

describe.each(CONTRACTS)('pytest, as $name runs it', (contract) => {
  test('a passing suite reports its counts and the JUnit pytest wrote', async () => {
    const run = await contract.run(step, { paths: 'tests' }, { workspace: fixture('clean') });
    expect(run.failure).toBeUndefined();
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({
      passed: '3',
      failed: '0',
      errors: '0',
      skipped: '0',
      'junit-path': expect.stringMatching(/pytest-junit\.xml$/),
      coverage: '',
    });
    expect(readJUnit(run.outputs['junit-path']).cases).toHaveLength(3);
    expect(run.summary).toContain('Tests: 3 passed, 0 failed, 0 errors, 0 skipped');
    expect(run.summary).toContain('**Slowest tests**');
    if (contract.name === 'Azure DevOps') {
      expect(run.published).toEqual([expect.objectContaining({ type: 'JUnit', resultFiles: run.outputs['junit-path'], runTitle: 'pytest' })]);
    }
  });

  test('failures and errors fail the step, each annotated where the test failed with its message', async () => {
    const run = await contract.run(step, { paths: 'tests' }, { workspace: fixture('findings') });
    expect(run.exitCode).toBe(1);
    expect(run.failure).toBe('pytest: 2 tests failed and 1 test errored (3 passed, 2 failed, 1 errors, 1 skipped).');
    expect(run.outputs).toMatchObject({ passed: '3', failed: '2', errors: '1', skipped: '1' });
    expect(run.issues.map(({ file, line, severity }) => ({ file, line, severity }))).toEqual([
      { file: 'tests/test_calc.py', line: 25, severity: 'error' },
      { file: 'tests/test_calc.py', line: 29, severity: 'error' },
      { file: 'tests/test_calc.py', line: 8, severity: 'error' },
    ]);
    // GitHub shows the title above the message; Azure DevOps issues have no title, so it leads the message.
    const shown = run.issues.map((i) => (i.title ? `${i.title}: ${i.message}` : i.message));
    expect(shown).toEqual([
      'Failed: tests.test_calc.test_add_wrong: AssertionError: two and two make four\nassert 4 == 5',
      'Failed: tests.test_calc.test_ratio_by_zero: ZeroDivisionError: cannot divide 1 by zero',
      'Error in tests.test_calc.test_needs_database: failed on setup with "RuntimeError: no database in this fixture"',
    ]);
    expect(run.summary).toContain('| `tests.test_calc.test_ratio_by_zero` | failed | `tests/test_calc.py:29` | ZeroDivisionError: cannot divide 1 by zero |');
  });

  test('what a test prints cannot issue workflow or logging commands', async () => {
    const ws = fixture('clean');
    fs.writeFileSync(
      path.join(ws, 'tests', 'test_noisy.py'),
      [
        'def test_noisy():',
        '    print("::error file=x.py,line=1::injected")',
        '    print("::error::injected failure")',
        '    print("##vso[task.logissue type=error;sourcepath=x.py;linenumber=1]injected")',
        '    print("##vso[task.setvariable variable=injected;isOutput=true]999")',
        '    print("##vso[task.complete result=Failed]injected failure")',
        '',
      ].join('\n'),
    );
    const run = await contract.run(step, { paths: 'tests', args: '-s' }, { workspace: ws });
    expect(run.stdout).toContain('injected');
    // Each injected command has an effect the parsed run would show if the platform obeyed it:
    // an annotation, a failure message, an output the step never sets, a task result.
    expect(run.issues).toEqual([]);
    expect(run.failure).toBeUndefined();
    expect(run.outputs).not.toHaveProperty('injected');
    if (contract.name === 'Azure DevOps') expect(run.result).toBe('Succeeded');
    expect(run.outputs.passed).toBe('4');
  });

  test('working-directory: annotations stay relative to the repository root', async () => {
    const ws = fs.mkdtempSync(path.join(fixture('clean'), 'mono-'));
    fs.cpSync(path.join(FIXTURES, 'quality', 'findings'), path.join(ws, 'service'), { recursive: true });
    const root = path.dirname(ws);
    const run = await contract.run(step, { 'working-directory': `${path.basename(ws)}/service`, paths: 'tests', args: "-k 'add_wrong'" }, { workspace: root });
    expect(run.issues.map((i) => `${i.file}:${i.line}`)).toEqual([`${path.basename(ws)}/service/tests/test_calc.py:25`]);
    expect(run.outputs).toMatchObject({ failed: '1', passed: '0' });
  });

  test('coverage-min gates on total line coverage measured by pytest-cov', async () => {
    const ok = await contract.run(step, { paths: 'tests', 'coverage-min': '50', 'coverage-source': 'pkg' }, { workspace: fixture('clean') });
    expect(ok.failure).toBeUndefined();
    expect(ok.outputs.coverage).toBe('58.33');
    expect(ok.summary).toContain('Coverage: **58.33%** (minimum 50%)');
    const low = await contract.run(step, { paths: 'tests', 'coverage-min': '90', 'coverage-source': 'pkg' }, { workspace: fixture('clean') });
    expect(low.exitCode).toBe(1);
    expect(low.failure).toBe(`pytest: coverage 58.33% is below ${contract.name === 'GitHub' ? 'coverage-min' : 'coverageMin'} 90% (3 passed, 0 failed, 0 errors, 0 skipped).`);
  });

  test('coverage-min without pytest-cov says what is missing', async () => {
    const run = await contract.run(step, { paths: 'tests', 'coverage-min': '50', args: '-p no:pytest_cov' }, { workspace: fixture('clean') });
    expect(run.failure).toMatch(/^coverage-min needs pytest-cov, which is not installed for this pytest\. Install it/);
  });

  test('no tests collected, a crashing process, a usage error and a missing pytest are "could not run"', async () => {
    const none = await contract.run(step, { paths: 'pkg' }, { workspace: fixture('no-tests') });
    expect(none.failure).toBe(
      'pytest collected no tests in pkg (exit code 5). Check the paths input and that test files are named test_*.py or *_test.py.',
    );
    const crash = await contract.run(step, { paths: 'tests' }, { workspace: fixture('crash') });
    expect(crash.exitCode).toBe(1);
    expect(crash.failure).toMatch(/^pytest did not finish \(signal SIGABRT\) and wrote no JUnit report: .*A test or plugin may have ended the process/);
    expect(crash.outputs.passed).toBeUndefined();
    const usage = await contract.run(step, { paths: 'tests', args: '--no-such-option' }, { workspace: fixture('clean') });
    expect(usage.failure).toBe(
      'pytest rejected its arguments or configuration (exit code 4): pytest: error: unrecognized arguments: --no-such-option',
    );
    const empty = fs.mkdtempSync(path.join(fixture('clean'), 'no-tools-'));
    const missing = await contract.run(step, {}, { workspace: fixture('clean'), env: { PATH: empty } });
    expect(missing.failure).toMatch(/^pytest could not be started: 'pytest' was not found/);
  });

  test('bad input: an unclosed quote in args', async () => {
    const run = await contract.run(step, { args: "-k 'oops" }, { workspace: fixture('clean') });
    expect(run.failure).toBe("Input 'args' has an unclosed single quote: -k 'oops");
  });

  test('cancelling the job (SIGINT) stops the tests and fails the step at once', async () => {
    const started = Date.now();
    let child: import('node:child_process').ChildProcess | undefined;
    const running = contract.run(step, { paths: 'tests' }, { workspace: fixture('slow'), onSpawn: (c) => (child = c) });
    // Wait until pytest has started the slow test, then cancel as the runner does.
    await new Promise((r) => setTimeout(r, 1500));
    child!.kill('SIGINT');
    const run = await running;
    expect(Date.now() - started).toBeLessThan(15000);
    expect(run.failure).toBe('Cancelled: received SIGINT.');
    expect(run.exitCode).toBe(1);
  });
});
