// The GitHub Actions adapter: the runner's contract through @actions/core.
import * as core from '@actions/core';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Annotation, Platform, Provenance, ServiceConnection, TestResultsReport } from './platform.js';
import { runStep } from './run.js';
import type { Step } from './step.js';

export class GitHubPlatform implements Platform {
  readonly kind = 'github' as const;
  readonly workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  readonly tempDir = process.env.RUNNER_TEMP || os.tmpdir();
  private stopToken: string | undefined;

  nameOf(word: string): string {
    return word;
  }
  getInput(word: string): string {
    return core.getInput(word);
  }
  setOutput(word: string, value: string): void {
    core.setOutput(word, value);
  }
  setSecret(value: string): void {
    if (value) core.setSecret(value);
  }
  info(message: string): void {
    core.info(message);
  }
  debug(message: string): void {
    core.debug(message);
  }
  warning(message: string): void {
    core.warning(message);
  }
  startGroup(title: string): void {
    core.startGroup(title);
  }
  endGroup(): void {
    core.endGroup();
  }
  annotate(a: Annotation): void {
    const properties: core.AnnotationProperties = {
      title: a.title,
      file: a.file,
      startLine: a.line,
      startColumn: a.line ? a.column : undefined,
    };
    if (a.severity === 'error') core.error(a.message, properties);
    else if (a.severity === 'warning') core.warning(a.message, properties);
    else core.notice(a.message, properties);
  }
  beginToolOutput(): void {
    // Workflow commands printed by a tool (or by the code it runs) must not reach the runner.
    this.stopToken = randomUUID();
    process.stdout.write(`::stop-commands::${this.stopToken}${os.EOL}`);
  }
  writeToolOutput(line: string): void {
    process.stdout.write(line + os.EOL);
  }
  endToolOutput(): void {
    if (this.stopToken) process.stdout.write(`::${this.stopToken}::${os.EOL}`);
    this.stopToken = undefined;
  }
  async appendSummary(markdown: string): Promise<string | undefined> {
    const file = process.env.GITHUB_STEP_SUMMARY;
    if (!file) return undefined;
    await core.summary.addRaw(markdown, true).write();
    return file;
  }
  publishTestResults(report: TestResultsReport): void {
    // GitHub has no built-in test-results ingestion; the path is an output for reporter actions.
    core.info(`${report.title}: JUnit report at ${report.files.join(', ')}`);
  }
  federatedToken(audience: string): Promise<string> {
    return core.getIDToken(audience);
  }
  serviceConnection(): ServiceConnection | undefined {
    return undefined;
  }
  provenance(): Provenance {
    const env = process.env;
    const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
    const repository = env.GITHUB_REPOSITORY || undefined;
    return {
      commit: env.GITHUB_SHA || undefined,
      repository: repository ? `${server}/${repository}` : undefined,
      runUrl: repository && env.GITHUB_RUN_ID ? `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}${env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''}` : undefined,
    };
  }
  complete(result: 'succeeded' | 'failed', message: string): void {
    if (result === 'failed') core.setFailed(message);
    else if (message) core.info(message);
  }
}

/** The whole body of an action's entry file. */
export function runOnGitHub(step: Step): Promise<void> {
  return runStep(new GitHubPlatform(), step);
}
