// The Azure DevOps adapter: the agent's contract through azure-pipelines-task-lib.
import * as tl from 'azure-pipelines-task-lib/task.js';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from './errors.js';
import type { Annotation, Platform, Provenance, ServiceConnection, TestResultsReport } from './platform.js';
import { runStep } from './run.js';
import { camelCase } from './declaration.js';
import type { Step } from './step.js';

export class AzureDevOpsPlatform implements Platform {
  readonly kind = 'azure-devops' as const;
  readonly workspace =
    tl.getVariable('Build.SourcesDirectory') || tl.getVariable('System.DefaultWorkingDirectory') || process.cwd();
  readonly tempDir = tl.getVariable('Agent.TempDirectory') || os.tmpdir();

  nameOf(word: string): string {
    return camelCase(word);
  }
  getInput(word: string): string {
    return (tl.getInput(camelCase(word), false) ?? '').trim();
  }
  setOutput(word: string, value: string): void {
    tl.setVariable(camelCase(word), value, false, true);
  }
  setSecret(value: string): void {
    // The agent masks line by line and task-lib refuses multi-line secrets.
    for (const line of value.split(/\r?\n/)) if (line.trim()) tl.setSecret(line.trim());
  }
  info(message: string): void {
    console.log(message);
  }
  debug(message: string): void {
    tl.debug(message);
  }
  warning(message: string): void {
    tl.warning(message);
  }
  startGroup(title: string): void {
    console.log(`##[group]${title}`);
  }
  endGroup(): void {
    console.log('##[endgroup]');
  }
  annotate(a: Annotation): void {
    const message = a.title ? `${a.title}: ${a.message}` : a.message;
    if (a.severity === 'notice') {
      // The agent has errors and warnings only; a notice stays in the log.
      console.log(a.file ? `${a.file}${a.line ? `:${a.line}` : ''}: ${message}` : message);
      return;
    }
    const type = a.severity === 'error' ? tl.IssueType.Error : tl.IssueType.Warning;
    tl.logIssue(type, message, a.file, a.line, a.line ? a.column : undefined, a.code);
  }
  beginToolOutput(): void {}
  writeToolOutput(line: string): void {
    // The agent reads `##vso[` anywhere in a line as a logging command; a tool's output must not issue one.
    process.stdout.write(line.replaceAll('##vso[', '##vso [') + os.EOL);
  }
  endToolOutput(): void {}
  async appendSummary(markdown: string): Promise<string | undefined> {
    const file = path.join(this.tempDir, `mlops-actions-summary-${randomUUID()}.md`);
    await fs.writeFile(file, markdown, 'utf8');
    tl.uploadSummary(file);
    return file;
  }
  publishTestResults(report: TestResultsReport): void {
    new tl.TestPublisher(report.format).publish(report.files, 'false', '', '', report.title, 'true');
  }
  serviceConnection(word: string): ServiceConnection | undefined {
    const id = tl.getInput(camelCase(word), false);
    if (!id) return undefined;
    const auth = tl.getEndpointAuthorization(id, true);
    if (!auth) throw new UserError(`Service connection '${id}' (input '${camelCase(word)}') was not handed to this task; check that it exists and that the pipeline is authorized to use it.`);
    const data: Record<string, string> = {};
    for (const key of ['SubscriptionID', 'SubscriptionName', 'environment', 'activeDirectoryAuthority', 'scopeLevel']) {
      const value = tl.getEndpointDataParameter(id, key, true);
      if (value) data[key] = value;
    }
    return { id, scheme: auth.scheme, parameters: auth.parameters, url: tl.getEndpointUrl(id, true), data };
  }
  provenance(): Provenance {
    const v = (name: string) => tl.getVariable(name) || undefined;
    const collection = v('System.CollectionUri') ?? v('System.TeamFoundationCollectionUri');
    const project = v('System.TeamProject') ?? v('System.TeamProjectId');
    const buildId = v('Build.BuildId');
    return {
      commit: v('Build.SourceVersion'),
      repository: v('Build.Repository.Uri') ?? v('Build.Repository.Name'),
      runUrl: collection && project && buildId ? `${collection.replace(/\/?$/, '/')}${encodeURIComponent(project)}/_build/results?buildId=${buildId}` : undefined,
    };
  }
  /**
   * Workload identity federation: a new OIDC token from the pipeline's oidctoken REST call (what
   * Microsoft's Azure tasks do), authorised by the job's access token; the agent's `idToken`
   * parameter only when the job has no access token.
   */
  async federatedToken(_audience: string, connection?: ServiceConnection): Promise<string> {
    if (!connection) throw new Error('An Azure DevOps federated token needs a service connection.');
    // Not getEndpointAuthorizationParameter: it writes the value it returns into the debug log.
    const accessToken =
      tl.getEndpointAuthorization('SystemVssConnection', true)?.parameters?.AccessToken || tl.getVariable('System.AccessToken');
    if (accessToken) tl.setSecret(accessToken);
    const collection = tl.getVariable('System.CollectionUri') || tl.getVariable('System.TeamFoundationCollectionUri');
    if (!accessToken || !collection) {
      const idToken = connection.parameters.idToken;
      if (idToken) return idToken;
      throw new UserError(
        `Service connection '${connection.id}' uses workload identity federation, but the job has no access token to request an OIDC token with.`,
      );
    }
    const url =
      `${collection.replace(/\/?$/, '/')}${tl.getVariable('System.TeamProjectId')}/_apis/distributedtask/hubs/` +
      `${tl.getVariable('System.HostType')}/plans/${tl.getVariable('System.PlanId')}/jobs/${tl.getVariable('System.JobId')}` +
      `/oidctoken?serviceConnectionId=${encodeURIComponent(connection.id)}&api-version=7.1-preview.1`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    const text = await response.text();
    if (!response.ok) throw new UserError(`Azure DevOps refused an OIDC token for service connection '${connection.id}' (HTTP ${response.status}): ${text.slice(0, 300)}`);
    const token = (JSON.parse(text) as { oidcToken?: string }).oidcToken;
    if (!token) throw new UserError(`Azure DevOps answered no oidcToken for service connection '${connection.id}'.`);
    tl.setSecret(token);
    return token;
  }
  complete(result: 'succeeded' | 'failed', message: string): void {
    if (result === 'failed') {
      tl.setResult(tl.TaskResult.Failed, message);
      process.exitCode = 1;
    } else {
      tl.setResult(tl.TaskResult.Succeeded, message);
    }
  }
}

/** The whole body of a task's entry file. */
export function runOnAzureDevOps(step: Step): Promise<void> {
  return runStep(new AzureDevOpsPlatform(), step);
}
