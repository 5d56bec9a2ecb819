// The core Azure layer's sign-in, run as a bundle under both contracts against the emulator (which is
// just another cloud: explicit ARM and authority endpoints, its CA trusted through NODE_EXTRA_CA_CERTS).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import { start, type RunningEmulator } from '../emulator/index.js';
import { bundleForTest } from '../helpers/bundle.js';
import { githubOidcEnv, githubWorkspaceInputs, serviceConnectionEnv } from '../helpers/azure-env.js';
import { runAction, runTask } from '../helpers/contracts.js';

let emulator: RunningEmulator;
let githubProbe: string;
let azureDevOpsProbe: string;
const workspace = fs.mkdtempSync(`${os.tmpdir()}/auth-ws-`);

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

// Every run below is scanned for secrets by runAction / runTask (test/helpers/secret-scan.ts): the
// client secret, the certificate's private key, the creds JSON, a wrong secret, the runner's and the
// agent's tokens and every token and assertion the emulator issued must appear nowhere it printed or wrote.

function githubEnv(extra: Record<string, string> = {}) {
  return { NODE_EXTRA_CA_CERTS: emulator.config.caCertPath, ...extra };
}

const githubInputs = (inputs: Record<string, string>) => githubWorkspaceInputs(emulator.config, inputs);

describe('sign-in on GitHub', () => {
  test('OIDC federation with the runner’s ID token', async () => {
    const c = emulator.config;
    const run = await runAction('azure-probe', {
      bundle: githubProbe,
      workspace,
      inputs: githubInputs({ 'client-id': c.clientId, 'tenant-id': c.tenantId }),
      env: githubOidcEnv(c),
    });
    expect(run.failure).toBeUndefined();
    expect(run.stdout).toContain('Signing in to AzureCloud (custom endpoints) with OIDC federation (GitHub ID token).');
    expect(run.outputs).toEqual({ calls: '1', 'workspace-location': c.dev.location ?? 'eastus' });
  });

  test('a client secret', async () => {
    const c = emulator.config;
    const run = await runAction('azure-probe', {
      bundle: githubProbe,
      workspace,
      inputs: githubInputs({ 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': c.clientSecret }),
      env: githubEnv(),
    });
    expect(run.failure).toBeUndefined();
    expect(run.stdout).toContain('with a client secret.');
  });

  test('a client certificate', async () => {
    const c = emulator.config;
    const pem = fs.readFileSync(c.clientCertificatePath, 'utf8');
    const run = await runAction('azure-probe', {
      bundle: githubProbe,
      workspace,
      inputs: githubInputs({ 'client-id': c.clientId, 'tenant-id': c.tenantId, certificate: pem }),
      env: githubEnv(),
    });
    expect(run.failure).toBeUndefined();
    expect(run.stdout).toContain('with a client certificate.');
  });

  test('the creds JSON of azure/login', async () => {
    const c = emulator.config;
    const creds = JSON.stringify({ clientId: c.clientId, clientSecret: c.clientSecret, tenantId: c.tenantId, subscriptionId: c.subscriptionId });
    const inputs: Record<string, string> = githubInputs({ creds });
    delete inputs['subscription-id'];
    const run = await runAction('azure-probe', { bundle: githubProbe, workspace, inputs, env: githubEnv() });
    expect(run.failure).toBeUndefined();
    expect(run.stdout).toContain('with the creds JSON (client secret).');
  });

  test('OIDC without id-token permission says what to add', async () => {
    const c = emulator.config;
    const run = await runAction('azure-probe', {
      bundle: githubProbe,
      workspace,
      inputs: githubInputs({ 'client-id': c.clientId, 'tenant-id': c.tenantId }),
      env: githubEnv(),
    });
    expect(run.failure).toMatch(/add 'permissions: id-token: write'/);
  });

  test('a wrong secret surfaces Entra ID’s error', async () => {
    const c = emulator.config;
    const run = await runAction('azure-probe', {
      bundle: githubProbe,
      workspace,
      inputs: githubInputs({ 'client-id': c.clientId, 'tenant-id': c.tenantId, 'client-secret': 'not-the-secret-123' }),
      env: githubEnv(),
    });
    expect(run.exitCode).toBe(1);
    expect(run.failure).toMatch(/^Signing in to Azure failed \(AADSTS7000215\): AADSTS7000215: Invalid client secret provided\..* Correlation id: [0-9a-f-]{36}\.$/);
  });
});

describe('sign-in on Azure DevOps', () => {
  test('service principal with a key', async () => {
    const c = emulator.config;
    const run = await runTask('AzureProbeV1', {
      bundle: azureDevOpsProbe,
      workspace,
      env: serviceConnectionEnv(c, 'ServicePrincipal', { serviceprincipalid: c.clientId, tenantid: c.tenantId, serviceprincipalkey: c.clientSecret, authenticationType: 'spnKey' }),
    });
    expect(run.failure).toBeUndefined();
    expect(run.result).toBe('Succeeded');
    expect(run.stdout).toContain(`with service connection '${c.azureDevOps.serviceConnectionId}' (service principal key).`);
    expect(run.outputs.calls).toBe('1');
  });

  test('service principal with a certificate', async () => {
    const c = emulator.config;
    const run = await runTask('AzureProbeV1', {
      bundle: azureDevOpsProbe,
      workspace,
      env: serviceConnectionEnv(c, 'ServicePrincipal', {
          serviceprincipalid: c.clientId,
          tenantid: c.tenantId,
          servicePrincipalCertificate: fs.readFileSync(c.clientCertificatePath, 'utf8'),
          authenticationType: 'spnCertificate',
        }),
    });
    expect(run.failure).toBeUndefined();
    expect(run.stdout).toContain('(service principal certificate).');
  });

  test('workload identity federation through the oidctoken REST call', async () => {
    const c = emulator.config;
    const run = await runTask('AzureProbeV1', {
      bundle: azureDevOpsProbe,
      workspace,
      env: serviceConnectionEnv(c, 'WorkloadIdentityFederation', { serviceprincipalid: c.clientId, tenantid: c.tenantId }),
    });
    expect(run.failure).toBeUndefined();
    expect(run.stdout).toContain('(workload identity federation).');
  });

  test('workload identity federation: a refused OIDC token request says what Azure DevOps said, in one sentence', async () => {
    const c = emulator.config;
    const run = await runTask('AzureProbeV1', {
      bundle: azureDevOpsProbe,
      workspace,
      env: {
        ...serviceConnectionEnv(c, 'WorkloadIdentityFederation', { serviceprincipalid: c.clientId, tenantid: c.tenantId }),
        ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ scheme: 'OAuth', parameters: { AccessToken: 'expired-job-token-0123' } }),
        ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: 'expired-job-token-0123',
      },
    });
    expect(run.result).toBe('Failed');
    expect(run.failure).toBe('Requesting an OIDC token from Azure DevOps failed (HTTP 401): Access Denied: the access token is missing, expired or invalid.');
  });

  test('workload identity federation without the job’s OIDC request URI says what the agent did not give', async () => {
    const c = emulator.config;
    const run = await runTask('AzureProbeV1', {
      bundle: azureDevOpsProbe,
      workspace,
      env: { ...serviceConnectionEnv(c, 'WorkloadIdentityFederation', { serviceprincipalid: c.clientId, tenantid: c.tenantId }), SYSTEM_OIDCREQUESTURI: '' },
    });
    expect(run.failure).toBe(
      `The service connection '${c.azureDevOps.serviceConnectionId}' uses workload identity federation, but the agent gave this job no access token or OIDC request URI (System.AccessToken, System.OidcRequestUri) to request an OIDC token with.`,
    );
  });
});
