// Entra ID (the v2.0 endpoints MSAL uses): OpenID configuration, JWKS, instance discovery and the token
// endpoint for the client-credentials grant with a client secret, a federated client assertion (from
// the emulated GitHub / Azure DevOps issuers) or a certificate assertion. Errors carry Entra's body:
// {error, error_description "AADSTSnnnn: …", error_codes, timestamp, trace_id, correlation_id, error_uri}.
import { randomUUID, X509Certificate } from 'node:crypto';
import { Ctx, HttpError, matchPath, type Reply } from './http.js';
import { audiences, decodeJwt, nowSeconds, signJwt, verifyJwtSignature, jwk, type JwtClaims } from './jwt.js';
import type { World } from './world.js';

export const ASSERTION_AUDIENCE = 'api://AzureADTokenExchange';
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Resources a token can be asked for (with `/.default`), and whether ARM accepts a token for them. */
const RESOURCES = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net',
  'https://management.core.windows.net/',
  'https://ml.azure.com',
  'https://ml.azure.com/',
  'https://storage.azure.com',
  'https://storage.azure.com/',
];
export const ARM_AUDIENCES = RESOURCES.slice(0, 4);
export const ML_AUDIENCES = [...ARM_AUDIENCES, 'https://ml.azure.com', 'https://ml.azure.com/'];

export function v1Issuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

function entraTimestamp(date = new Date()): string {
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function entraError(status: number, error: string, code: number, description: string, correlationId: string = randomUUID()): HttpError {
  const traceId = randomUUID();
  const timestamp = entraTimestamp();
  return new HttpError(status, {
    error,
    error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}

function openIdConfiguration(world: World, tenant: string): Record<string, unknown> {
  const b = `${world.baseUrl}/${tenant}`;
  return {
    token_endpoint: `${b}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${world.baseUrl}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${world.baseUrl}/${tenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${world.baseUrl}/oidc/userinfo`,
    authorization_endpoint: `${b}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${b}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${b}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'ver', 'oid', 'appid'],
    kerberos_endpoint: `${b}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

/** Issues an access token for the app (also used for job tokens with their own lifetime). */
export function issueAccessToken(
  world: World,
  audience: string,
  opts: { lifetime?: number; appidacr?: '1' | '2'; appid?: string; oid?: string } = {},
): { token: string; expiresIn: number; expiresOn: number } {
  const iat = nowSeconds();
  const lifetime = opts.lifetime ?? world.settings.tokenLifetime;
  const claims: JwtClaims = {
    aud: audience,
    iss: v1Issuer(world.tenantId),
    iat,
    nbf: iat,
    exp: iat + lifetime,
    aio: randomUUID(),
    appid: opts.appid ?? world.app.clientId,
    appidacr: opts.appidacr ?? '1',
    idp: v1Issuer(world.tenantId),
    idtyp: 'app',
    oid: opts.oid ?? world.app.principalId,
    rh: '0.emulator.',
    sub: opts.oid ?? world.app.principalId,
    tid: world.tenantId,
    uti: randomUUID().replace(/-/g, '').slice(0, 22),
    ver: '1.0',
  };
  const token = world.handedOut.add(signJwt(claims, world.entraSigner.key, { kid: world.entraSigner.kid, x5t: world.entraSigner.kid }), `an access token for ${audience}`);
  return { token, expiresIn: lifetime, expiresOn: iat + lifetime };
}

/** Entra's answer to a client-credentials token request. */
async function tokenRequest(world: World, ctx: Ctx, tenant: string): Promise<Reply> {
  const corr = ctx.header('client-request-id') ?? randomUUID();
  const form = await ctx.form();
  const grant = form.get('grant_type');
  if (!grant) throw entraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.", corr);
  if (grant !== 'client_credentials') {
    throw entraError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`, corr);
  }
  const clientId = form.get('client_id');
  if (!clientId) throw entraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.", corr);
  if (clientId.toLowerCase() !== world.app.clientId.toLowerCase()) {
    throw entraError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      corr,
    );
  }
  const scope = form.get('scope');
  if (!scope) throw entraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.", corr);
  const scopes = scope.split(' ').filter((s) => s && !['openid', 'profile', 'offline_access'].includes(s));
  if (scopes.length !== 1 || !scopes[0].endsWith('/.default')) {
    throw entraError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      corr,
    );
  }
  const resource = scopes[0].slice(0, -'/.default'.length);
  if (!RESOURCES.includes(resource)) {
    throw entraError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      corr,
    );
  }

  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  let appidacr: '1' | '2';
  let proof: keyof World['issued']['accessTokens'] = 'clientSecret';
  if (secret !== null) {
    if (!world.app.secrets.includes(secret)) {
      throw entraError(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${world.app.clientId}'.`,
        corr,
      );
    }
    appidacr = '1';
  } else if (assertion !== null) {
    if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
      throw entraError(400, 'invalid_request', 50027, "Invalid client_assertion_type. It must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.", corr);
    }
    proof = checkAssertion(world, assertion, `${world.baseUrl}/${tenant}/oauth2/v2.0/token`, corr);
    appidacr = '2';
  } else {
    throw entraError(400, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", corr);
  }

  const issued = issueAccessToken(world, resource, { appidacr });
  world.issued.accessTokens[proof]++;
  return {
    status: 200,
    headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', 'client-request-id': corr, 'x-ms-request-id': ctx.requestId },
    body: { token_type: 'Bearer', expires_in: issued.expiresIn, ext_expires_in: issued.expiresIn, access_token: issued.token },
  };
}

function checkTimes(claims: JwtClaims, corr: string): void {
  const now = nowSeconds();
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : typeof claims.iat === 'number' ? claims.iat : undefined;
  if (exp === undefined || exp <= now || (nbf !== undefined && nbf > now + 300)) {
    const iso = (s?: number) => (s === undefined ? 'unknown' : new Date(s * 1000).toISOString().replace(/\.\d+Z$/, 'Z'));
    throw entraError(
      400,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${iso(now)}, assertion valid from ${iso(nbf)}, expiry time of assertion ${iso(exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
      corr,
    );
  }
}

const FIC_HINT =
  'Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation';

/** A client assertion is either federated (issued by a CI OIDC issuer) or self-signed with a registered certificate. */
function checkAssertion(world: World, assertion: string, tokenEndpoint: string, corr: string): 'certificate' | 'github' | 'azureDevOps' {
  const jwt = decodeJwt(assertion);
  if (!jwt) throw entraError(400, 'invalid_client', 50027, 'JWT token is invalid or malformed.', corr);
  const { header, claims } = jwt;
  const thumbSha1 = header.x5t ? Buffer.from(header.x5t, 'base64url').toString('hex').toUpperCase() : undefined;
  const thumbSha256 = header['x5t#S256'] ? Buffer.from(header['x5t#S256'], 'base64url').toString('hex').toUpperCase() : undefined;
  const issuers = [
    { iss: githubIssuer(world), signer: world.githubSigner, kind: 'github' as const },
    { iss: adoIssuer(world), signer: world.adoSigner, kind: 'azureDevOps' as const },
  ];
  const federated = issuers.find((i) => i.iss === claims.iss);
  const selfSigned = claims.iss === world.app.clientId && claims.sub === world.app.clientId;

  if (selfSigned) {
    const cert = world.app.certificates.find((c) => (thumbSha1 && c.thumbprintSha1 === thumbSha1) || (thumbSha256 && c.thumbprintSha256 === thumbSha256));
    if (!cert) {
      throw entraError(
        401,
        'invalid_client',
        700027,
        `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbSha1 ?? thumbSha256 ?? 'none'}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${world.app.clientId}'.]`,
        corr,
      );
    }
    if (!verifyJwtSignature(jwt, certPublicKey(cert.certPem))) {
      throw entraError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.', corr);
    }
    if (!audiences(claims).includes(tokenEndpoint)) {
      throw entraError(
        401,
        'invalid_client',
        700016,
        `The audience claim in the client assertion '${audiences(claims).join(',')}' does not match the token endpoint '${tokenEndpoint}'.`,
        corr,
      );
    }
    checkTimes(claims, corr);
    return 'certificate';
  }
  if (!federated) {
    throw entraError(400, 'invalid_client', 700211, `No matching federated identity record found for presented assertion issuer '${String(claims.iss)}'. ${FIC_HINT}`, corr);
  }
  if (!verifyJwtSignature(jwt, federated.signer.key)) {
    throw entraError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.', corr);
  }
  checkTimes(claims, corr);
  const records = world.app.federated.filter((f) => f.issuer === claims.iss);
  const aud = audiences(claims);
  if (!records.some((f) => f.subject === claims.sub)) {
    throw entraError(400, 'invalid_client', 700213, `No matching federated identity record found for presented assertion subject '${String(claims.sub)}'. ${FIC_HINT}`, corr);
  }
  if (!records.some((f) => f.subject === claims.sub && f.audiences.some((a) => aud.includes(a)))) {
    throw entraError(400, 'invalid_client', 700212, `No matching federated identity record found for presented assertion audience '${aud.join(',')}'. ${FIC_HINT}`, corr);
  }
  return federated.kind;
}

function certPublicKey(certPem: string) {
  return new X509Certificate(certPem).publicKey;
}

export function githubIssuer(world: World): string {
  return `${world.baseUrl}/github`;
}

export function adoIssuer(world: World): string {
  return `${world.baseUrl}/vstoken/${world.azureDevOps.organizationId}`;
}

/** Routes under /{tenant}/… and /common/discovery/instance; returns undefined when the path is not Entra's. */
export async function handleEntra(world: World, ctx: Ctx): Promise<Reply | undefined> {
  const p = ctx.path;
  if (ctx.method === 'GET' && matchPath('/common/discovery/instance', p)) {
    return {
      status: 200,
      body: {
        tenant_discovery_endpoint: `${world.baseUrl}/${world.tenantId}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: world.host, preferred_cache: world.host, aliases: [world.host] }],
      },
    };
  }
  const first = p.split('/')[1] ?? '';
  // Only paths whose first segment looks like a tenant (a GUID, a domain, or common/organizations) are Entra's.
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(first) && !['common', 'organizations', 'consumers'].includes(first) && !first.includes('.')) {
    return undefined;
  }
  const knownTenant = (t: string) => t.toLowerCase() === world.tenantId.toLowerCase() || t === 'organizations' || t === 'common';
  const cfg = matchPath('/{tenant}/v2.0/.well-known/openid-configuration', p) ?? matchPath('/{tenant}/.well-known/openid-configuration', p);
  if (cfg && ctx.method === 'GET') {
    if (!knownTenant(cfg.tenant)) throw tenantNotFound(cfg.tenant);
    return { status: 200, body: openIdConfiguration(world, cfg.tenant === 'common' || cfg.tenant === 'organizations' ? '{tenantid}' : cfg.tenant) };
  }
  const keys = matchPath('/{tenant}/discovery/v2.0/keys', p) ?? matchPath('/{tenant}/discovery/keys', p);
  if (keys && ctx.method === 'GET') {
    return { status: 200, body: { keys: [jwk(world.entraSigner.key, world.entraSigner.kid)] } };
  }
  const token = matchPath('/{tenant}/oauth2/v2.0/token', p);
  if (token) {
    if (ctx.method !== 'POST') throw entraError(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
    if (token.tenant.toLowerCase() !== world.tenantId.toLowerCase()) throw tenantNotFound(token.tenant);
    return tokenRequest(world, ctx, token.tenant);
  }
  if (!knownTenant(first)) throw tenantNotFound(first);
  return undefined;
}

function tenantNotFound(tenant: string): HttpError {
  return entraError(
    400,
    'invalid_request',
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  );
}
