// A smoke test of an online endpoint (or of one deployment behind it), shared by the smoke-test step and
// the deploy step's check of a new deployment before it takes traffic: request files read and checked
// offline, each POSTed once and judged (status, expected body, `expect` expressions), then an optional
// latency run; the findings as log lines, a JUnit case per request file and a summary table.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { evaluate, parseExpression, show, ExpressionError, type Expression, type Json } from '../assertions/expressions.js';
import { compareJson, formatDifferences, jsonErrorOffset, type MatchMode } from '../assertions/json-match.js';
import { ms, pool, summarise, type LatencySummary } from '../assertions/latency.js';
import { FileError, InputError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';
import { casesToJUnit } from '../reports/junit.js';
import { code, table } from '../reports/markdown.js';
import type { EndpointClient } from './endpoints.js';
import { SHOWN_HEADERS, type ScoringClient, type ScoringResponse } from './scoring.js';

export interface SmokeCase {
  /** As the user names it (relative to the workspace). */
  name: string;
  body: string;
  expected?: { json: Json; file: string };
}

export interface SmokeChecks {
  expectedStatus: number;
  match: MatchMode;
  tolerance: number;
  expects: Expression[];
}

export interface CaseResult {
  smoke: SmokeCase;
  response?: ScoringResponse;
  /** What failed, one line each (empty when the case passed). */
  failures: string[];
}

const EXPECTED = /\.expected\.json$/i;

/**
 * The request files an input names: one JSON file, or every `*.json` in a folder (not the
 * `*.expected.json` ones), each with its `<name>.expected.json` beside it when there is one.
 */
export function loadCases(workspace: string, given: string, input: string): SmokeCase[] {
  const full = path.resolve(workspace, given);
  if (!existsSync(full)) throw new InputError(input, `names '${given}', which does not exist (looked for ${full}).`);
  let files: string[];
  if (statSync(full).isDirectory()) {
    files = readdirSync(full)
      .filter((f) => f.toLowerCase().endsWith('.json') && !EXPECTED.test(f))
      .sort()
      .map((f) => path.join(full, f));
    if (files.length === 0) throw new InputError(input, `names the folder '${given}', which has no request files (*.json other than *.expected.json).`);
  } else files = [full];
  return files.map((file) => {
    const name = path.relative(workspace, file).split(path.sep).join('/');
    const body = readFileSync(file, 'utf8');
    parseJsonFile(body, name);
    const expectedFile = file.replace(/\.json$/i, '.expected.json');
    if (!existsSync(expectedFile)) return { name, body };
    const expectedName = path.relative(workspace, expectedFile).split(path.sep).join('/');
    return { name, body, expected: { json: parseJsonFile(readFileSync(expectedFile, 'utf8'), expectedName), file: expectedName } };
  });
}

/** JSON.parse with the file, line and column of a syntax error. */
export function parseJsonFile(text: string, name: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    void error;
    const offset = jsonErrorOffset(text) ?? 0;
    const before = text.slice(0, offset).split('\n');
    const found = offset >= text.length ? 'the end of the file' : `'${text[offset]}'`;
    throw new FileError(name, `is not valid JSON: unexpected ${found}.`, before.length, before[before.length - 1].length + 1);
  }
}

/** The `expect` input's lines, each parsed now: a typo fails before any request is sent. */
export function parseExpects(lines: string[], input: string): Expression[] {
  return lines.map((line, i) => {
    try {
      return parseExpression(line);
    } catch (error) {
      if (error instanceof ExpressionError) throw new InputError(input, `line ${i + 1} ('${line}'): ${error.message}.`);
      throw error;
    }
  });
}

function parsedBody(response: ScoringResponse): Json {
  try {
    return JSON.parse(response.text) as Json;
  } catch {
    return response.text;
  }
}

/** A failure on one line (a body diff lists its differences after the colon). */
export function oneLine(failure: string): string {
  return failure.replace(/:\n\s*/, ': ').replace(/\n\s*/g, '; ');
}

/** What failed in one response (pure); a body difference is one entry of several lines. */
export function judge(smoke: SmokeCase, response: ScoringResponse, checks: SmokeChecks): string[] {
  const failures: string[] = [];
  if (response.status !== checks.expectedStatus) failures.push(`status ${response.status}, expected ${checks.expectedStatus}`);
  const body = parsedBody(response);
  if (smoke.expected) {
    const diffs = compareJson(smoke.expected.json, body, { mode: checks.match, tolerance: checks.tolerance });
    if (diffs.length) {
      failures.push([`body ${checks.match === 'equals' ? 'differs from' : 'does not contain'} ${smoke.expected.file}:`, ...formatDifferences(diffs).map((l) => `  ${l}`)].join('\n'));
    }
  }
  for (const expr of checks.expects) {
    const verdict = evaluate(expr, { body, status: response.status, headers: response.headers, time_ms: Math.round(response.timeMs) }, checks.tolerance);
    if (!verdict.passed) failures.push(`expect ${expr.source.trim()}: ${verdict.detail}`);
  }
  return failures;
}

export async function runCases(client: ScoringClient, cases: SmokeCase[], checks: SmokeChecks, options: { deployment?: string; signal: AbortSignal }): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const smoke of cases) {
    const response = await client.score(smoke.body, { deployment: options.deployment, signal: options.signal });
    results.push({ smoke, response, failures: judge(smoke, response, checks) });
  }
  return results;
}

/** `total` more requests (the request files in turn), `concurrency` at a time: their times, and the ones with an unexpected status. */
export async function latencyRun(
  client: ScoringClient,
  cases: SmokeCase[],
  options: { total: number; concurrency: number; expectedStatus: number; deployment?: string; signal: AbortSignal },
): Promise<{ times: number[]; unexpected: Array<{ status: number; name: string }> }> {
  const unexpected: Array<{ status: number; name: string }> = [];
  const times = await pool(
    options.total,
    options.concurrency,
    async (i) => {
      const smoke = cases[i % cases.length];
      const response = await client.score(smoke.body, { deployment: options.deployment, signal: options.signal });
      if (response.status !== options.expectedStatus) unexpected.push({ status: response.status, name: smoke.name });
      return response.timeMs;
    },
    options.signal,
  );
  return { times, unexpected };
}

const MAX_SHOWN = 2000;

function clip(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}… (${text.length - MAX_SHOWN} more characters)` : text;
}

/** The request, the response and what failed, for the log and the JUnit failure. */
export function failureDetails(result: CaseResult, target: string): string {
  const r = result.response;
  const lines = [`Request: POST ${target} with ${result.smoke.name}`, clip(result.smoke.body.trim())];
  if (r) {
    const headers = SHOWN_HEADERS.filter((h) => r.headers[h] !== undefined).map((h) => `${h}: ${r.headers[h]}`);
    lines.push(`Response: HTTP ${r.status} in ${ms(r.timeMs)} ms${headers.length ? ` (${headers.join('; ')})` : ''}`, clip(r.text.trim()));
  }
  lines.push('Failed:', ...result.failures.map((f) => `- ${f}`));
  return lines.join('\n');
}

/** Prints each failed case and the log tail of the deployment(s) that answered them. */
export async function reportFailures(
  platform: Platform,
  endpoints: EndpointClient,
  endpoint: string,
  results: CaseResult[],
  options: { target: string; deployment?: string; logLines: number },
): Promise<void> {
  const failed = results.filter((r) => r.failures.length);
  for (const r of failed) {
    platform.startGroup(`✗ ${r.smoke.name}`);
    // The response body is the service's (and the user's code's) text: never read as commands.
    platform.beginToolOutput();
    for (const line of failureDetails(r, options.target).split('\n')) platform.writeToolOutput(line, 'stdout');
    platform.endToolOutput();
    platform.endGroup();
  }
  const deployments = new Set(failed.map((r) => r.response?.deployment ?? options.deployment).filter((d): d is string => Boolean(d)));
  for (const d of deployments) await printLogTail(platform, endpoints, endpoint, d, options.logLines);
}

export async function printLogTail(platform: Platform, endpoints: EndpointClient, endpoint: string, deployment: string, lines: number): Promise<string> {
  if (lines <= 0) return '';
  let content: string;
  try {
    content = await endpoints.logs(endpoint, deployment, lines);
  } catch (error) {
    platform.warning(`Could not read the log of deployment ${deployment}: ${(error as Error).message}`);
    return '';
  }
  platform.startGroup(`Log of deployment ${deployment} (last ${lines} lines)`);
  platform.beginToolOutput();
  for (const line of (content || '(empty)').split('\n')) platform.writeToolOutput(line, 'stdout');
  platform.endToolOutput();
  platform.endGroup();
  return content;
}

export function junit(results: CaseResult[], suite: string, target: string): string {
  return casesToJUnit(
    suite,
    results.map((r) => ({
      classname: suite,
      name: r.smoke.name,
      file: r.smoke.name,
      seconds: (r.response?.timeMs ?? 0) / 1000,
      failure: r.failures.length ? { message: oneLine(r.failures[0]), details: failureDetails(r, target) } : undefined,
    })),
  );
}

export function summaryTable(results: CaseResult[]): string {
  return table(
    ['Request', 'Status', 'Time', 'Deployment', 'Result'],
    results.map((r) => [
      code(r.smoke.name),
      String(r.response?.status ?? '—'),
      r.response ? `${ms(r.response.timeMs)} ms` : '—',
      r.response?.deployment ?? '—',
      r.failures.length ? `❌ ${oneLine(r.failures[0])}` : '✅ passed',
    ]),
  );
}

export function latencyLine(summary: LatencySummary): string {
  return `${summary.count} request${summary.count === 1 ? '' : 's'}: p50 ${ms(summary.p50)} ms, p95 ${ms(summary.p95)} ms, p99 ${ms(summary.p99)} ms (min ${ms(summary.min)}, max ${ms(summary.max)})`;
}

export { summarise, show };
