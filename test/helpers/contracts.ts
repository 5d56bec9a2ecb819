// Runs a built bundle the way the GitHub runner or the Azure DevOps agent runs it: environment in,
// files and stdout out. Parses what came back into plain data for assertions.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NODE24, ROOT, TOOL_PATH } from './paths.js';
import { assertNoSecrets, type KnownSecret } from './secret-scan.js';
import { camelCase, taskFolder, type InputDeclaration } from '../../shared/platform/declaration.js';
import { signInInputs } from '../../shared/azure/inputs.js';
import { shippedSteps } from '../../shared/steps/catalog.js';

/**
 * The environment names of the secret inputs a step declares, as the platform names its inputs. A
 * test-only bundle (a probe) is taken to declare the sign-in inputs every Azure step shares.
 */
function secretInputVariables(step: string, platform: 'github' | 'azure-devops'): string[] {
  const declared = shippedSteps.find((d) => d.id === step || taskFolder(d) === step);
  const inputs: InputDeclaration[] = declared ? declared.inputs : signInInputs;
  return inputs
    .filter((i) => i.secret && (!i.only || i.only === platform))
    .map((i) => `INPUT_${(platform === 'github' ? i.name : camelCase(i.name)).toUpperCase()}`);
}

export interface Issue {
  severity: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  title?: string;
  code?: string;
}

export interface StepRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** Annotations (GitHub `::error file=…::`) or issues (`##vso[task.logissue …]`). */
  issues: Issue[];
  summary: string;
  /** Azure DevOps only: the task.complete result and `results.publish` commands. */
  result?: string;
  published: Array<Record<string, string>>;
  /** The message the step failed with (GitHub: the last bare ::error::; Azure DevOps: task.complete). */
  failure?: string;
}

export interface RunOptions {
  /** Inputs by the platform's own names (`max-issues` / `maxIssues`). */
  inputs?: Record<string, string>;
  workspace: string;
  env?: Record<string, string>;
  node?: string;
  /** Called with the child once started (to send signals). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
  timeoutMs?: number;
  /** Run this bundle instead of the step's committed one (test-only probes). */
  bundle?: string;
  /**
   * Secrets this run must not reveal beyond those found automatically (its environment's, and every
   * running emulator's): see test/helpers/secret-scan.ts. Every run is scanned; a leak throws.
   */
  secrets?: Array<string | KnownSecret>;
}

function baseEnv(workspace: string): Record<string, string> {
  return {
    PATH: TOOL_PATH,
    HOME: process.env.HOME ?? os.homedir(),
    LANG: 'C.UTF-8',
    PWD: workspace,
  };
}

async function spawnBundle(bundle: string, env: Record<string, string>, options: RunOptions) {
  const child = spawn(options.node ?? NODE24, [bundle], { cwd: options.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  options.onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60000);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, sig) => resolve([code, sig])),
  );
  clearTimeout(timer);
  return { exitCode, signal, stdout, stderr };
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// ---------------------------------------------------------------- GitHub

/** GitHub's INPUT_ names: upper-cased, spaces to underscores, hyphens kept. */
export function githubInputEnv(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]));
}

/** Parses a GITHUB_OUTPUT file (`name<<delimiter` blocks and `name=value` lines). */
export function parseGitHubFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) body.push(lines[i]);
      values[heredoc[1]] = body.join('\n');
    } else {
      const eq = lines[i].indexOf('=');
      if (eq > 0) values[lines[i].slice(0, eq)] = lines[i].slice(eq + 1);
    }
  }
  return values;
}

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');

/** Workflow commands on stdout, honouring ::stop-commands:: as the runner does. */
export function parseWorkflowCommands(stdout: string): Array<{ command: string; properties: Record<string, string>; message: string }> {
  const found: Array<{ command: string; properties: Record<string, string>; message: string }> = [];
  let stopToken: string | undefined;
  for (const line of stdout.split('\n')) {
    if (stopToken) {
      if (line === `::${stopToken}::`) stopToken = undefined;
      continue;
    }
    const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'stop-commands') {
      stopToken = m[3];
      continue;
    }
    const properties: Record<string, string> = {};
    for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
    found.push({ command: m[1], properties, message: unescapeData(m[3]) });
  }
  return found;
}

export async function runAction(step: string, options: RunOptions): Promise<StepRun> {
  const files = tempDir('gh-files-');
  const outputFile = path.join(files, 'output');
  const summaryFile = path.join(files, 'summary');
  for (const f of [outputFile, summaryFile, path.join(files, 'env'), path.join(files, 'state')]) fs.writeFileSync(f, '');
  const runnerTemp = path.join(files, 'runner-temp');
  fs.mkdirSync(runnerTemp);
  const env = {
    ...baseEnv(options.workspace),
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_ENV: path.join(files, 'env'),
    GITHUB_STATE: path.join(files, 'state'),
    RUNNER_TEMP: runnerTemp,
    ...githubInputEnv(options.inputs ?? {}),
    ...options.env,
  };
  const since = Date.now();
  const run = await spawnBundle(options.bundle ?? path.join(ROOT, 'actions', step, 'dist', 'index.mjs'), env, options);
  const commands = parseWorkflowCommands(run.stdout);
  const annotations = commands.filter((c) => ['error', 'warning', 'notice'].includes(c.command));
  const issues: Issue[] = annotations
    .filter((c) => c.properties.file)
    .map((c) => ({
      severity: c.command,
      message: c.message,
      file: c.properties.file,
      line: c.properties.line ? Number(c.properties.line) : undefined,
      column: c.properties.col ? Number(c.properties.col) : undefined,
      title: c.properties.title,
    }));
  const bare = annotations.filter((c) => c.command === 'error' && !c.properties.file);
  const result: StepRun = {
    ...run,
    outputs: parseGitHubFile(fs.readFileSync(outputFile, 'utf8')),
    issues,
    summary: fs.readFileSync(summaryFile, 'utf8'),
    published: [],
    failure: bare.length ? bare[bare.length - 1].message : undefined,
  };
  assertNoSecrets(`The GitHub run of '${step}'`, result, {
    env,
    dirs: [files, options.workspace],
    since,
    secrets: options.secrets,
    secretInputs: secretInputVariables(step, 'github'),
  });
  return result;
}

// ---------------------------------------------------------------- Azure DevOps

/** The agent's INPUT_ names: the input name upper-cased (task-lib also maps spaces to underscores). */
export function agentInputEnv(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]));
}

const unescapeVso = (s: string) =>
  s.replace(/%3B/g, ';').replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%5D/g, ']').replace(/%AZP25/g, '%');

export function parseLoggingCommands(stdout: string): Array<{ command: string; properties: Record<string, string>; message: string }> {
  const found: Array<{ command: string; properties: Record<string, string>; message: string }> = [];
  for (const line of stdout.split('\n')) {
    const m = /##vso\[([\w.]+)((?: [^\]]*)?)\](.*)$/.exec(line);
    if (!m) continue;
    const properties: Record<string, string> = {};
    for (const pair of m[2].trim().split(';').filter(Boolean)) {
      const eq = pair.indexOf('=');
      properties[pair.slice(0, eq)] = unescapeVso(pair.slice(eq + 1));
    }
    found.push({ command: m[1], properties, message: unescapeVso(m[3]) });
  }
  return found;
}

export async function runTask(folder: string, options: RunOptions): Promise<StepRun> {
  const agentTemp = tempDir('agent-temp-');
  const env = {
    ...baseEnv(options.workspace),
    TF_BUILD: 'True',
    AGENT_TEMPDIRECTORY: agentTemp,
    BUILD_SOURCESDIRECTORY: options.workspace,
    SYSTEM_DEFAULTWORKINGDIRECTORY: options.workspace,
    ...agentInputEnv(options.inputs ?? {}),
    ...options.env,
  };
  const since = Date.now();
  const run = await spawnBundle(options.bundle ?? path.join(ROOT, 'tasks', folder, 'dist', 'index.mjs'), env, options);
  const commands = parseLoggingCommands(run.stdout);
  const outputs: Record<string, string> = {};
  for (const c of commands.filter((c) => c.command === 'task.setvariable' && c.properties.isOutput === 'true')) {
    outputs[c.properties.variable] = c.message;
  }
  const issues: Issue[] = commands
    .filter((c) => c.command === 'task.logissue' && c.properties.sourcepath)
    .map((c) => ({
      severity: c.properties.type,
      message: c.message,
      file: c.properties.sourcepath,
      line: c.properties.linenumber ? Number(c.properties.linenumber) : undefined,
      column: c.properties.columnnumber ? Number(c.properties.columnnumber) : undefined,
      code: c.properties.code,
    }));
  const complete = commands.filter((c) => c.command === 'task.complete');
  const summaries = commands.filter((c) => c.command === 'task.uploadsummary').map((c) => fs.readFileSync(c.message, 'utf8'));
  const result: StepRun = {
    ...run,
    outputs,
    issues,
    summary: summaries.join('\n'),
    result: complete.length ? complete[complete.length - 1].properties.result : undefined,
    failure: complete.length && complete[complete.length - 1].properties.result === 'Failed' ? complete[complete.length - 1].message : undefined,
    published: commands.filter((c) => c.command === 'results.publish').map((c) => c.properties),
  };
  assertNoSecrets(`The Azure DevOps run of '${folder}'`, result, {
    env,
    dirs: [agentTemp, options.workspace],
    since,
    secrets: options.secrets,
    secretInputs: secretInputVariables(folder, 'azure-devops'),
  });
  return result;
}

/** A fresh copy of a fixture project, as a workspace of its own. */
export function workspaceFrom(fixture: string): string {
  const dir = tempDir('ws-');
  fs.cpSync(fixture, dir, { recursive: true });
  return dir;
}
