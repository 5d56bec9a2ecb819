import path from 'node:path';
import { ToolError } from '../../platform/errors.js';
import { flake8Level, flake8RuleUri, parseFlake8Output } from '../../python/flake8.js';
import { describeExit, FLAKE8, installTool, lastLine, missingTool, toolCommand } from '../../python/tools.js';
import { countBy, type Finding, type ToolReport } from '../../reports/findings.js';
import { findingsToJUnit } from '../../reports/junit.js';
import { code, table } from '../../reports/markdown.js';
import { findingsToSarif } from '../../reports/sarif.js';
import { runTool } from '../../process/run-tool.js';
import type { Step, StepContext, StepOutcome } from '../../platform/step.js';
import {
  annotateAll,
  existingFile,
  plural,
  reportDirectory,
  targetPaths,
  workingDirectory,
  workspacePath,
  writeReport,
} from '../quality/common.js';
import { lintDeclaration } from './declaration.js';

async function lint(context: StepContext): Promise<StepOutcome> {
  const { platform, inputs, signal } = context;
  const cwd = workingDirectory(context);
  const paths = targetPaths(context, 'paths', cwd);
  const config = existingFile(context, 'config', cwd);
  const maxIssues = inputs.integer('max-issues') ?? 0;
  const python = inputs.string('python');

  const args = ['--format=default'];
  const maxLineLength = inputs.integer('max-line-length');
  if (maxLineLength !== undefined) args.push(`--max-line-length=${maxLineLength}`);
  if (config) args.push(`--config=${path.relative(cwd, config)}`);
  const select = inputs.string('select');
  if (select) args.push(`--select=${select.replace(/\s+/g, '')}`);
  const ignore = inputs.string('ignore');
  if (ignore) args.push(`--extend-ignore=${ignore.replace(/\s+/g, '')}`);
  args.push(...paths);

  const reports = await reportDirectory(context, 'lint');
  if (inputs.boolean('install')) await installTool(platform, FLAKE8, python, cwd, signal);

  const { command, prefix } = toolCommand(FLAKE8, python);
  const run = await runTool(platform, command, [...prefix, ...args], { cwd, signal });
  const missing = missingTool(FLAKE8, python, run);
  if (missing) throw missing;

  const raw = parseFlake8Output(run.stdout);
  // flake8 exits 1 both for findings and for its own failures (bad configuration, crashed plugin):
  // only output that is all findings, without a traceback, counts as a completed check.
  const crashed = run.exitCode === null || run.exitCode > 1 || /Traceback \(most recent call last\)|critical error/i.test(run.stderr);
  if (crashed || (run.exitCode === 1 && raw.length === 0)) {
    const configProblem = /config|option|argument|usage:|ValueError|invalid/i.test(run.stderr);
    throw new ToolError(
      'flake8',
      configProblem ? 'bad-config' : 'crashed',
      `flake8 could not check the code (${describeExit(run)})${configProblem ? ', most likely because of its configuration' : ''}: ${lastLine(run.stderr) || lastLine(run.stdout) || 'no output'}`,
    );
  }

  const findings: Finding[] = raw.map((f) => ({
    rule: f.code,
    message: f.message,
    file: workspacePath(platform, cwd, f.path),
    line: f.line,
    column: f.column,
    level: flake8Level(f.code),
  }));
  const report: ToolReport = {
    tool: { name: 'flake8', informationUri: 'https://flake8.pycqa.org/' },
    findings,
    rules: [...new Set(findings.map((f) => f.rule))].map((id) => ({ id, helpUri: flake8RuleUri(id) })),
  };
  const junitPath = await writeReport(path.join(reports, 'flake8-junit.xml'), findingsToJUnit(report));
  const sarifPath = await writeReport(path.join(reports, 'flake8.sarif'), findingsToSarif(report));

  const failing = findings.length > maxIssues;
  annotateAll(
    platform,
    findings.map((f) => ({
      severity: failing ? 'error' : 'warning',
      title: `flake8 ${f.rule}`,
      message: f.message,
      file: f.file,
      line: f.line,
      column: f.column,
      code: f.rule,
    })),
  );
  platform.setOutput('issue-count', String(findings.length));
  platform.setOutput('junit-path', junitPath);
  platform.setOutput('sarif-path', sarifPath);
  platform.publishTestResults({ format: 'JUnit', files: [junitPath], title: 'flake8' });

  const headline = findings.length === 0 ? 'flake8 found no problems' : `flake8 found ${plural(findings.length, 'problem')} in ${plural(new Set(findings.map((f) => f.file)).size, 'file')}`;
  const where = await platform.appendSummary(lintSummary(headline, failing, findings, maxIssues, junitPath, sarifPath, platform.nameOf('max-issues')));
  if (where) platform.debug(`Summary written to ${where}`);

  if (failing) {
    return {
      status: 'failed',
      message: `${headline}${maxIssues > 0 ? `, more than the ${maxIssues} allowed by ${platform.nameOf('max-issues')}` : ''}.`,
    };
  }
  return { status: 'succeeded', message: `${headline}.` };
}

function lintSummary(headline: string, failing: boolean, findings: Finding[], maxIssues: number, junit: string, sarif: string, maxIssuesName: string): string {
  const parts = [`### ${failing ? '❌' : '✅'} Lint: ${headline}`, ''];
  if (findings.length > 0) {
    const example = new Map<string, Finding>();
    for (const f of findings) if (!example.has(f.rule)) example.set(f.rule, f);
    parts.push(
      table(
        ['Code', 'Count', 'First seen'],
        countBy(findings, (f) => f.rule).map(([rule, n]) => {
          const f = example.get(rule)!;
          return [code(rule), n, `${code(`${f.file}:${f.line}`)} ${f.message}`];
        }),
      ),
      '',
      '**Files with the most findings**',
      '',
      table(['File', 'Findings'], countBy(findings, (f) => f.file).slice(0, 5).map(([file, n]) => [code(file), n])),
      '',
    );
    if (maxIssues > 0) parts.push(`Allowed by \`${maxIssuesName}\`: ${maxIssues}.`, '');
  }
  parts.push(`Reports: JUnit ${code(junit)}, SARIF ${code(sarif)}`, '');
  return parts.join('\n');
}

export const lintStep: Step = { declaration: lintDeclaration, run: lint };
