// Everything the emulator knows: the tenant and its app registration, the signing keys of each token
// issuer, the two workspaces with their resources, and the tunable timings. Modules receive the World
// and keep their state in it, so one object describes one running emulator.
import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { HandedOut } from './secrets.js';
import type { TlsMaterial } from './tls.js';

export interface Signer {
  kid: string;
  key: KeyObject;
}

export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface AppRegistration {
  clientId: string;
  objectId: string;
  /** Object id of the service principal (the `oid` claim of its tokens). */
  principalId: string;
  displayName: string;
  secrets: string[];
  certificates: { thumbprintSha1: string; thumbprintSha256: string; certPem: string }[];
  federated: FederatedCredential[];
}

export interface Settings {
  /** Access-token lifetime in seconds. */
  tokenLifetime: number;
  /** CI OIDC assertion lifetime in seconds. */
  assertionLifetime: number;
  /** Retry-After (seconds) on long-running operations; 0 omits the header so the client's own interval applies. */
  lroRetryAfter: number;
  /** Time a job spends in each intermediate state before moving on (ms). */
  jobStepDelayMs: number;
  /** Extra time an endpoint or deployment spends provisioning (ms). */
  provisionDelayMs: number;
  /** Upper bound on sweep trials, whatever the sweep's limits say. */
  sweepTrialCap: number;
  /** How often a running job's log is copied to its log blob (ms). */
  logFlushMs: number;
  /** Items per page of every ARM list (0 = each list's default; a request's `count` still wins). */
  listPageSize: number;
}

/**
 * What the emulator issued through the routes the product calls: access tokens from the Entra token
 * endpoint by how the client proved itself, and CI OIDC assertions by issuer. Tokens and assertions
 * minted through the admin API and the tokens handed to running jobs are not counted.
 */
export interface IssuedCounts {
  accessTokens: { clientSecret: number; certificate: number; github: number; azureDevOps: number };
  assertions: { github: number; azureDevOps: number };
}

export function noneIssued(): IssuedCounts {
  return { accessTokens: { clientSecret: 0, certificate: 0, github: 0, azureDevOps: 0 }, assertions: { github: 0, azureDevOps: 0 } };
}

export interface StorageAccount {
  accountName: string;
  accountKey: string;
  /** Container of workspaceblobstore (the default datastore). */
  blobContainer: string;
  /** Container of workspaceartifactstore (run logs and artifacts). */
  artifactContainer: string;
}

export type AssetKind = 'codes' | 'environments' | 'data' | 'models' | 'components';
export const ASSET_KINDS: AssetKind[] = ['codes', 'environments', 'data', 'models', 'components'];

export interface AssetVersion {
  name: string;
  version: string;
  properties: Record<string, unknown>;
  createdAt: string;
  modifiedAt: string;
}

export interface AssetContainer {
  name: string;
  properties: Record<string, unknown>;
  versions: Map<string, AssetVersion>;
  /** Explicitly created through PUT on the container (otherwise implied by its first version). */
  createdAt: string;
  modifiedAt: string;
}

export interface Workspace {
  role: 'dev' | 'prod';
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  workspaceId: string;
  createdAt: string;
  storage: StorageAccount;
  computes: Map<string, Record<string, unknown>>;
  datastores: Map<string, Record<string, unknown>>;
  assets: Record<AssetKind, Map<string, AssetContainer>>;
}

export interface World {
  baseUrl: string;
  /** host:port of the HTTPS server. */
  host: string;
  tenantId: string;
  subscriptionId: string;
  app: AppRegistration;
  entraSigner: Signer;
  githubSigner: Signer;
  adoSigner: Signer;
  /** Signs the AMLToken tokens of online endpoints. */
  endpointSigner: Signer;
  tls: TlsMaterial;
  caCertPath: string;
  settings: Settings;
  issued: IssuedCounts;
  /** Every secret value handed out so far (tests check that none leaks). */
  handedOut: HandedOut;
  github: { requestToken: string; subject: string; repository: string };
  azureDevOps: {
    organization: string;
    organizationId: string;
    projectId: string;
    projectName: string;
    planId: string;
    jobId: string;
    hostType: string;
    accessToken: string;
    serviceConnectionId: string;
    serviceConnectionName: string;
  };
  workspaces: Workspace[];
  blobEndpointHost: string;
  /** Azurite's own address (no faults), used by the emulator itself. */
  azuriteUrl: string;
  /** The blob fault proxy's address, published in datastores and SAS URLs. */
  blobProxyUrl: string;
  tmpDir: string;
  python: string;
  repoRoot: string;
  log: (line: string) => void;
}

export const now = () => new Date().toISOString();
export const newGuid = () => randomUUID();
export const newSecret = (bytes = 30) => randomBytes(bytes).toString('base64url');
export const newAccountKey = () => randomBytes(64).toString('base64');

export function workspaceArmId(ws: Workspace): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.name}`;
}

export function findWorkspace(world: World, subscriptionId: string, resourceGroup: string, name: string): Workspace | undefined {
  return world.workspaces.find(
    (w) =>
      w.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
      w.resourceGroup.toLowerCase() === resourceGroup.toLowerCase() &&
      w.name.toLowerCase() === name.toLowerCase(),
  );
}

/** The workspace's MLflow/run-history base on the emulator (https form). */
export function dataPlaneBase(world: World, ws: Workspace, service: 'mlflow' | 'history'): string {
  return `${world.baseUrl}/${service}/v1.0/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.name}`;
}

/** Case-insensitive map lookups, as ARM names are case-insensitive. */
export function getCi<V>(map: Map<string, V>, name: string): V | undefined {
  return map.get(name.toLowerCase());
}
