// Entra ID, the CI OIDC issuers and ARM's token checks, driven by the official @azure/identity
// credentials and @azure/arm-machinelearning client.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { AzurePipelinesCredential, ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential } from '@azure/identity';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { RunningEmulator, ReadyConfig } from './index.js';
import { adminCall, ARM_SCOPE, armClient, REPO_ROOT, startForTests } from './testing.js';

let emulator: RunningEmulator;
let config: ReadyConfig;

beforeAll(async () => {
  emulator = await startForTests({ tokenLifetime: 600, assertionLifetime: 120 });
  config = emulator.config;
});

afterAll(async () => {
  await emulator?.stop();
});

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
const options = () => ({ authorityHost: config.authorityHost, disableInstanceDiscovery: true });

async function tokenEndpoint(form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${config.authorityHost}/${config.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function githubAssertion(audience = 'api://AzureADTokenExchange'): Promise<string> {
  const res = await fetch(`${config.githubOidc.requestUrl}&audience=${encodeURIComponent(audience)}`, {
    headers: { Authorization: `Bearer ${config.githubOidc.requestToken}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { value: string }).value;
}

async function workspaceThrough(credential: TokenCredential): Promise<string | undefined> {
  const client = new AzureMachineLearningWorkspaces(credential, config.subscriptionId, { endpoint: config.armEndpoint, credentialScopes: [ARM_SCOPE] });
  const ws = await client.workspaces.get(config.dev.resourceGroup, config.dev.workspace);
  return ws.name;
}

describe('Entra ID token endpoint with the official credentials', () => {
  test('ClientSecretCredential gets an RS256 ARM token with the configured lifetime, and ARM accepts it', async () => {
    const credential = new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, options());
    const token = await credential.getToken(ARM_SCOPE);
    const header = JSON.parse(Buffer.from(token.token.split('.')[0], 'base64url').toString());
    const claims = decode(token.token);
    expect(header.alg).toBe('RS256');
    expect(claims.aud).toBe('https://management.azure.com');
    expect(claims.tid).toBe(config.tenantId);
    expect(claims.appid).toBe(config.clientId);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(600);
    expect(await workspaceThrough(credential)).toBe(config.dev.workspace);
  });

  test('ClientCertificateCredential signs an assertion with the registered certificate (x5t / x5t#S256)', async () => {
    const credential = new ClientCertificateCredential(config.tenantId, config.clientId, { certificatePath: config.clientCertificatePath }, options());
    const token = await credential.getToken(ARM_SCOPE);
    expect(decode(token.token).appidacr).toBe('2');
    expect(await workspaceThrough(credential)).toBe(config.dev.workspace);
  });

  test('ClientAssertionCredential with a GitHub Actions OIDC token (workload identity federation)', async () => {
    const credential = new ClientAssertionCredential(config.tenantId, config.clientId, () => githubAssertion(), options());
    expect(await workspaceThrough(credential)).toBe(config.dev.workspace);
  });

  test('AzurePipelinesCredential with the Azure DevOps OIDC endpoint (workload identity federation)', async () => {
    const previous = process.env.SYSTEM_OIDCREQUESTURI;
    process.env.SYSTEM_OIDCREQUESTURI = config.azureDevOps.oidcRequestUri;
    try {
      const credential = new AzurePipelinesCredential(config.tenantId, config.clientId, config.azureDevOps.serviceConnectionId, config.azureDevOps.accessToken, options());
      expect(await workspaceThrough(credential)).toBe(config.dev.workspace);
    } finally {
      if (previous === undefined) delete process.env.SYSTEM_OIDCREQUESTURI;
      else process.env.SYSTEM_OIDCREQUESTURI = previous;
    }
  });

  test('a separate Node process trusts the emulator through NODE_EXTRA_CA_CERTS alone', async () => {
    const script = `
      import { ClientSecretCredential } from '@azure/identity';
      import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
      const c = JSON.parse(process.env.EMULATOR);
      const credential = new ClientSecretCredential(c.tenantId, c.clientId, c.clientSecret, { authorityHost: c.authorityHost, disableInstanceDiscovery: true });
      const client = new AzureMachineLearningWorkspaces(credential, c.subscriptionId, { endpoint: c.armEndpoint, credentialScopes: ['https://management.azure.com/.default'] });
      const ws = await client.workspaces.get(c.prod.resourceGroup, c.prod.workspace);
      console.log(JSON.stringify({ name: ws.name, tracking: ws.mlFlowTrackingUri }));
    `;
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: config.caCertPath, EMULATOR: JSON.stringify(config) },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c));
      child.stderr.on('data', (c: Buffer) => (stderr += c));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout) as { name: string; tracking: string };
    expect(result.name).toBe(config.prod.workspace);
    expect(result.tracking).toMatch(/^azureml:\/\/127\.0\.0\.1:\d+\/mlflow\/v1\.0\/subscriptions\//);
  });
});

describe('Entra ID errors', () => {
  test('a wrong client secret gets AADSTS7000215 and ClientSecretCredential reports it', async () => {
    const r = await tokenEndpoint({ grant_type: 'client_credentials', client_id: config.clientId, client_secret: 'wrong', scope: ARM_SCOPE });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    for (const key of ['error_description', 'timestamp', 'trace_id', 'correlation_id']) expect(typeof r.body[key]).toBe('string');
    const credential = new ClientSecretCredential(config.tenantId, config.clientId, 'wrong', options());
    await expect(credential.getToken(ARM_SCOPE)).rejects.toThrow(/AADSTS7000215/);
  });

  test('an expired federated assertion gets AADSTS700024 with the time range, as Entra words it', async () => {
    const { assertion } = await adminCall<{ assertion: string }>(config, 'POST', '/assertions', { issuer: 'github', issuedAtOffset: -600, lifetime: 300 });
    const r = await tokenEndpoint({
      grant_type: 'client_credentials',
      client_id: config.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope: ARM_SCOPE,
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_client');
    expect(r.body.error_codes).toEqual([700024]);
    expect(String(r.body.error_description)).toMatch(/^AADSTS700024: Client assertion is not within its valid time range\. Current time: .*Z, assertion valid from .*Z, expiry time of assertion .*Z\./);
    const credential = new ClientAssertionCredential(config.tenantId, config.clientId, async () => assertion, options());
    await expect(credential.getToken(ARM_SCOPE)).rejects.toThrow(/AADSTS700024/);
  });

  test('federated assertions with the wrong audience, an unknown subject or a forged signature are refused', async () => {
    const form = (assertion: string) => ({
      grant_type: 'client_credentials',
      client_id: config.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope: ARM_SCOPE,
    });
    const wrongAudience = await tokenEndpoint(form(await githubAssertion('https://github.com/contoso')));
    expect(wrongAudience.body.error_codes).toEqual([700212]);
    const { assertion: otherRepo } = await adminCall<{ assertion: string }>(config, 'POST', '/assertions', { issuer: 'github', subject: 'repo:evil/fork:ref:refs/heads/main' });
    expect((await tokenEndpoint(form(otherRepo))).body.error_codes).toEqual([700213]);
    const good = await githubAssertion();
    const [h, p] = good.split('.');
    const forged = `${h}.${p}.${Buffer.from('not a signature').toString('base64url')}`;
    expect((await tokenEndpoint(form(forged))).body.error_codes).toEqual([700027]);
  });

  test('a scope without /.default and an unknown tenant are refused', async () => {
    const r = await tokenEndpoint({ grant_type: 'client_credentials', client_id: config.clientId, client_secret: config.clientSecret, scope: 'https://management.azure.com/user_impersonation' });
    expect(r.body).toMatchObject({ error: 'invalid_scope', error_codes: [1002012] });
    const res = await fetch(`${config.authorityHost}/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_codes: number[] }).error_codes).toEqual([90002]);
  });
});

describe('CI OIDC issuers', () => {
  test('GitHub: the request token is required, the audience is honoured and assertions live --assertion-lifetime', async () => {
    const denied = await fetch(`${config.githubOidc.requestUrl}&audience=api://AzureADTokenExchange`, { headers: { Authorization: 'Bearer nope' } });
    expect(denied.status).toBe(401);
    const claims = decode(await githubAssertion());
    expect(claims).toMatchObject({ aud: 'api://AzureADTokenExchange', iss: config.githubOidc.issuer, sub: config.githubOidc.subject });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(120);
    const discovery = (await (await fetch(`${config.githubOidc.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string; issuer: string };
    expect(discovery.issuer).toBe(config.githubOidc.issuer);
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: unknown[] };
    expect(jwks.keys.length).toBe(1);
  });

  test('Azure DevOps: the oidctoken endpoint needs the access token, the plan and the service connection', async () => {
    const a = config.azureDevOps;
    const url = `${a.collectionUri}${a.projectId}/_apis/distributedtask/hubs/${a.hostType}/plans/${a.planId}/jobs/${a.jobId}/oidctoken?serviceConnectionId=${a.serviceConnectionId}&api-version=7.1-preview.1`;
    const ok = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect(ok.status).toBe(200);
    const { oidcToken } = (await ok.json()) as { oidcToken: string };
    expect(decode(oidcToken)).toMatchObject({ aud: 'api://AzureADTokenExchange', iss: a.issuer, sub: a.subject });
    expect((await fetch(url, { method: 'POST', headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
    const wrongConnection = await fetch(url.replace(a.serviceConnectionId, '00000000-0000-0000-0000-000000000000'), { method: 'POST', headers: { Authorization: `Bearer ${a.accessToken}` } });
    expect(wrongConnection.status).toBe(400);
  });
});

describe('ARM token checks', () => {
  const staticCredential = (token: string): TokenCredential => ({ getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }) });

  test('an expired token gets 401 ExpiredAuthenticationToken with WWW-Authenticate, through the official client', async () => {
    const { accessToken } = await adminCall<{ accessToken: string }>(config, 'POST', '/tokens', { lifetime: -60 });
    let raw: { status: number; headers: { get(n: string): string | undefined }; bodyAsText?: string | null } | undefined;
    const client = new AzureMachineLearningWorkspaces(staticCredential(accessToken), config.subscriptionId, { endpoint: config.armEndpoint, credentialScopes: [ARM_SCOPE] });
    const error = await client.workspaces
      .get(config.dev.resourceGroup, config.dev.workspace, { onResponse: (r) => (raw = r) })
      .then(() => undefined, (e: { statusCode?: number; code?: string }) => e);
    expect(error?.statusCode).toBe(401);
    expect(error?.code).toBe('ExpiredAuthenticationToken');
    expect(raw?.headers.get('www-authenticate')).toMatch(/^Bearer authorization_uri="https:\/\/127\.0\.0\.1:\d+\/", error="invalid_token", error_description="The access token expiry UTC time '.*' is earlier than current UTC time '.*'\."$/);
    expect(raw?.headers.get('x-ms-request-id')).toBeTruthy();
    expect(raw?.headers.get('x-ms-correlation-request-id')).toBeTruthy();
    expect(JSON.parse(raw?.bodyAsText ?? '{}').error.message).toMatch(/^The access token expiry UTC time '\d+\/\d+\/\d{4} \d+:\d\d:\d\d [AP]M' is earlier than current UTC time/);
  });

  test('a token for another audience gets 401 InvalidAuthenticationTokenAudience', async () => {
    const credential = new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, options());
    const mlToken = await credential.getToken('https://ml.azure.com/.default');
    const client = new AzureMachineLearningWorkspaces(staticCredential(mlToken.token), config.subscriptionId, { endpoint: config.armEndpoint, credentialScopes: [ARM_SCOPE] });
    await expect(client.workspaces.get(config.dev.resourceGroup, config.dev.workspace)).rejects.toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationTokenAudience' });
  });

  test('a missing api-version or an unsupported one gets ARM 400 errors', async () => {
    const token = (await new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, options()).getToken(ARM_SCOPE)).token;
    const url = `${config.armEndpoint}/subscriptions/${config.subscriptionId}/resourceGroups/${config.dev.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${config.dev.workspace}`;
    const missing = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('MissingApiVersionParameter');
    const client = armClient(config, { apiVersion: '2023-04-01' });
    await expect(client.workspaces.get(config.dev.resourceGroup, config.dev.workspace)).rejects.toMatchObject({
      statusCode: 400,
      code: 'NoRegisteredProviderFound',
      message: expect.stringMatching(/API version '2023-04-01' for type 'workspaces'\. The supported api-versions are '2022-10-01', '2022-10-01-preview', '2022-05-01', '2022-02-01-preview'\./),
    });
    // What azure-ai-ml 1.4.0 calls on the same routes is served too.
    for (const v of ['2022-02-01-preview', '2022-05-01', '2022-10-01-preview']) {
      const r = await fetch(`${url}?api-version=${v}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(r.status).toBe(200);
    }
  });
});
