// The Azure DevOps adapter: the agent's contract through azure-pipelines-task-lib.
//
// task-lib loads in ready() rather than with the bundle: evaluating it takes ~25 ms, and a step that
// starts early (the quality steps) starts its tool first, so that the tool's own start-up overlaps it
// (docs/benchmarks.md). Until then the adapter offers only what needs no task-lib: inputs and
// predefined variables as the agent exports them (INPUT_<NAME>, BUILD_SOURCESDIRECTORY…), plain log
// lines, and an environment for tools without what task-lib takes out of it on load.
import type * as TaskLib from 'azure-pipelines-task-lib/task.js';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from './errors.js';
import type { Annotation, Platform, Provenance, ServiceConnection, TestResultsReport } from './platform.js';
import { randomToken } from './random.js';
import { runStep } from './run.js';
import { camelCase } from './declaration.js';
import type { Step } from './step.js';

type TaskLibModule = typeof TaskLib;

export class AzureDevOpsPlatform implements Platform {
  readonly kind = 'azure-devops' as const;
  readonly workspace = predefined('Build.SourcesDirectory') || predefined('System.DefaultWorkingDirectory') || process.cwd();
  readonly tempDir = predefined('Agent.TempDirectory') || os.tmpdir();
  private lib: TaskLibModule | undefined;
  private loading: Promise<void> | undefined;
  /** Variables a tool was started with before task-lib loaded: checked against what it took out. */
  private readonly handedOut = new Set<string>();

  ready(): Promise<void> {
    this.loading ??= import('azure-pipelines-task-lib/task.js').then((module) => {
      // A bundle gives the CommonJS module's exports as the namespace, Node itself as its default.
      this.lib = ('getInput' in module ? module : (module as { default: TaskLibModule }).default) as TaskLibModule;
      const leaked = [...this.handedOut].filter((name) => !(name in process.env));
      if (leaked.length) {
        throw new Error(`A tool was started with ${leaked.join(', ')}, which task-lib keeps from tools: withoutTaskData() is out of date.`);
      }
    });
    return this.loading;
  }
  toolEnvironment(): NodeJS.ProcessEnv {
    if (this.lib) return process.env;
    const env = withoutTaskData(process.env);
    for (const name of Object.keys(env)) this.handedOut.add(name);
    return env;
  }
  private get tl(): TaskLibModule {
    if (!this.lib) throw new Error('The Azure DevOps adapter was used before ready().');
    return this.lib;
  }

  nameOf(word: string): string {
    return camelCase(word);
  }
  getInput(word: string): string {
    // Before task-lib has loaded, the input is where the agent put it and task-lib would read it from.
    const value = this.lib ? this.lib.getInput(camelCase(word), false) : process.env[`INPUT_${camelCase(word).toUpperCase()}`];
    return (value ?? '').trim();
  }
  setOutput(word: string, value: string): void {
    this.tl.setVariable(camelCase(word), value, false, true);
  }
  setSecret(value: string): void {
    // The agent masks line by line and task-lib refuses multi-line secrets.
    for (const line of value.split(/\r?\n/)) if (line.trim()) this.tl.setSecret(line.trim());
  }
  info(message: string): void {
    console.log(message);
  }
  debug(message: string): void {
    this.tl.debug(message);
  }
  warning(message: string): void {
    this.tl.warning(message);
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
    const tl = this.tl;
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
    const file = path.join(this.tempDir, `mlops-actions-summary-${randomToken()}.md`);
    writeFileSync(file, markdown, 'utf8');
    this.tl.uploadSummary(file);
    return file;
  }
  publishTestResults(report: TestResultsReport): void {
    new this.tl.TestPublisher(report.format).publish(report.files, 'false', '', '', report.title, 'true');
  }
  serviceConnection(word: string): ServiceConnection | undefined {
    const tl = this.tl;
    const id = tl.getInput(camelCase(word), false);
    if (!id) return undefined;
    const auth = tl.getEndpointAuthorization(id, true);
    if (!auth) throw new UserError(`Service connection '${id}' (input '${camelCase(word)}') was not handed to this task; check that it exists and that the pipeline is authorized to use it.`);
    const data: Record<string, string> = {};
    for (const key of ['SubscriptionID', 'SubscriptionName', 'environment', 'activeDirectoryAuthority', 'scopeLevel']) {
      const value = tl.getEndpointDataParameter(id, key, true);
      if (value) data[key] = value;
    }
    return { id, scheme: auth.scheme, parameters: auth.parameters, url: tl.getEndpointUrl(id, true), data, federation: federation(tl, auth.scheme) };
  }
  provenance(): Provenance {
    const v = (name: string) => this.tl.getVariable(name) || undefined;
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
   * Without the job's access token (see serviceConnection().federation) the only federated token a task
   * has is the one the agent may put in the connection's `idToken` parameter.
   */
  async federatedToken(_audience: string, connection?: ServiceConnection): Promise<string> {
    if (!connection) throw new Error('An Azure DevOps federated token needs a service connection.');
    const idToken = connection.parameters.idToken;
    if (idToken) return idToken;
    throw new UserError(`Service connection '${connection.id}' has no idToken to federate with.`);
  }
  complete(result: 'succeeded' | 'failed', message: string): void {
    const tl = this.tl;
    if (result === 'failed') {
      tl.setResult(tl.TaskResult.Failed, message);
      process.exitCode = 1;
    } else {
      tl.setResult(tl.TaskResult.Succeeded, message);
    }
  }
}

/** What workload identity federation requests OIDC tokens with, when the agent gives the job both. */
function federation(tl: TaskLibModule, scheme: string): ServiceConnection['federation'] {
  if (scheme !== 'WorkloadIdentityFederation') return undefined;
  // Not getEndpointAuthorizationParameter: it writes the value it returns into the debug log.
  const accessToken =
    tl.getEndpointAuthorization('SystemVssConnection', true)?.parameters?.AccessToken || tl.getVariable('System.AccessToken');
  const oidcRequestUri = tl.getVariable('System.OidcRequestUri');
  if (!accessToken || !oidcRequestUri) return undefined;
  tl.setSecret(accessToken);
  return { accessToken, oidcRequestUri };
}

/**
 * A predefined variable as the agent exports it (`Build.SourcesDirectory` → BUILD_SOURCESDIRECTORY),
 * readable before task-lib has loaded; only for public variables the agent always sets.
 */
function predefined(name: string): string | undefined {
  return process.env[name.replace(/\./g, '_').toUpperCase()] || undefined;
}

/**
 * What task-lib takes out of process.env when it loads (internal.js `_loadData`: inputs, endpoint
 * credentials, secure-file tickets, secret and task variables into its vault; the variable lists and
 * the command correlation id), taken out of a copy here for a tool started before it has loaded —
 * never handed on. test/unit/azure-devops-env.test.ts holds it against task-lib's own code, and ready()
 * checks that task-lib took nothing a tool was given.
 */
const TASK_ONLY_PREFIXES = ['INPUT_', 'ENDPOINT_AUTH_', 'SECUREFILE_TICKET_', 'SECRET_', 'VSTS_TASKVARIABLE_'];
const TASK_ONLY_NAMES = new Set(['COMMAND_CORRELATION_ID', 'VSTS_PUBLIC_VARIABLES', 'VSTS_SECRET_VARIABLES']);

export function withoutTaskData(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (!TASK_ONLY_NAMES.has(name) && !TASK_ONLY_PREFIXES.some((prefix) => name.startsWith(prefix))) kept[name] = value;
  }
  return kept;
}

/** The whole body of a task's entry file. */
export function runOnAzureDevOps(step: Step): Promise<void> {
  return runStep(new AzureDevOpsPlatform(), step);
}
