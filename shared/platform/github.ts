// The GitHub Actions adapter: the runner's contract — inputs from INPUT_* variables, workflow commands
// on stdout, outputs and the job summary in the files GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name — as
// the runner documents it ("Workflow commands for GitHub Actions", "Security hardening with OpenID
// Connect"). Written here rather than through @actions/core, whose HTTP client (with undici) made up
// 95 % of every action's bundle and about 30 ms of every step's start.
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import { randomToken } from './random.js';
import type { Annotation, Platform, Provenance, ServiceConnection, TestResultsReport } from './platform.js';
import { runStep } from './run.js';
import type { Step } from './step.js';

export class GitHubPlatform implements Platform {
  readonly kind = 'github' as const;
  readonly workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  readonly tempDir = process.env.RUNNER_TEMP || os.tmpdir();
  private stopToken: string | undefined;

  async ready(): Promise<void> {
    // Nothing to load (random tokens come from random.ts, without node:crypto).
  }
  toolEnvironment(): NodeJS.ProcessEnv {
    return process.env;
  }

  nameOf(word: string): string {
    return word;
  }
  getInput(word: string): string {
    return (process.env[`INPUT_${word.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
  }
  setOutput(word: string, value: string): void {
    const file = process.env.GITHUB_OUTPUT;
    if (file) appendFileSync(file, keyValueBlock(word, value, randomToken()));
    else {
      process.stdout.write(os.EOL);
      command('set-output', { name: word }, value);
    }
  }
  setSecret(value: string): void {
    if (value) command('add-mask', {}, value);
  }
  info(message: string): void {
    process.stdout.write(message + os.EOL);
  }
  debug(message: string): void {
    command('debug', {}, message);
  }
  warning(message: string): void {
    command('warning', {}, message);
  }
  startGroup(title: string): void {
    command('group', {}, title);
  }
  endGroup(): void {
    command('endgroup', {}, '');
  }
  annotate(a: Annotation): void {
    const properties = { title: a.title, file: a.file, line: a.line, col: a.line ? a.column : undefined };
    command(a.severity === 'error' ? 'error' : a.severity === 'warning' ? 'warning' : 'notice', properties, a.message);
  }
  beginToolOutput(): void {
    // Workflow commands printed by a tool (or by the code it runs) must not reach the runner.
    this.stopToken = randomToken();
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
    // Synchronous, like the outputs: a small file, and nothing else to do meanwhile.
    appendFileSync(file, markdown + os.EOL);
    return file;
  }
  publishTestResults(report: TestResultsReport): void {
    // GitHub has no built-in test-results ingestion; the path is an output for reporter actions.
    this.info(`${report.title}: JUnit report at ${report.files.join(', ')}`);
  }
  /** The job's OIDC ID token for `audience`, from the runner's token endpoint (needs `id-token: write`). */
  async federatedToken(audience: string): Promise<string> {
    const url = process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
    const token = process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    if (!url || !token) throw new Error("This job cannot request an OIDC ID token: add 'permissions: id-token: write' to the workflow or job.");
    const request = `${url}${url.includes('?') ? '&' : '?'}audience=${encodeURIComponent(audience)}`;
    let last = '';
    // A few quick retries on throttling, server errors and dropped connections, as the toolkit does.
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        const response = await fetch(request, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
        const text = await response.text();
        if (response.ok) {
          const value = (JSON.parse(text) as { value?: string }).value;
          if (!value) throw new Error('the response has no token');
          this.setSecret(value);
          return value;
        }
        last = `HTTP ${response.status}: ${text.slice(0, 200)}`;
        if (response.status !== 429 && response.status < 500) break;
      } catch (error) {
        last = (error as Error).message;
      }
      if (attempt < 5) await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
    throw new Error(`Could not get an OIDC ID token from GitHub (${last}).`);
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
    if (result === 'failed') {
      process.exitCode = 1;
      command('error', {}, message);
    } else if (message) this.info(message);
  }
}

/** `::name key=value,…::message`, escaped as the runner unescapes it. */
function command(name: string, properties: Record<string, string | number | undefined>, message: string): void {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`);
  process.stdout.write(`::${name}${props.length ? ` ${props.join(',')}` : ''}::${escapeData(message)}${os.EOL}`);
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** A GITHUB_OUTPUT entry: `name<<delimiter`, the value, the delimiter (a value can span lines). */
function keyValueBlock(key: string, value: string, uuid: string): string {
  const delimiter = `ghadelimiter_${uuid}`;
  if (key.includes(delimiter) || value.includes(delimiter)) throw new Error(`Output ${key} contains its own delimiter.`);
  return `${key}<<${delimiter}${os.EOL}${value}${os.EOL}${delimiter}${os.EOL}`;
}

/** The whole body of an action's entry file. */
export function runOnGitHub(step: Step): Promise<void> {
  return runStep(new GitHubPlatform(), step);
}
