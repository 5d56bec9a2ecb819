import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ms, summarise } from '../../assertions/latency.js';
import { openEndpoints } from '../../azureml/endpoints.js';
import { ScoringClient } from '../../azureml/scoring.js';
import { junit, latencyLine, oneLine, latencyRun, loadCases, parseExpects, reportFailures, runCases, summaryTable, type SmokeChecks } from '../../azureml/smoke.js';
import { openWorkspaceAccess } from '../../azureml/workspace.js';
import { UserError } from '../../platform/errors.js';
import type { Inputs } from '../../platform/inputs.js';
import type { Step, StepContext, StepOutcome } from '../../platform/step.js';
import { code } from '../../reports/markdown.js';
import { smokeTestDeclaration } from './declaration.js';

/** The checks the inputs describe (shared with the deploy step's check of a new deployment). */
export function smokeChecks(inputs: Inputs): SmokeChecks {
  return {
    expectedStatus: inputs.integer('expected-status') ?? 200,
    match: inputs.choice<'equals' | 'contains'>('match') ?? 'equals',
    tolerance: inputs.number('tolerance') ?? 0,
    expects: parseExpects(inputs.lines('expect'), 'expect'),
  };
}

async function smokeTest(context: StepContext): Promise<StepOutcome> {
  const { platform, inputs, signal } = context;
  // Everything the user wrote is read and checked before signing in: a mistake sends nothing.
  const cases = loadCases(platform.workspace, inputs.path('request-file') ?? 'test.json', 'request-file');
  const checks = smokeChecks(inputs);
  const endpointName = inputs.string('endpoint-name')!;
  const deployment = inputs.string('deployment-name');
  const total = inputs.integer('requests') ?? 0;
  const concurrency = inputs.integer('concurrency') ?? 1;
  const maxP95 = inputs.number('max-p95-ms');
  const logLines = inputs.integer('log-lines') ?? 50;

  const session = await openWorkspaceAccess(context);
  const endpoints = openEndpoints(session, platform);
  const endpoint = await endpoints.getEndpoint(endpointName, signal);
  if (!endpoint) throw new UserError(`Online endpoint ${endpointName} does not exist in workspace ${session.ws.workspace}.`);
  if (deployment && !(await endpoints.getDeployment(endpointName, deployment))) {
    const names = (await endpoints.listDeployments(endpointName)).map((d) => d.name);
    throw new UserError(`Endpoint ${endpointName} has no deployment named ${deployment}${names.length ? ` (it has ${names.join(', ')})` : ' (it has none)'}.`);
  }
  const scoringUri = endpoint.properties.scoringUri;
  if (!scoringUri) throw new UserError(`Endpoint ${endpointName} has no scoring URI yet (provisioning state ${endpoint.properties.provisioningState ?? 'unknown'}).`);
  const target = deployment ? `endpoint ${endpointName}, deployment ${deployment}` : `endpoint ${endpointName}`;
  const client = new ScoringClient(platform, session.stats, scoringUri, await endpoints.scoringAuth(endpoint));
  platform.info(`Smoke-testing ${target} (${scoringUri}, auth ${endpoint.properties.authMode}) with ${cases.length} request file${cases.length === 1 ? '' : 's'}.`);

  const results = await runCases(client, cases, checks, { deployment, signal });
  for (const r of results) {
    platform.info(`${r.failures.length ? '✗' : '✓'} ${r.smoke.name}: HTTP ${r.response?.status} in ${ms(r.response?.timeMs ?? 0)} ms${r.response?.deployment ? ` from ${r.response.deployment}` : ''}`);
  }
  const times = results.map((r) => r.response!.timeMs);
  let unexpected: Array<{ status: number; name: string }> = [];
  if (total > 0) {
    platform.info(`Latency run: ${total} requests, ${concurrency} at a time.`);
    const run = await latencyRun(client, cases, { total, concurrency, expectedStatus: checks.expectedStatus, deployment, signal });
    times.push(...run.times);
    unexpected = run.unexpected;
  }
  const latency = summarise(times);
  platform.info(`Latency over ${latencyLine(latency)}.`);

  const failed = results.filter((r) => r.failures.length);
  if (failed.length) await reportFailures(platform, endpoints, endpointName, results, { target, deployment, logLines });

  const reportDir = inputs.path('report-directory') ? path.resolve(platform.workspace, inputs.path('report-directory')!) : path.join(platform.tempDir, 'mlops-actions', 'smoke-test');
  await mkdir(reportDir, { recursive: true });
  const reportPath = path.join(reportDir, `smoke-test-${endpointName}.xml`);
  await writeFile(reportPath, junit(results, `smoke-test ${endpointName}`, target), 'utf8');
  platform.publishTestResults({ format: 'JUnit', files: [reportPath], title: `Smoke test of ${target}` });

  const problems: string[] = [];
  if (failed.length) problems.push(`${failed.length} of ${results.length} request${results.length === 1 ? '' : 's'} failed (${failed.map((r) => `${r.smoke.name}: ${r.failures.map(oneLine).join('; ')}`).join('; ')})`);
  if (unexpected.length) {
    const byStatus = [...new Set(unexpected.map((u) => u.status))].map((s) => `${unexpected.filter((u) => u.status === s).length}× HTTP ${s}`);
    problems.push(`${unexpected.length} of ${total} latency requests got an unexpected status (${byStatus.join(', ')})`);
  }
  if (maxP95 !== undefined && latency.p95 > maxP95) problems.push(`p95 ${ms(latency.p95)} ms is above ${platform.nameOf('max-p95-ms')} ${maxP95} ms`);
  const passed = problems.length === 0;

  platform.setOutput('passed', String(passed));
  platform.setOutput('p50-ms', ms(latency.p50));
  platform.setOutput('p95-ms', ms(latency.p95));
  platform.setOutput('p99-ms', ms(latency.p99));
  platform.setOutput('report-path', reportPath);
  await platform.appendSummary(
    [
      `### ${passed ? '✅' : '❌'} Smoke test of ${code(endpointName)}${deployment ? ` (deployment ${code(deployment)})` : ''}`,
      '',
      summaryTable(results),
      '',
      `Latency over ${latencyLine(latency)}${maxP95 !== undefined ? `; gate p95 ≤ ${maxP95} ms` : ''}.`,
      ...(problems.length ? ['', ...problems.map((p) => `- ${p}`)] : []),
      '',
    ].join('\n'),
  );
  if (!passed) return { status: 'failed', message: `Smoke test of ${target} failed: ${problems.join('; ')}.` };
  return { status: 'succeeded', message: `Smoke test of ${target} passed: ${results.length} request file${results.length === 1 ? '' : 's'}, p95 ${ms(latency.p95)} ms.` };
}

export const smokeTestStep: Step = { declaration: smokeTestDeclaration, run: smokeTest };
