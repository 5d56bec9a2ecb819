// The core Azure layer's sign-in, run as a bundle under both contracts against the emulator (which is
// just another cloud: explicit ARM and authority endpoints, its CA trusted through NODE_EXTRA_CA_CERTS).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import { start, type RunningEmulator } from '../emulator/index.js';
import { bundleForTest } from '../helpers/bundle.js';
import { githubOidcEnv, githubWorkspaceInputs, serviceConnectionEnv } from '../helpers/azure-env.js';
import { runAction, runTask, type StepRun } from '../helpers/contracts.js';

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

const secretsOf = () => [emulator.config.clientSecret, emulator.config.azureDevOps.accessToken, emulator.config.githubOidc.requestToken];

/** No secret used by a run may appear in anything it printed or wrote. */
function expectNoSecrets(run: StepRun, extra: string[] = []): void {
  // The masking commands themselves are how a runner learns a secret; everything else must not show it.
  const stdout = run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::') && !l.startsWith('##vso[task.setsecret]'))
    .join('\n');
  const seen = [stdout, run.stderr, run.summary, JSON.stringify(run.outputs)].join('\n');
  for (const secret of [...secretsOf(), ...extra]) {
    expect({ secret: secret.slice(0, 4) + '…', leaked: seen.includes(secret) }).toEqual({ secret: secret.slice(0, 4) + '…', leaked: false });
  }
}

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
    expectNoSecrets(run);
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
    expectNoSecrets(run);
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
    const keyLine = pem.split('\n').find((l) => l.length > 40 && !l.startsWith('-----') && pem.indexOf(l) > pem.indexOf('PRIVATE KEY'))!;
    expectNoSecrets(run, [keyLine]);
  });

  test('the creds JSON of azure/login', async () => {
    const c = emulator.config;
    const creds = JSON.stringify({ clientId: c.clientId, clientSecret: c.clientSecret, tenantId: c.tenantId, subscriptionId: c.subscriptionId });
    const inputs: Record<string, string> = githubInputs({ creds });
    delete inputs['subscription-id'];
    const run = await runAction('azure-probe', { bundle: githubProbe, workspace, inputs, env: githubEnv() });
    expect(run.failure).toBeUndefined();
    expect(run.stdout).toContain('with the creds JSON (client secret).');
    expectNoSecrets(run);
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
    expectNoSecrets(run, ['not-the-secret-123']);
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
    expectNoSecrets(run);
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
    expectNoSecrets(run);
  });
});
