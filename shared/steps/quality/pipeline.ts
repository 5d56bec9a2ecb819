// The one flow of the quality steps (lint, bandit, pytest): read the inputs, run the tool, tell "found
// problems" from "could not run", then publish — annotations, outputs, test results, summary — and gate.
// Each step supplies only what is its tool's own: its inputs and arguments, how to read its run, and
// what to publish from the result.
//
// The tool starts as early as it can (Step.startsEarly): inputs are read and checked, the report folder
// made, and the tool spawned before the platform's library has loaded (Azure DevOps: task-lib), which
// then loads while the tool starts up; so does everything that reads and publishes the run.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Annotation } from '../../platform/platform.js';
import type { Step, StepContext, StepOutcome } from '../../platform/step.js';
import type { StepDeclaration } from '../../platform/declaration.js';
import { startTool, type ToolRun } from '../../process/run-tool.js';
import { installTool, missingTool, toolCommand, type PythonTool } from '../../python/tools.js';
import type { ToolReport } from '../../reports/findings.js';
import { findingsToJUnit } from '../../reports/junit.js';
import { findingsToSarif } from '../../reports/sarif.js';
import { annotateAll, reportPath, targetPaths, workingDirectory, writeReport } from './common.js';

/** Where a check runs: the working directory, the paths it checks, and its report folder. */
export interface CheckSite {
  cwd: string;
  paths: string[];
  reports: string;
}

/** What a finished check shows the user; the pipeline publishes it in this order. */
export interface Publication {
  annotations: Annotation[];
  outputs: Record<string, string>;
  /** The JUnit report(s) for the platform's test results. */
  junit: string[];
  summary: string;
  outcome: StepOutcome;
}

export interface QualityCheck<Plan extends { args: string[] }, Result> {
  declaration: StepDeclaration;
  tool: PythonTool;
  /**
   * Reads the tool's own inputs (every mistake in them is an InputError or FileError, raised before
   * anything runs) and says how to run it; it may clear stale reports in `site.reports` (which is
   * created after it). It runs before the platform is ready: it may use only its early members.
   */
  plan(context: StepContext, site: CheckSite): Promise<Plan>;
  /** Reads the finished run; throws a ToolError when the tool did not complete its check. */
  read(run: ToolRun, plan: Plan, site: CheckSite, context: StepContext): Promise<Result>;
  /** What to show: it may write reports into `site.reports`. */
  publish(result: Result, plan: Plan, site: CheckSite, context: StepContext): Promise<Publication>;
}

export async function runQualityCheck<Plan extends { args: string[] }, Result>(
  context: StepContext,
  check: QualityCheck<Plan, Result>,
): Promise<StepOutcome> {
  const { platform, inputs, signal } = context;
  const cwd = workingDirectory(context);
  const paths = targetPaths(context, 'paths', cwd);
  const python = inputs.string('python');
  const site: CheckSite = { cwd, paths, reports: reportPath(context, check.declaration.id) };
  // Every input is read and checked before anything is created or run.
  const plan = await check.plan(context, site);
  // Synchronous: a few microseconds, where an asynchronous call would wait for the thread pool.
  mkdirSync(site.reports, { recursive: true });

  if (inputs.boolean('install')) {
    await platform.ready();
    await installTool(platform, check.tool, python, cwd, signal);
  }
  const { command, prefix } = toolCommand(check.tool, python);
  const tool = startTool(platform, command, [...prefix, ...plan.args], { cwd, signal });
  try {
    await platform.ready();
  } catch (error) {
    tool.stop();
    await tool.finish().catch(() => undefined);
    throw error;
  }
  const run = await tool.finish();
  const missing = missingTool(check.tool, python, run);
  if (missing) throw missing;
  const result = await check.read(run, plan, site, context);

  const shown = await check.publish(result, plan, site, context);
  annotateAll(platform, shown.annotations);
  for (const [name, value] of Object.entries(shown.outputs)) platform.setOutput(name, value);
  platform.publishTestResults({ format: 'JUnit', files: shown.junit, title: check.tool.name });
  const where = await platform.appendSummary(shown.summary);
  if (where) platform.debug(`Summary written to ${where}`);
  return shown.outcome;
}

/** A quality check as a step. */
export function qualityStep<Plan extends { args: string[] }, Result>(check: QualityCheck<Plan, Result>): Step {
  return { declaration: check.declaration, startsEarly: true, run: (context) => runQualityCheck(context, check) };
}

/** The JUnit and SARIF reports of a findings tool (flake8, bandit), named after it. */
export async function writeFindingReports(report: ToolReport, reports: string): Promise<{ junit: string; sarif: string }> {
  const name = report.tool.name;
  const [junit, sarif] = await Promise.all([
    writeReport(path.join(reports, `${name}-junit.xml`), findingsToJUnit(report)),
    writeReport(path.join(reports, `${name}.sarif`), findingsToSarif(report)),
  ]);
  return { junit, sarif };
}
