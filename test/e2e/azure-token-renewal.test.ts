// A client must outlive its tokens: for ten minutes, with access tokens that live 60 s and CI OIDC
// assertions that live 30 s, a probe keeps calling ARM under both contracts with no failed call.
// (The federated assertion is fetched anew for every new access token, never reused past its life.)
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import { start, type RunningEmulator } from '../emulator/index.js';
import { bundleForTest } from '../helpers/bundle.js';
import { runAction, runTask } from '../helpers/contracts.js';

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
    const id = c.azureDevOps.serviceConnectionId;
    const [github, azureDevOps] = await Promise.all([
      runAction('azure-probe', {
        bundle: githubProbe,
        workspace,
        timeoutMs: (SECONDS + 120) * 1000,
        inputs: {
          'arm-endpoint': c.armEndpoint,
          'authority-host': c.authorityHost,
          'subscription-id': c.subscriptionId,
          'resource-group': c.dev.resourceGroup,
          workspace: c.dev.workspace,
          'client-id': c.clientId,
          'tenant-id': c.tenantId,
          'duration-seconds': String(SECONDS),
          'interval-ms': String(INTERVAL_MS),
        },
        env: {
          NODE_EXTRA_CA_CERTS: c.caCertPath,
          ACTIONS_ID_TOKEN_REQUEST_URL: c.githubOidc.requestUrl,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: c.githubOidc.requestToken,
        },
      }),
      runTask('AzureProbeV1', {
        bundle: azureDevOpsProbe,
        workspace,
        timeoutMs: (SECONDS + 120) * 1000,
        env: {
          NODE_EXTRA_CA_CERTS: c.caCertPath,
          INPUT_AZURESUBSCRIPTION: id,
          INPUT_RESOURCEGROUP: c.dev.resourceGroup,
          INPUT_WORKSPACE: c.dev.workspace,
          INPUT_DURATIONSECONDS: String(SECONDS),
          INPUT_INTERVALMS: String(INTERVAL_MS),
          [`ENDPOINT_URL_${id}`]: c.armEndpoint,
          [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ scheme: 'WorkloadIdentityFederation', parameters: { serviceprincipalid: c.clientId, tenantid: c.tenantId } }),
          [`ENDPOINT_DATA_${id}_SUBSCRIPTIONID`]: c.subscriptionId,
          [`ENDPOINT_DATA_${id}_ACTIVEDIRECTORYAUTHORITY`]: c.authorityHost,
          SYSTEM_COLLECTIONURI: c.azureDevOps.collectionUri,
          SYSTEM_TEAMPROJECTID: c.azureDevOps.projectId,
          SYSTEM_PLANID: c.azureDevOps.planId,
          SYSTEM_JOBID: c.azureDevOps.jobId,
          SYSTEM_HOSTTYPE: c.azureDevOps.hostType,
          ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ scheme: 'OAuth', parameters: { AccessToken: c.azureDevOps.accessToken } }),
        },
      }),
    ]);
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
