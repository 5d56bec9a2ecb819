// The lint bundles, run as the GitHub runner and the Azure DevOps agent run them, over fixture projects,
// against Debian's real flake8.
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { lintDeclaration as step } from '../../shared/steps/lint/declaration.js';
import { CONTRACTS } from '../helpers/both.js';
import { workspaceFrom } from '../helpers/contracts.js';
import { FIXTURES } from '../helpers/paths.js';
import { readJUnit, validSarif } from '../helpers/reports.js';

const fixture = (name: string) => workspaceFrom(path.join(FIXTURES, 'quality', name));

// The five findings planted in test/fixtures/quality/findings (see its README).
const PLANTED = [
  { file: 'pkg/app.py', line: 1, column: 1, rule: 'F401' },
  { file: 'pkg/app.py', line: 19, column: 5, rule: 'F841' },
  { file: 'pkg/sub/util.py', line: 6, column: 1, rule: 'E302' },
  { file: 'pkg/sub/util.py', line: 7, column: 89, rule: 'E501' },
  { file: 'pkg/sub/util.py', line: 7, column: 96, rule: 'W291' },
];

describe.each(CONTRACTS)('lint, as $name runs it', (contract) => {
  test('a clean project passes with no findings and still writes valid reports', async () => {
    const run = await contract.run(step, {}, { workspace: fixture('clean') });
    expect(run.failure).toBeUndefined();
    expect(run.exitCode).toBe(0);
    expect(run.outputs['issue-count']).toBe('0');
    expect(run.issues).toEqual([]);
    const junit = readJUnit(run.outputs['junit-path']);
    expect(junit.cases).toHaveLength(1);
    expect(junit.failures).toHaveLength(0);
    const sarif = validSarif(run.outputs['sarif-path']);
    expect(sarif.errors).toBe('');
    expect(sarif.results).toEqual([]);
    expect(run.summary).toContain('flake8 found no problems');
    if (contract.name === 'Azure DevOps') expect(run.result).toBe('Succeeded');
  });

  test('findings fail the step, each annotated at its file, line and column, in JUnit and SARIF', async () => {
    const run = await contract.run(step, { 'max-line-length': '88' }, { workspace: fixture('findings') });
    expect(run.exitCode).toBe(1);
    expect(run.failure).toBe('flake8 found 5 problems in 2 files.');
    expect(run.outputs['issue-count']).toBe('5');
    expect(run.issues.map(({ file, line, column, severity }) => ({ file, line, column, severity }))).toEqual(
      PLANTED.map(({ file, line, column }) => ({ file, line, column, severity: 'error' })),
    );
    expect(run.issues[3].message).toContain('line too long (95 > 88 characters)');

    const junit = readJUnit(run.outputs['junit-path']);
    expect(junit.failures).toHaveLength(5);
    expect(junit.failures.map((c) => [c.attributes.file, c.attributes.line])).toEqual(PLANTED.map((p) => [p.file, String(p.line)]));

    const sarif = validSarif(run.outputs['sarif-path']);
    expect(sarif.errors).toBe('');
    expect(sarif.results.map(({ file, line, column, ruleId }) => ({ file, line, column, rule: ruleId }))).toEqual(PLANTED);
    expect(sarif.results.find((r) => r.ruleId === 'F401')!.level).toBe('error');
    expect(sarif.results.find((r) => r.ruleId === 'E501')!.level).toBe('warning');

    expect(run.summary).toContain('flake8 found 5 problems in 2 files');
    expect(run.summary).toContain('| `E501` | 1 |');
    if (contract.name === 'Azure DevOps') {
      expect(run.result).toBe('Failed');
      expect(run.published).toEqual([expect.objectContaining({ type: 'JUnit', resultFiles: run.outputs['junit-path'], runTitle: 'flake8' })]);
    }
  });

  test('max-issues relaxes the gate: findings up to it are warnings and the step passes', async () => {
    const run = await contract.run(step, { 'max-line-length': '88', 'max-issues': '5' }, { workspace: fixture('findings') });
    expect(run.exitCode).toBe(0);
    expect(run.failure).toBeUndefined();
    expect(run.outputs['issue-count']).toBe('5');
    // Every planted finding is still annotated, at its place, only as a warning (not vacuous on zero annotations).
    expect(run.issues.map(({ file, line, column, severity }) => ({ file, line, column, severity }))).toEqual(
      PLANTED.map(({ file, line, column }) => ({ file, line, column, severity: 'warning' })),
    );
    const failing = await contract.run(step, { 'max-line-length': '88', 'max-issues': '4' }, { workspace: fixture('findings') });
    expect(failing.failure).toBe(`flake8 found 5 problems in 2 files, more than the 4 allowed by ${contract.name === 'GitHub' ? 'max-issues' : 'maxIssues'}.`);
  });

  test('paths are checked from working-directory but reported relative to the repository root', async () => {
    const run = await contract.run(step, { 'working-directory': 'pkg', paths: 'sub', select: 'E302,W291' }, { workspace: fixture('findings') });
    expect(run.issues.map((i) => `${i.file}:${i.line}:${i.column}`)).toEqual(['pkg/sub/util.py:6:1', 'pkg/sub/util.py:7:96']);
    const ignoring = await contract.run(step, { paths: 'pkg/sub', ignore: 'E302, W291' }, { workspace: fixture('findings') });
    expect(ignoring.issues.map((i) => `${i.file}:${i.line}:${i.column}`)).toEqual(['pkg/sub/util.py:7:89']);
  });

  test('flake8 missing is "could not run", with how to install it', async () => {
    const empty = fs.mkdtempSync(path.join(fixture('clean'), 'no-tools-'));
    const run = await contract.run(step, {}, { workspace: fixture('clean'), env: { PATH: empty } });
    expect(run.exitCode).toBe(1);
    expect(run.failure).toMatch(/^flake8 could not be started: 'flake8' was not found \(ENOENT\)\. Install it in an earlier step/);
    expect(run.failure).toContain('apt-get install flake8');
    expect(run.outputs['issue-count']).toBeUndefined();
  });

  test('a python without flake8 is "could not run" too', async () => {
    // python3 -S skips site-packages, where Debian's flake8 lives.
    const ws = fixture('clean');
    const python = path.join(ws, 'python-without-site');
    fs.writeFileSync(python, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n', { mode: 0o755 });
    const run = await contract.run(step, { python }, { workspace: ws });
    expect(run.failure).toMatch(/^flake8 is not installed for '.*python-without-site'\. Install it/);
  });

  test('install: true runs pip with the pinned version, and says so clearly when pip cannot', async () => {
    const ws = fixture('clean');
    const python = path.join(ws, 'python-without-site');
    fs.writeFileSync(python, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n', { mode: 0o755 });
    const run = await contract.run(step, { python, install: 'true' }, { workspace: ws });
    expect(run.stdout).toContain(`[command]${python} -m pip install --disable-pip-version-check flake8==7.5.0`);
    expect(run.failure).toMatch(/^Could not install flake8: '.*python-without-site -m pip install flake8==7\.5\.0' exited with exit code 1\. .*No module named pip$/);
  });

  test('a configuration flake8 rejects is reported as such, not as findings', async () => {
    const run = await contract.run(step, {}, { workspace: fixture('lint-bad-config') });
    expect(run.exitCode).toBe(1);
    expect(run.failure).toBe(
      "flake8 could not check the code (exit code 1), most likely because of its configuration: ValueError: invalid literal for int() with base 10: 'eighty'",
    );
    expect(run.outputs['issue-count']).toBeUndefined();
  });

  test('bad input gets one sentence naming the input as this platform spells it, and runs nothing', async () => {
    const run = await contract.run(step, { 'max-line-length': 'eighty' }, { workspace: fixture('clean') });
    const name = contract.name === 'GitHub' ? 'max-line-length' : 'maxLineLength';
    expect(run.failure).toBe(`Input '${name}' must be a whole number (got 'eighty').`);
    expect(run.stdout).not.toContain('[command]');
    const missing = await contract.run(step, { paths: 'src' }, { workspace: fixture('clean') });
    expect(missing.failure).toMatch(/^Input 'paths' names 'src', which does not exist in \./);
    const config = await contract.run(step, { config: 'nope.cfg' }, { workspace: fixture('clean') });
    expect(config.failure).toMatch(/^Input 'config' names 'nope\.cfg', which is not a file/);
  });
});
