// The bandit bundles under both contracts, against Debian's real bandit.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { banditDeclaration as step } from '../../shared/steps/bandit/declaration.js';
import { CONTRACTS } from '../helpers/both.js';
import { workspaceFrom } from '../helpers/contracts.js';
import { FIXTURES } from '../helpers/paths.js';
import { readJUnit, validSarif } from '../helpers/reports.js';

const fixture = (name: string) => workspaceFrom(path.join(FIXTURES, 'quality', name));

// The six findings bandit 1.6 reports in test/fixtures/quality/findings/pkg (see its README).
const PLANTED = [
  { file: 'pkg/app.py', line: 2, rule: 'B404', severity: 'LOW', confidence: 'HIGH' },
  { file: 'pkg/app.py', line: 6, rule: 'B602', severity: 'HIGH', confidence: 'HIGH' },
  { file: 'pkg/app.py', line: 10, rule: 'B307', severity: 'MEDIUM', confidence: 'HIGH' },
  { file: 'pkg/app.py', line: 18, rule: 'B101', severity: 'LOW', confidence: 'HIGH' },
  { file: 'pkg/app.py', line: 24, rule: 'B604', severity: 'MEDIUM', confidence: 'LOW' },
  { file: 'pkg/sub/util.py', line: 5, rule: 'B311', severity: 'LOW', confidence: 'HIGH' },
];

describe.each(CONTRACTS)('bandit, as $name runs it', (contract) => {
  test('a clean project passes with zero counts and valid reports', async () => {
    const run = await contract.run(step, { paths: 'pkg' }, { workspace: fixture('clean') });
    expect(run.failure).toBeUndefined();
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ 'issue-count': '0', 'high-count': '0', 'medium-count': '0', 'low-count': '0' });
    expect(validSarif(run.outputs['sarif-path'])).toEqual({ results: [], errors: '' });
    expect(readJUnit(run.outputs['junit-path']).failures).toHaveLength(0);
    expect(run.summary).toContain('bandit found no issues');
  });

  test('findings at the default gate (any severity, any confidence) fail the step, all annotated', async () => {
    const run = await contract.run(step, { paths: 'pkg' }, { workspace: fixture('findings') });
    expect(run.exitCode).toBe(1);
    expect(run.failure).toBe(
      'bandit found 6 issues (1 high, 2 medium, 3 low); 6 findings at severity ≥ low and confidence ≥ low.',
    );
    expect(run.outputs).toMatchObject({ 'issue-count': '6', 'high-count': '1', 'medium-count': '2', 'low-count': '3' });
    expect(run.issues.map(({ file, line, severity }) => ({ file, line, severity }))).toEqual(
      PLANTED.map(({ file, line }) => ({ file, line, severity: 'error' })),
    );
    expect(run.issues[1].message).toContain('subprocess call with shell=True identified');

    const sarif = validSarif(run.outputs['sarif-path']);
    expect(sarif.errors).toBe('');
    expect(sarif.results.map(({ file, line, ruleId }) => ({ file, line, rule: ruleId }))).toEqual(
      PLANTED.map(({ file, line, rule }) => ({ file, line, rule })),
    );
    expect(sarif.results.map((r) => r.level)).toEqual(['note', 'error', 'warning', 'note', 'warning', 'note']);
    const junit = readJUnit(run.outputs['junit-path']);
    expect(junit.failures.map((c) => c.children[0].attributes.type)).toEqual(PLANTED.map((p) => p.rule));
    expect(run.summary).toContain('| high | high | `B602` | `pkg/app.py:6` |');
  });

  test('severity and confidence gates: only findings at or above both fail the step', async () => {
    const medium = await contract.run(step, { paths: 'pkg', severity: 'medium', confidence: 'medium' }, { workspace: fixture('findings') });
    expect(medium.failure).toBe(
      'bandit found 6 issues (1 high, 2 medium, 3 low); 2 findings at severity ≥ medium and confidence ≥ medium.',
    );
    expect(medium.issues.filter((i) => i.severity === 'error').map((i) => i.line)).toEqual([6, 10]);
    expect(medium.issues.filter((i) => i.severity === 'warning').map((i) => i.line)).toEqual([2, 18, 24, 5]);

    const relaxed = await contract.run(step, { paths: 'pkg/sub', severity: 'MEDIUM' }, { workspace: fixture('findings') });
    expect(relaxed.exitCode).toBe(0);
    expect(relaxed.failure).toBeUndefined();
    expect(relaxed.outputs['issue-count']).toBe('1');
    expect(relaxed.issues).toEqual([expect.objectContaining({ file: 'pkg/sub/util.py', line: 5, severity: 'warning' })]);
  });

  test('a baseline hides the findings it holds; skip leaves out tests', async () => {
    const ws = fixture('findings');
    // The baseline is bandit's own report of the findings accepted so far: everything in app.py.
    spawnSync('/usr/bin/bandit', ['-q', '-r', 'pkg/app.py', '-f', 'json', '-o', 'baseline.json'], { cwd: ws, stdio: 'ignore' });
    expect(fs.existsSync(path.join(ws, 'baseline.json'))).toBe(true);
    const run = await contract.run(step, { paths: 'pkg', baseline: 'baseline.json' }, { workspace: ws });
    expect(run.outputs['issue-count']).toBe('1');
    expect(run.issues.map((i) => `${i.file}:${i.line}`)).toEqual(['pkg/sub/util.py:5']);
    expect(run.summary).toContain('Baseline: `baseline.json`');

    const skipped = await contract.run(step, { paths: 'pkg', skip: 'B101, B404' }, { workspace: fixture('findings') });
    expect(skipped.outputs['issue-count']).toBe('4');
  });

  test('bandit missing, a bad configuration and a bad baseline are "could not run"', async () => {
    const ws = fixture('findings');
    const empty = fs.mkdtempSync(path.join(ws, 'no-tools-'));
    const missing = await contract.run(step, { paths: 'pkg' }, { workspace: ws, env: { PATH: empty } });
    expect(missing.failure).toMatch(/^bandit could not be started: 'bandit' was not found \(ENOENT\)\..*apt-get install bandit/);

    const config = await contract.run(step, { paths: 'pkg', config: 'bandit.yaml' }, { workspace: fixture('bandit-bad-config') });
    expect(config.exitCode).toBe(1);
    expect(config.failure).toBe(
      'bandit could not scan the code (exit code 2), most likely because of its configuration or arguments: [main]\tERROR\tbandit.yaml : Error parsing file.',
    );
    expect(config.outputs['issue-count']).toBeUndefined();

    // An empty configuration makes bandit crash after opening its report: exit 1 (as for findings), empty JSON.
    const emptyConfig = await contract.run(step, { paths: 'pkg', config: 'empty.yaml' }, { workspace: fixture('bandit-bad-config') });
    expect(emptyConfig.failure).toBe("bandit did not finish its report (exit code 1): TypeError: argument of type 'NoneType' is not iterable");

    fs.writeFileSync(path.join(ws, 'not-a-baseline.json'), '{"findings": []}');
    const baseline = await contract.run(step, { paths: 'pkg', baseline: 'not-a-baseline.json' }, { workspace: ws });
    expect(baseline.failure).toBe(
      "not-a-baseline.json: the baseline must be a bandit JSON report (bandit -f json): " +
        `${path.join(ws, 'not-a-baseline.json')} has no 'results' list; is it a bandit JSON report?`,
    );
    expect(baseline.stdout).not.toContain('[command]');
  });

  test('bad input names the input and lists what is allowed', async () => {
    const run = await contract.run(step, { severity: 'critical' }, { workspace: fixture('clean') });
    expect(run.failure).toBe("Input 'severity' must be one of 'low', 'medium', 'high' (got 'critical').");
    expect(run.stdout).not.toContain('[command]');
  });
});
