// A client must outlive its tokens: for ten minutes, with access tokens that live 60 s and CI OIDC
// assertions that live 30 s, a probe keeps calling ARM under both contracts with no failed call, and
// the train step waits on a nine-minute job under both contracts.
// (The federated assertion is fetched anew for every new access token, never reused past its life.)
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import { start, type RunningEmulator } from '../emulator/index.js';
import { bundleForTest } from '../helpers/bundle.js';
import { githubOidcEnv, githubWorkspaceInputs, serviceConnectionEnv } from '../helpers/azure-env.js';
import { runAction, runTask, workspaceFrom } from '../helpers/contracts.js';
import { FIXTURES } from '../helpers/paths.js';
import path from 'node:path';

const SECONDS = Number(process.env.MLOPS_TOKEN_SOAK_SECONDS ?? 600);
const INTERVAL_MS = 2000;
let emulator: RunningEmulator;
let githubProbe: string;
let azureDevOpsProbe: string;

beforeAll(async () => {
  [emulator, githubProbe, azureDevOpsProbe] = await Promise.all([
    start({ tokenLifetime: 60, assertionLifetime: 30 }),
    bundleForTest('test/e2e/probe/github.js'),
    bundleForTest('test/e2e/probe/azure-devops.js'),
  ]);
}, 120000);
afterAll(async () => {
  await emulator?.stop();
});

test(
  `OIDC federation keeps working for ${SECONDS} s across many token and assertion lifetimes, on both platforms`,
  async () => {
    const c = emulator.config;
    const workspace = fs.mkdtempSync(`${os.tmpdir()}/soak-`);
    // Meanwhile the train step waits on a job that runs nearly as long, under both contracts.
    const jobSeconds = String(Math.max(SECONDS - 60, 10));
    const trainWorkspace = workspaceFrom(path.join(FIXTURES, 'jobs'));
    const [github, azureDevOps, trainGithub, trainAzureDevOps] = await Promise.all([
      runAction('azure-probe', {
        bundle: githubProbe,
        workspace,
        timeoutMs: (SECONDS + 120) * 1000,
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
        timeoutMs: (SECONDS + 120) * 1000,
        env: {
          ...serviceConnectionEnv(c, 'WorkloadIdentityFederation', { serviceprincipalid: c.clientId, tenantid: c.tenantId }),
          INPUT_DURATIONSECONDS: String(SECONDS),
          INPUT_INTERVALMS: String(INTERVAL_MS),
        },
      }),
      runAction('train', {
        workspace: trainWorkspace,
        timeoutMs: (SECONDS + 120) * 1000,
        inputs: githubWorkspaceInputs(c, { 'client-id': c.clientId, 'tenant-id': c.tenantId, 'job-file': 'sleep.yml', set: `inputs.seconds=${jobSeconds}` }),
        env: githubOidcEnv(c),
      }),
      runTask('TrainV1', {
        workspace: trainWorkspace,
        timeoutMs: (SECONDS + 120) * 1000,
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
  },
  (SECONDS + 240) * 1000,
);
