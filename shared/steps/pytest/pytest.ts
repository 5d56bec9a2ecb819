// pytest as a quality check: its arguments and coverage, "tests failed" told from "could not run",
// failures annotated at their line, and what it publishes.
import fs from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ToolError } from '../../platform/errors.js';
import type { Annotation } from '../../platform/platform.js';
import { splitArgs } from '../../process/args.js';
import type { ToolRun } from '../../process/run-tool.js';
import {
  coveragePercent,
  parsePytestJUnit,
  rootdirFromOutput,
  tracebackFrames,
  type TestCaseResult,
} from '../../python/pytest-junit.js';
import { describeExit, lastLine, PYTEST } from '../../python/tools.js';
import { code, table } from '../../reports/markdown.js';
import { plural, workspacePath } from '../quality/common.js';
import { qualityStep, type QualityCheck } from '../quality/pipeline.js';
import { pytestDeclaration } from './declaration.js';

const SLOWEST = 5;

interface PytestPlan {
  args: string[];
  junitPath: string;
  coveragePath: string;
  coverageMin?: number;
}

interface PytestResult {
  cases: TestCaseResult[];
  totals: { passed: number; failed: number; errors: number; skipped: number };
  coverage?: number;
  locate: (file: string | undefined) => string | undefined;
}

export const pytestCheck: QualityCheck<PytestPlan, PytestResult> = {
  declaration: pytestDeclaration,
  tool: PYTEST,

  async plan({ inputs }, { paths, reports }) {
    const extra = splitArgs(inputs.string('args') ?? '', 'args');
    const coverageMin = inputs.number('coverage-min');
    const coverageSource = inputs.string('coverage-source');
    const junitPath = path.join(reports, 'pytest-junit.xml');
    const coveragePath = path.join(reports, 'coverage.xml');
    rmSync(junitPath, { force: true });
    rmSync(coveragePath, { force: true });
    // xunit1 keeps each test's file and line in the report, which annotations need.
    const args = [...paths, ...extra, `--junitxml=${junitPath}`, '-o', 'junit_family=xunit1'];
    if (coverageMin !== undefined) {
      args.push(`--cov=${coverageSource ?? '.'}`, `--cov-report=xml:${coveragePath}`, '--cov-report=term');
    }
    return { args, junitPath, coveragePath, coverageMin };
  },

  async read(run, { junitPath, coveragePath, coverageMin }, { cwd, paths }, { platform }) {
    checkRan(run, coverageMin !== undefined, existsSync(junitPath), paths);
    const { cases, totals } = readReport('pytest', 'JUnit report', junitPath, parsePytestJUnit, await fs.readFile(junitPath, 'utf8'));
    let coverage: number | undefined;
    if (coverageMin !== undefined) {
      if (!existsSync(coveragePath)) {
        throw new ToolError('pytest-cov', 'crashed', `pytest-cov wrote no coverage report (${coveragePath}); check its configuration.`);
      }
      coverage = readReport('pytest-cov', 'coverage report', coveragePath, coveragePercent, await fs.readFile(coveragePath, 'utf8'));
    }
    const roots = [rootdirFromOutput(run.stdout), cwd, ...ancestors(cwd, platform.workspace)].filter((d): d is string => Boolean(d));
    const locate = (file: string | undefined): string | undefined => {
      if (!file) return undefined;
      const base = roots.find((r) => existsSync(path.resolve(r, file)));
      return base ? workspacePath(platform, base, file) : undefined;
    };
    return { cases, totals, coverage, locate };
  },

  async publish({ cases, totals, coverage, locate }, { junitPath, coverageMin }, _site, { platform }) {
    const counts = `${totals.passed} passed, ${totals.failed} failed, ${totals.errors} errors, ${totals.skipped} skipped`;
    const testsFailed = totals.failed + totals.errors > 0;
    const coverageLow = coverage !== undefined && coverageMin !== undefined && coverage < coverageMin;
    const reasons: string[] = [];
    if (testsFailed) reasons.push(`${plural(totals.failed, 'test')} failed and ${plural(totals.errors, 'test')} errored`);
    if (coverageLow) reasons.push(`coverage ${coverage}% is below ${platform.nameOf('coverage-min')} ${coverageMin}%`);
    return {
      annotations: cases.filter((c) => c.outcome === 'failed' || c.outcome === 'error').map((c) => failureAnnotation(c, locate)),
      outputs: {
        passed: String(totals.passed),
        failed: String(totals.failed),
        errors: String(totals.errors),
        skipped: String(totals.skipped),
        'junit-path': junitPath,
        coverage: coverage === undefined ? '' : String(coverage),
      },
      junit: [junitPath],
      summary: summary(cases, counts, testsFailed || coverageLow, coverage, coverageMin, junitPath, locate),
      outcome: reasons.length
        ? { status: 'failed', message: `pytest: ${reasons.join('; ')} (${counts}).` }
        : { status: 'succeeded', message: `pytest: ${counts}${coverage !== undefined ? `; coverage ${coverage}%` : ''}.` },
    };
  },
};

/** Tells "tests failed" (exit 1, or 2 with a report: collection errors) from "pytest could not run". */
function checkRan(run: ToolRun, coverage: boolean, wroteReport: boolean, paths: string[]): void {
  if (run.exitCode === 0 || run.exitCode === 1 || (run.exitCode === 2 && wroteReport)) {
    if (wroteReport) return;
  }
  const output = `${run.stderr}\n${run.stdout}`;
  if (run.exitCode === 5) {
    throw new ToolError(
      'pytest',
      'no-tests',
      `pytest collected no tests${paths.length ? ` in ${paths.join(' ')}` : ''} (exit code 5).`,
      'Check the paths input and that test files are named test_*.py or *_test.py.',
    );
  }
  if (run.exitCode === 4 && coverage && /unrecognized arguments: --cov/.test(output)) {
    throw new ToolError(
      'pytest-cov',
      'missing',
      'coverage-min needs pytest-cov, which is not installed for this pytest.',
      `Install it (\`pip install ${PYTEST.packages[1]}\` or \`apt-get install python3-pytest-cov\`) or set \`install: true\`.`,
    );
  }
  if (run.exitCode === 4) {
    throw new ToolError('pytest', 'bad-config', `pytest rejected its arguments or configuration (exit code 4): ${errorLine(output)}`);
  }
  throw new ToolError(
    'pytest',
    'crashed',
    `pytest did not finish (${describeExit(run)})${wroteReport ? '' : ' and wrote no JUnit report'}: ${errorLine(output) || 'no output'}`,
    run.exitCode === 3 ? 'pytest hit an internal error; the log above has its traceback.' : 'A test or plugin may have ended the process; the log above shows the last test that ran.',
  );
}

function errorLine(output: string): string {
  const lines = output.split('\n').filter((l) => /error/i.test(l));
  return (lines.length ? lines[lines.length - 1] : lastLine(output)).trim();
}

function failureAnnotation(c: TestCaseResult, locate: (file: string | undefined) => string | undefined): Annotation {
  const frames = tracebackFrames(c.details ?? '');
  const testFile = locate(c.file);
  // The deepest frame inside the test's own file is the line of the test that failed; otherwise the
  // deepest frame we can find in the repository; otherwise the test function itself.
  const own = [...frames].reverse().find((f) => testFile && locate(f.file) === testFile);
  const any = [...frames].reverse().find((f) => locate(f.file));
  const frame = own ?? any;
  const message = (c.message ?? c.outcome).split('\n').slice(0, 6).join('\n');
  return {
    severity: 'error',
    title: `${c.outcome === 'error' ? 'Error in' : 'Failed:'} ${c.id}`,
    message,
    file: frame ? locate(frame.file) : testFile,
    line: frame ? frame.line : c.line,
  };
}

function summary(
  cases: TestCaseResult[],
  counts: string,
  failing: boolean,
  coverage: number | undefined,
  coverageMin: number | undefined,
  junitPath: string,
  locate: (file: string | undefined) => string | undefined,
): string {
  const parts = [`### ${failing ? '❌' : '✅'} Tests: ${counts}`, ''];
  const problems = cases.filter((c) => c.outcome === 'failed' || c.outcome === 'error');
  if (problems.length) {
    parts.push(
      table(
        ['Test', 'Outcome', 'Where', 'Message'],
        problems.slice(0, 20).map((c) => {
          const a = failureAnnotation(c, locate);
          return [code(c.id), c.outcome, a.file ? code(`${a.file}:${a.line ?? ''}`) : '', (c.message ?? '').split('\n')[0]];
        }),
      ),
      '',
    );
  }
  const slowest = cases
    .filter((c) => c.outcome !== 'skipped')
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, SLOWEST);
  if (slowest.length) {
    parts.push('**Slowest tests**', '', table(['Test', 'Seconds'], slowest.map((c) => [code(c.id), c.seconds.toFixed(3)])), '');
  }
  if (coverage !== undefined) {
    parts.push(`Coverage: **${coverage}%** (minimum ${coverageMin}%)`, '');
  }
  parts.push(`Report: JUnit ${code(junitPath)}`, '');
  return parts.join('\n');
}

/** The folders from `dir` up to (and including) `top`. */
function ancestors(dir: string, top: string): string[] {
  const found: string[] = [];
  let current = path.dirname(dir);
  while (current.startsWith(top) && current !== path.dirname(current)) {
    found.push(current);
    if (current === top) break;
    current = path.dirname(current);
  }
  return found;
}

export const pytestStep = qualityStep(pytestCheck);

/** A report the tool wrote but that cannot be parsed (truncated, malformed) is the tool's failure, said with where. */
function readReport<T>(tool: string, what: string, file: string, parse: (text: string) => T, text: string): T {
  try {
    return parse(text);
  } catch (error) {
    const reason = (error as Error).message.replace(/\.$/, '');
    const offset = /offset (\d+)/.exec(reason);
    const line = offset ? `:${text.slice(0, Number(offset[1])).split('\n').length}` : '';
    throw new ToolError(
      tool,
      'crashed',
      `The ${tool} ${what} ${file}${line} could not be read (${text.trim() === '' ? 'it is empty' : reason}); it is malformed or was cut short.`,
      'Check that nothing else writes or truncates it (a plugin, a conftest hook, a full disk).',
    );
  }
}
