// The OIDC token endpoints of both CI systems, so steps can do workload identity federation offline:
//   GitHub:        GET  <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=…   (Authorization: Bearer <request token>) → {value}
//   Azure DevOps:  POST {collectionUri}{projectId}/_apis/distributedtask/hubs/{hostType}/plans/{planId}/jobs/{jobId}/oidctoken
//                  ?serviceConnectionId=…&api-version=7.1-preview.1   (Authorization: Bearer <System.AccessToken>) → {oidcToken}
// Each issuer also publishes its OpenID configuration and JWKS, as the real ones do.
import { randomUUID } from 'node:crypto';
import { Ctx, HttpError, matchPath, type Reply } from './http.js';
import { jwk, nowSeconds, signJwt, type JwtClaims } from './jwt.js';
import { adoIssuer, ASSERTION_AUDIENCE, githubIssuer } from './entra.js';
import type { World } from './world.js';

export function githubRequestUrl(world: World): string {
  return `${world.baseUrl}/github/idtoken?api-version=2.0`;
}

export function adoCollectionUri(world: World): string {
  return `${world.baseUrl}/ado/${world.azureDevOps.organization}/`;
}

export function adoOidcRequestUri(world: World): string {
  const a = world.azureDevOps;
  return `${adoCollectionUri(world)}${a.projectId}/_apis/distributedtask/hubs/${a.hostType}/plans/${a.planId}/jobs/${a.jobId}/oidctoken`;
}

export interface AssertionOverrides {
  lifetime?: number;
  /** Seconds from now of `nbf`/`iat` (negative = in the past). */
  issuedAtOffset?: number;
  audience?: string;
  subject?: string;
}

export function githubAssertion(world: World, audience: string | undefined, o: AssertionOverrides = {}): string {
  const iat = nowSeconds() + (o.issuedAtOffset ?? 0);
  const repo = world.github.repository;
  const claims: JwtClaims = {
    jti: randomUUID(),
    sub: o.subject ?? world.github.subject,
    aud: o.audience ?? audience ?? `https://github.com/${repo.split('/')[0]}`,
    ref: 'refs/heads/main',
    sha: '0'.repeat(40),
    repository: repo,
    repository_owner: repo.split('/')[0],
    run_id: '1',
    run_number: '1',
    run_attempt: '1',
    actor: 'emulator',
    workflow: 'emulated',
    event_name: 'push',
    ref_type: 'branch',
    job_workflow_ref: `${repo}/.github/workflows/emulated.yml@refs/heads/main`,
    runner_environment: 'github-hosted',
    iss: githubIssuer(world),
    nbf: iat,
    iat,
    exp: iat + (o.lifetime ?? world.settings.assertionLifetime),
  };
  return world.handedOut.add(signJwt(claims, world.githubSigner.key, { kid: world.githubSigner.kid, x5t: world.githubSigner.kid }), 'a GitHub OIDC ID token');
}

export function adoAssertion(world: World, o: AssertionOverrides = {}): string {
  const iat = nowSeconds() + (o.issuedAtOffset ?? 0);
  const a = world.azureDevOps;
  const claims: JwtClaims = {
    jti: randomUUID(),
    sub: o.subject ?? `sc://${a.organization}/${a.projectName}/${a.serviceConnectionName}`,
    aud: o.audience ?? ASSERTION_AUDIENCE,
    iss: adoIssuer(world),
    nbf: iat,
    iat,
    exp: iat + (o.lifetime ?? world.settings.assertionLifetime),
  };
  return world.handedOut.add(signJwt(claims, world.adoSigner.key, { kid: world.adoSigner.kid, x5t: world.adoSigner.kid }), 'an Azure DevOps OIDC token');
}

function bearer(ctx: Ctx): string | undefined {
  const h = ctx.header('authorization');
  if (!h) return undefined;
  const m = /^bearer\s+(.+)$/i.exec(h);
  if (m) return m[1].trim();
  const basic = /^basic\s+(.+)$/i.exec(h);
  if (basic) return Buffer.from(basic[1], 'base64').toString('utf8').split(':').slice(1).join(':');
  return undefined;
}

/** Azure DevOps' error body (a serialized VSS exception). */
function adoError(status: number, message: string, typeKey: string): HttpError {
  return new HttpError(status, {
    $id: '1',
    innerException: null,
    message,
    typeName: `Microsoft.TeamFoundation.DistributedTask.WebApi.${typeKey}, Microsoft.TeamFoundation.DistributedTask.WebApi`,
    typeKey,
    errorCode: 0,
    eventId: 3000,
  });
}

function discovery(issuer: string, jwksUri: string) {
  return {
    issuer,
    jwks_uri: jwksUri,
    subject_types_supported: ['public', 'pairwise'],
    response_types_supported: ['id_token'],
    claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid'],
  };
}

export async function handleCiOidc(world: World, ctx: Ctx): Promise<Reply | undefined> {
  const p = ctx.path;
  // GitHub
  if (matchPath('/github/.well-known/openid-configuration', p)) {
    return { status: 200, body: discovery(githubIssuer(world), `${githubIssuer(world)}/.well-known/jwks`) };
  }
  if (matchPath('/github/.well-known/jwks', p)) return { status: 200, body: { keys: [jwk(world.githubSigner.key, world.githubSigner.kid)] } };
  if (matchPath('/github/idtoken', p)) {
    if (ctx.method !== 'GET' && ctx.method !== 'POST') throw new HttpError(405, { message: 'Method not allowed' });
    if (bearer(ctx) !== world.github.requestToken) {
      throw new HttpError(401, { message: 'Unauthorized: the ACTIONS_ID_TOKEN_REQUEST_TOKEN is missing or invalid.' }, { 'www-authenticate': 'Bearer' });
    }
    const value = githubAssertion(world, ctx.query('audience'));
    world.issued.assertions.github++;
    return { status: 200, body: { count: value.length, value } };
  }
  // Azure DevOps issuer metadata
  const vs = matchPath('/vstoken/{org}/.well-known/openid-configuration', p);
  if (vs) return { status: 200, body: discovery(adoIssuer(world), `${adoIssuer(world)}/.well-known/jwks`) };
  if (matchPath('/vstoken/{org}/.well-known/jwks', p)) return { status: 200, body: { keys: [jwk(world.adoSigner.key, world.adoSigner.kid)] } };
  // Azure DevOps OIDC token
  const m = matchPath('/ado/{org}/{project}/_apis/distributedtask/hubs/{hub}/plans/{plan}/jobs/{job}/oidctoken', p);
  if (m) {
    const a = world.azureDevOps;
    if (ctx.method !== 'POST') throw adoError(405, 'The requested resource does not support http method.', 'HttpMethodNotAllowed');
    if (bearer(ctx) !== a.accessToken) {
      throw new HttpError(401, 'Access Denied: the access token is missing, expired or invalid.', { 'www-authenticate': 'Bearer' });
    }
    const apiVersion = ctx.query('api-version');
    if (!apiVersion) throw adoError(400, 'No api-version was supplied for the "POST" request. The version must be supplied.', 'VssVersionNotSpecifiedException');
    if (!/^7\.[1-9]/.test(apiVersion) && !/^[89]\./.test(apiVersion)) {
      throw adoError(400, `The requested REST API version of ${apiVersion} is out of range for this server.`, 'VssVersionOutOfRangeException');
    }
    if (m.org !== a.organization || m.project.toLowerCase() !== a.projectId.toLowerCase() && m.project !== a.projectName) {
      throw adoError(404, `Project '${m.project}' not found in organization '${m.org}'.`, 'ProjectDoesNotExistException');
    }
    if (m.plan.toLowerCase() !== a.planId.toLowerCase() || m.job.toLowerCase() !== a.jobId.toLowerCase()) {
      throw adoError(404, `Plan ${m.plan} or job ${m.job} is not running.`, 'TaskOrchestrationPlanNotFoundException');
    }
    const sc = ctx.query('serviceConnectionId');
    if (!sc || sc.toLowerCase() !== a.serviceConnectionId.toLowerCase()) {
      throw adoError(400, `Service connection '${sc ?? ''}' could not be found or is not authorized for this pipeline.`, 'InvalidServiceEndpointException');
    }
    world.issued.assertions.azureDevOps++;
    return { status: 200, body: { oidcToken: adoAssertion(world) } };
  }
  return undefined;
}
