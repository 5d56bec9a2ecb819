// flake8 as a quality check: its arguments, "could not check" told from findings, and what it publishes.
import path from 'node:path';
import { ToolError } from '../../platform/errors.js';
import { flake8Level, flake8RuleUri, parseFlake8Output } from '../../python/flake8.js';
import { describeExit, FLAKE8, lastLine } from '../../python/tools.js';
import { countBy, type Finding, type ToolReport } from '../../reports/findings.js';
import { code, table } from '../../reports/markdown.js';
import { existingFile, plural, workspacePath } from '../quality/common.js';
import { qualityStep, writeFindingReports, type QualityCheck } from '../quality/pipeline.js';
import { lintDeclaration } from './declaration.js';

interface LintPlan {
  args: string[];
  maxIssues: number;
}

export const lintCheck: QualityCheck<LintPlan, Finding[]> = {
  declaration: lintDeclaration,
  tool: FLAKE8,

  async plan(context, { cwd, paths }) {
    const { inputs } = context;
    const config = existingFile(context, 'config', cwd);
    const maxIssues = inputs.integer('max-issues') ?? 0;
    const args = ['--format=default'];
    const maxLineLength = inputs.integer('max-line-length');
    if (maxLineLength !== undefined) args.push(`--max-line-length=${maxLineLength}`);
    if (config) args.push(`--config=${path.relative(cwd, config)}`);
    const select = inputs.string('select');
    if (select) args.push(`--select=${select.replace(/\s+/g, '')}`);
    const ignore = inputs.string('ignore');
    if (ignore) args.push(`--extend-ignore=${ignore.replace(/\s+/g, '')}`);
    args.push(...paths);
    return { args, maxIssues };
  },

  async read(run, _plan, { cwd }, { platform }) {
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
    return raw.map((f) => ({
      rule: f.code,
      message: f.message,
      file: workspacePath(platform, cwd, f.path),
      line: f.line,
      column: f.column,
      level: flake8Level(f.code),
    }));
  },

  async publish(findings, { maxIssues }, { reports }, { platform }) {
    const report: ToolReport = {
      tool: { name: 'flake8', informationUri: 'https://flake8.pycqa.org/' },
      findings,
      rules: [...new Set(findings.map((f) => f.rule))].map((id) => ({ id, helpUri: flake8RuleUri(id) })),
    };
    const { junit, sarif } = await writeFindingReports(report, reports);
    const failing = findings.length > maxIssues;
    const headline =
      findings.length === 0
        ? 'flake8 found no problems'
        : `flake8 found ${plural(findings.length, 'problem')} in ${plural(new Set(findings.map((f) => f.file)).size, 'file')}`;
    return {
      annotations: findings.map((f) => ({
        severity: failing ? 'error' : 'warning',
        title: `flake8 ${f.rule}`,
        message: f.message,
        file: f.file,
        line: f.line,
        column: f.column,
        code: f.rule,
      })),
      outputs: { 'issue-count': String(findings.length), 'junit-path': junit, 'sarif-path': sarif },
      junit: [junit],
      summary: lintSummary(headline, failing, findings, maxIssues, junit, sarif, platform.nameOf('max-issues')),
      outcome: failing
        ? { status: 'failed', message: `${headline}${maxIssues > 0 ? `, more than the ${maxIssues} allowed by ${platform.nameOf('max-issues')}` : ''}.` }
        : { status: 'succeeded', message: `${headline}.` },
    };
  },
};

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

export const lintStep = qualityStep(lintCheck);
