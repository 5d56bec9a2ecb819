// Who we are on Azure, on either platform, as an @azure/identity TokenCredential.
// GitHub: OIDC federation (a fresh ID token for every new access token), client secret, certificate,
// azure/login's `creds` JSON, or the Azure CLI session. Azure DevOps: the AzureRM service connection's
// scheme (service principal with key or certificate, workload identity federation, managed identity).
import {
  AzureCliCredential,
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { InputError, UserError } from '../platform/errors.js';
import type { Platform, ServiceConnection } from '../platform/platform.js';
import type { Inputs } from '../platform/inputs.js';
import { cloudFromServiceConnection, resolveCloud, type Cloud } from './clouds.js';

/** The audience Entra ID expects in a federated client assertion. */
export const FEDERATION_AUDIENCE = 'api://AzureADTokenExchange';

export interface AzureSignIn {
  credential: TokenCredential;
  cloud: Cloud;
  /** How we signed in, for the log. */
  method: string;
  subscriptionId?: string;
}

const PUBLIC_AUTHORITIES = ['https://login.microsoftonline.com', 'https://login.chinacloudapi.cn', 'https://login.microsoftonline.us'];

function identityOptions(cloud: Cloud) {
  return {
    authorityHost: cloud.authorityHost,
    // Instance discovery asks the public cloud about the authority: not for Azure Stack or the emulator.
    disableInstanceDiscovery: !PUBLIC_AUTHORITIES.includes(cloud.authorityHost),
  };
}

/** Masks every line of a multi-line secret as well as the whole (runners mask line by line). */
function maskAll(platform: Platform, secret: string): void {
  platform.setSecret(secret);
  for (const line of secret.split(/\r?\n/)) if (line.trim().length >= 8 && !/^-----(BEGIN|END) /.test(line.trim())) platform.setSecret(line.trim());
}

function certificatePem(platform: Platform, value: string, what: string): string {
  const pem = value.includes('-----BEGIN') ? value : existsSync(value) ? readFileSync(value, 'utf8') : '';
  if (!pem) throw new UserError(`${what} is neither PEM text nor the path of a PEM file.`);
  if (!/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem)) {
    throw new UserError(`${what} has no private key: a PEM with both the certificate and its private key is needed.`);
  }
  maskAll(platform, pem);
  return pem;
}

/**
 * `connectionInput` names the AzureRM service connection input on Azure DevOps (a step that signs in
 * twice, such as transfer's target, passes its second one).
 */
export async function signIn(platform: Platform, inputs: Inputs, connectionInput = 'azure-subscription'): Promise<AzureSignIn> {
  const result = platform.kind === 'azure-devops' ? signInAzureDevOps(platform, connectionInput) : await signInGitHub(platform, inputs);
  platform.info(`Signing in to ${result.cloud.name} with ${result.method}.`);
  return result;
}

function signInAzureDevOps(platform: Platform, connectionInput: string): AzureSignIn {
  const connection = platform.serviceConnection(connectionInput);
  if (!connection) throw new InputError(connectionInput, 'is required: the AzureRM service connection to sign in with.');
  const cloud = cloudFromServiceConnection({
    environment: connection.data.environment,
    url: connection.url,
    authority: connection.data.activeDirectoryAuthority,
  });
  const p = connection.parameters;
  const tenant = p.tenantid;
  const clientId = p.serviceprincipalid;
  const options = identityOptions(cloud);
  const subscriptionId = connection.data.SubscriptionID;
  const named = `service connection '${connection.id}'`;
  switch (connection.scheme) {
    case 'ServicePrincipal': {
      if (!tenant || !clientId) throw new UserError(`The ${named} has no tenant or service principal id.`);
      if ((p.authenticationType ?? '').toLowerCase() === 'spncertificate') {
        const pem = certificatePem(platform, p.servicePrincipalCertificate ?? '', `The certificate of ${named}`);
        return {
          credential: new ClientCertificateCredential(tenant, clientId, { certificate: pem }, options),
          cloud,
          method: `${named} (service principal certificate)`,
          subscriptionId,
        };
      }
      if (!p.serviceprincipalkey) throw new UserError(`The ${named} has no service principal key.`);
      platform.setSecret(p.serviceprincipalkey);
      return {
        credential: new ClientSecretCredential(tenant, clientId, p.serviceprincipalkey, options),
        cloud,
        method: `${named} (service principal key)`,
        subscriptionId,
      };
    }
    case 'WorkloadIdentityFederation':
      if (!tenant || !clientId) throw new UserError(`The ${named} has no tenant or service principal id.`);
      return {
        credential: new ClientAssertionCredential(tenant, clientId, () => platform.federatedToken(FEDERATION_AUDIENCE, connection), options),
        cloud,
        method: `${named} (workload identity federation)`,
        subscriptionId,
      };
    case 'ManagedServiceIdentity':
      return {
        credential: clientId ? new ManagedIdentityCredential(clientId) : new ManagedIdentityCredential(),
        cloud,
        method: `${named} (managed identity)`,
        subscriptionId,
      };
    default:
      throw new UserError(`The ${named} uses the '${connection.scheme}' scheme; supported are ServicePrincipal, WorkloadIdentityFederation and ManagedServiceIdentity.`);
  }
}

interface AzureLoginCreds {
  clientId?: string;
  clientSecret?: string;
  tenantId?: string;
  subscriptionId?: string;
}

function parseCreds(platform: Platform, text: string): AzureLoginCreds {
  let creds: AzureLoginCreds;
  try {
    creds = JSON.parse(text) as AzureLoginCreds;
  } catch {
    throw new InputError('creds', 'is not valid JSON; expected the azure/login creds object {"clientId", "clientSecret", "tenantId", "subscriptionId"}.');
  }
  if (creds.clientSecret) platform.setSecret(creds.clientSecret);
  for (const key of ['clientId', 'tenantId'] as const) {
    if (!creds[key]) throw new InputError('creds', `has no '${key}'.`);
  }
  return creds;
}

async function signInGitHub(platform: Platform, inputs: Inputs): Promise<AzureSignIn> {
  const cloud = resolveCloud({
    environment: inputs.string('environment'),
    armEndpoint: inputs.string('arm-endpoint'),
    authorityHost: inputs.string('authority-host'),
  });
  const options = identityOptions(cloud);
  const clientId = inputs.string('client-id');
  const tenant = inputs.string('tenant-id');
  const secret = inputs.string('client-secret');
  const certificate = inputs.string('certificate');
  const credsText = inputs.string('creds');
  const subscriptionId = inputs.string('subscription-id');
  let method = inputs.choice<string>('auth');
  const oidcAvailable = Boolean(process.env.ACTIONS_ID_TOKEN_REQUEST_URL && process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
  if (method === 'auto') {
    if (credsText) method = 'creds';
    else if (clientId || tenant) method = secret ? 'secret' : certificate ? 'certificate' : 'oidc';
    else method = 'azure-cli';
  }
  const need = (value: string | undefined, input: string, why: string): string => {
    if (!value) throw new InputError(input, `is required ${why}.`);
    return value;
  };
  switch (method) {
    case 'oidc': {
      const id = need(clientId, 'client-id', 'for OIDC federation');
      const t = need(tenant, 'tenant-id', 'for OIDC federation');
      if (!oidcAvailable) {
        throw new UserError(
          "OIDC federation needs an ID token from GitHub, but this job cannot request one: add 'permissions: id-token: write' to the workflow or job (or give client-secret or certificate).",
        );
      }
      return {
        credential: new ClientAssertionCredential(t, id, () => platform.federatedToken(FEDERATION_AUDIENCE), options),
        cloud,
        method: 'OIDC federation (GitHub ID token)',
        subscriptionId,
      };
    }
    case 'secret':
      return {
        credential: new ClientSecretCredential(
          need(tenant, 'tenant-id', 'with a client secret'),
          need(clientId, 'client-id', 'with a client secret'),
          need(secret, 'client-secret', "when auth is 'secret'"),
          options,
        ),
        cloud,
        method: 'a client secret',
        subscriptionId,
      };
    case 'certificate': {
      const pem = certificatePem(platform, need(certificate, 'certificate', "when auth is 'certificate'"), "Input 'certificate'");
      return {
        credential: new ClientCertificateCredential(
          need(tenant, 'tenant-id', 'with a certificate'),
          need(clientId, 'client-id', 'with a certificate'),
          { certificate: pem },
          options,
        ),
        cloud,
        method: 'a client certificate',
        subscriptionId,
      };
    }
    case 'creds': {
      const creds = parseCreds(platform, need(credsText, 'creds', "when auth is 'creds'"));
      const credential = creds.clientSecret
        ? new ClientSecretCredential(creds.tenantId!, creds.clientId!, creds.clientSecret, options)
        : new ClientAssertionCredential(creds.tenantId!, creds.clientId!, () => platform.federatedToken(FEDERATION_AUDIENCE), options);
      return {
        credential,
        cloud,
        method: creds.clientSecret ? 'the creds JSON (client secret)' : 'the creds JSON (OIDC federation)',
        subscriptionId: subscriptionId || creds.subscriptionId,
      };
    }
    case 'azure-cli':
      return {
        credential: new AzureCliCredential(tenant ? { tenantId: tenant } : {}),
        cloud,
        method: 'the Azure CLI session (azure/login)',
        subscriptionId: subscriptionId || (await cliSubscription()),
      };
    default:
      throw new InputError('auth', `has an unknown method '${method}'.`);
  }
}

/** The subscription `az account show` reports, when the CLI is signed in. */
function cliSubscription(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('az', ['account', 'show', '--query', 'id', '-o', 'tsv'], { timeout: 30000 }, (error, stdout) => {
      resolve(error ? undefined : stdout.trim() || undefined);
    });
  });
}
