// A client must outlive its tokens. For two minutes, with access tokens that live 12 s and CI OIDC
// assertions that live 6 s (ten token and twenty assertion lifetimes), a probe keeps calling ARM under
// both contracts with no failed call, and the train step waits on a job that runs nearly as long under
// both contracts. The emulator counts what it issued, which proves the renewal instead of inferring it:
// at least one access token per lifetime crossed on each platform, each one bought with a fresh
// assertion (a federated assertion is fetched anew for every new access token, never reused).
// MLOPS_TOKEN_SOAK_SECONDS changes the duration; lifetimes scale with it, so the count crossed stays.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { start, type RunningEmulator } from '../emulator/index.js';
import { trustCa } from '../emulator/testing.js';
import type { IssuedCounts } from '../emulator/world.js';
import { bundleForTest } from '../helpers/bundle.js';
import { githubOidcEnv, githubWorkspaceInputs, serviceConnectionEnv } from '../helpers/azure-env.js';
import { runAction, runTask, workspaceFrom } from '../helpers/contracts.js';
import { FIXTURES } from '../helpers/paths.js';

const SECONDS = Number(process.env.MLOPS_TOKEN_SOAK_SECONDS ?? 120);
const TOKEN_LIFETIMES = 10;
const ASSERTION_LIFETIMES = 20;
const TOKEN_SECONDS = Math.max(Math.round(SECONDS / TOKEN_LIFETIMES), 2);
const ASSERTION_SECONDS = Math.max(Math.round(SECONDS / ASSERTION_LIFETIMES), 1);
const INTERVAL_MS = 2000;
let emulator: RunningEmulator;
let githubProbe: string;
let azureDevOpsProbe: string;

beforeAll(async () => {
  [emulator, githubProbe, azureDevOpsProbe] = await Promise.all([
    start({ tokenLifetime: TOKEN_SECONDS, assertionLifetime: ASSERTION_SECONDS }),
    bundleForTest('test/e2e/probe/github.js'),
    bundleForTest('test/e2e/probe/azure-devops.js'),
  ]);
  trustCa(emulator.config.caCertPath);
}, 120000);
afterAll(async () => {
  await emulator?.stop();
});

async function issued(method: 'GET' | 'DELETE'): Promise<IssuedCounts> {
  const response = await fetch(`${emulator.config.adminUrl}/issued`, { method });
  expect(response.status).toBe(200);
  return (await response.json()) as IssuedCounts;
}

test(
  `OIDC federation keeps working for ${SECONDS} s across ${TOKEN_LIFETIMES} token and ${ASSERTION_LIFETIMES} assertion lifetimes, on both platforms`,
  async () => {
    const c = emulator.config;
    await issued('DELETE');
    const workspace = fs.mkdtempSync(`${os.tmpdir()}/soak-`);
    // Meanwhile the train step waits on a job that runs nearly as long, under both contracts.
    const jobSeconds = String(Math.max(Math.round(SECONDS * 0.8), 10));
    const trainWorkspace = workspaceFrom(path.join(FIXTURES, 'jobs'));
    const timeoutMs = (SECONDS + 120) * 1000;
    const [github, azureDevOps, trainGithub, trainAzureDevOps] = await Promise.all([
      runAction('azure-probe', {
        bundle: githubProbe,
        workspace,
        timeoutMs,
        inputs: githubWorkspaceInputs(c, {
          'client-id': c.clientId,
          'tenant-id': c.tenantId,
          'duration-seconds': String(SECONDS),
          'interval-ms': String(INTERVAL_MS),
        }),
        env: githubOidcEnv(c),
      }),
      runTask('AzureProbeV1', {
        bundle: azureDevOpsProbe,
        workspace,
        timeoutMs,
        env: {
          ...serviceConnectionEnv(c, 'WorkloadIdentityFederation', { serviceprincipalid: c.clientId, tenantid: c.tenantId }),
          INPUT_DURATIONSECONDS: String(SECONDS),
          INPUT_INTERVALMS: String(INTERVAL_MS),
        },
      }),
      runAction('train', {
        workspace: trainWorkspace,
        timeoutMs,
        inputs: githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'job-file': 'sleep.yml', set: `inputs.seconds=${jobSeconds}` }),
        env: githubOidcEnv(c),
      }),
      runTask('TrainV1', {
        workspace: trainWorkspace,
        timeoutMs,
        env: {
          ...serviceConnectionEnv(c, 'WorkloadIdentityFederation', { serviceprincipalid: c.clientId, tenantid: c.tenantId }),
          INPUT_JOBFILE: 'sleep.yml',
          INPUT_SET: `inputs.seconds=${jobSeconds}`,
        },
      }),
    ]);
    for (const run of [trainGithub, trainAzureDevOps]) {
      expect(run.failure).toBeUndefined();
      expect(run.stdout).toMatch(/: Completed$/m);
    }
    expect(trainGithub.outputs.status).toBe('Completed');
    expect(trainAzureDevOps.outputs.status).toBe('Completed');
    const minimumCalls = Math.floor((SECONDS * 1000) / (INTERVAL_MS + 1000));
    for (const run of [github, azureDevOps]) {
      expect(run.failure).toBeUndefined();
      expect(Number(run.outputs.calls)).toBeGreaterThanOrEqual(minimumCalls);
      // Every call succeeded at the first HTTP attempt: no 401 from an expired token was ever retried.
      expect(run.stdout).toMatch(/HTTP requests: (\d+), retries: 0/);
    }

    const counts = await issued('GET');
    // Only federation was used, …
    expect(counts.accessTokens).toMatchObject({ clientSecret: 0, certificate: 0 });
    for (const platform of ['github', 'azureDevOps'] as const) {
      // … each platform's probe alone had to renew its token once per lifetime it crossed, …
      expect({ platform, tokens: counts.accessTokens[platform] >= TOKEN_LIFETIMES }).toEqual({ platform, tokens: true });
      // … and every token request carried an assertion fetched for it (a reused one would leave fewer assertions than tokens).
      expect({ platform, assertionPerToken: counts.assertions[platform] >= counts.accessTokens[platform] }).toEqual({ platform, assertionPerToken: true });
    }
  },
  (SECONDS + 240) * 1000,
);
