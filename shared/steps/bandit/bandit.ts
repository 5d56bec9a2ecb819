// bandit as a quality check: its arguments and baseline, "could not scan" told from findings, and what
// it publishes (severity counts, the severity and confidence gate).
import fs from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FileError, ToolError } from '../../platform/errors.js';
import { meets, parseBanditJson, type BanditReport, type BanditResult, type Threshold } from '../../python/bandit.js';
import { BANDIT, describeExit, lastLine } from '../../python/tools.js';
import type { Finding, ToolReport } from '../../reports/findings.js';
import { code, table } from '../../reports/markdown.js';
import { existingFile, plural, workspacePath } from '../quality/common.js';
import { qualityStep, writeFindingReports, type QualityCheck } from '../quality/pipeline.js';
import { banditDeclaration } from './declaration.js';

const LEVEL: Record<string, Finding['level']> = { HIGH: 'error', MEDIUM: 'warning', LOW: 'note' };
/** Summary rows shown before "and N more". */
const SUMMARY_ROWS = 20;

interface BanditPlan {
  args: string[];
  jsonPath: string;
  severity: Threshold;
  confidence: Threshold;
  baseline?: string;
}

export const banditCheck: QualityCheck<BanditPlan, BanditReport> = {
  declaration: banditDeclaration,
  tool: BANDIT,

  async plan(context, { cwd, paths, reports }) {
    const { platform, inputs } = context;
    const severity = inputs.choice<Threshold>('severity');
    const confidence = inputs.choice<Threshold>('confidence');
    const config = existingFile(context, 'config', cwd);
    const baseline = existingFile(context, 'baseline', cwd);
    if (baseline) {
      try {
        parseBanditJson(await fs.readFile(baseline, 'utf8'), baseline);
      } catch (e) {
        throw new FileError(workspacePath(platform, cwd, baseline), `the baseline must be a bandit JSON report (bandit -f json): ${(e as Error).message}`);
      }
    }
    const jsonPath = path.join(reports, 'bandit.json');
    rmSync(jsonPath, { force: true });

    const args = ['-r', ...paths, '-f', 'json', '-o', jsonPath];
    // Relative to where the tool runs, so its own messages name the files as the user wrote them.
    if (baseline) args.push('-b', path.relative(cwd, baseline));
    if (config) args.push('-c', path.relative(cwd, config));
    const skip = inputs.string('skip');
    if (skip) args.push('-s', skip.replace(/\s+/g, ''));
    const exclude = inputs.string('exclude');
    if (exclude) args.push('-x', exclude.replace(/\s+/g, ''));
    return { args, jsonPath, severity, confidence, baseline };
  },

  async read(run, { jsonPath }) {
    // bandit exits 0 (clean) or 1 (findings) after writing its report; 2 and anything else mean it did not scan.
    if ((run.exitCode !== 0 && run.exitCode !== 1) || !existsSync(jsonPath)) {
      const configProblem = /config|profile|yaml|argument|usage:|baseline/i.test(run.stderr);
      throw new ToolError(
        'bandit',
        configProblem ? 'bad-config' : 'crashed',
        `bandit could not scan the code (${describeExit(run)})${configProblem ? ', most likely because of its configuration or arguments' : ''}: ${lastLine(run.stderr) || 'no output'}`,
      );
    }
    // bandit opens its report before reading its configuration: a configuration it chokes on can leave an
    // empty report behind with exit code 1, the code for "issues found".
    try {
      return parseBanditJson(await fs.readFile(jsonPath, 'utf8'), jsonPath);
    } catch (e) {
      throw new ToolError('bandit', 'crashed', `bandit did not finish its report (${describeExit(run)}): ${lastLine(run.stderr) || (e as Error).message}`);
    }
  },

  async publish(result, { severity, confidence, baseline }, { cwd, reports }, { platform }) {
    const toFinding = (r: BanditResult): Finding => ({
      rule: r.test_id,
      message: r.issue_text,
      file: workspacePath(platform, cwd, r.filename),
      line: r.line_number,
      ...(typeof r.col_offset === 'number' ? { column: r.col_offset + 1 } : {}),
      level: LEVEL[r.issue_severity] ?? 'warning',
      properties: {
        severity: r.issue_severity,
        confidence: r.issue_confidence,
        ...(r.issue_cwe ? { cwe: `CWE-${r.issue_cwe.id}` } : {}),
      },
    });
    const findings = result.results.map(toFinding);
    const blocking = result.results.filter((r) => meets(r, severity, confidence)).length;
    const report: ToolReport = {
      tool: { name: 'bandit', informationUri: 'https://bandit.readthedocs.io/' },
      findings,
      rules: result.results.map((r) => ({ id: r.test_id, name: r.test_name, description: r.test_name, helpUri: r.more_info })),
    };
    const { junit, sarif } = await writeFindingReports(report, reports);

    const counts = { HIGH: 0, MEDIUM: 0, LOW: 0 } as Record<string, number>;
    for (const r of result.results) counts[r.issue_severity] = (counts[r.issue_severity] ?? 0) + 1;
    const gate = `severity ≥ ${severity} and confidence ≥ ${confidence}`;
    const headline =
      findings.length === 0
        ? 'bandit found no issues'
        : `bandit found ${plural(findings.length, 'issue')} (${counts.HIGH} high, ${counts.MEDIUM} medium, ${counts.LOW} low)`;
    const summary = [`### ${blocking ? '❌' : '✅'} Security scan: ${headline}`, '', `Fails on ${gate}: ${plural(blocking, 'finding')} at or above it.`, ''];
    if (findings.length) {
      summary.push(
        table(
          ['Severity', 'Confidence', 'Test', 'Where', 'Issue'],
          result.results.slice(0, SUMMARY_ROWS).map((r, i) => [
            r.issue_severity.toLowerCase(),
            r.issue_confidence.toLowerCase(),
            code(r.test_id),
            code(`${findings[i].file}:${findings[i].line}`),
            r.issue_text,
          ]),
        ),
        '',
      );
      if (findings.length > SUMMARY_ROWS) summary.push(`…and ${findings.length - SUMMARY_ROWS} more in the reports.`, '');
    }
    if (result.errors.length) summary.push(`⚠️ bandit could not scan ${plural(result.errors.length, 'file')}: ${result.errors.map((e) => code(workspacePath(platform, cwd, e.filename))).join(', ')}`, '');
    if (baseline) summary.push(`Baseline: ${code(workspacePath(platform, cwd, baseline))}`, '');
    summary.push(`Reports: SARIF ${code(sarif)}, JUnit ${code(junit)}`, '');

    return {
      annotations: [
        ...result.results.map((r, i) => ({
          severity: meets(r, severity, confidence) ? ('error' as const) : ('warning' as const),
          title: `bandit ${r.test_id} (${r.issue_severity.toLowerCase()} severity, ${r.issue_confidence.toLowerCase()} confidence)`,
          message: r.issue_text,
          file: findings[i].file,
          line: findings[i].line,
          column: findings[i].column,
          code: r.test_id,
        })),
        ...result.errors.map((e) => ({
          severity: 'warning' as const,
          title: 'bandit could not scan this file',
          message: e.reason,
          file: workspacePath(platform, cwd, e.filename),
        })),
      ],
      outputs: {
        'issue-count': String(findings.length),
        'high-count': String(counts.HIGH),
        'medium-count': String(counts.MEDIUM),
        'low-count': String(counts.LOW),
        'sarif-path': sarif,
        'junit-path': junit,
      },
      junit: [junit],
      summary: summary.join('\n'),
      outcome:
        blocking > 0
          ? { status: 'failed', message: `${headline}; ${plural(blocking, 'finding')} at ${gate}.` }
          : { status: 'succeeded', message: `${headline}${findings.length ? `; none at ${gate}` : ''}.` },
    };
  },
};

export const banditStep = qualityStep(banditCheck);
