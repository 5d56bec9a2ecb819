// Online endpoints and their deployments at api-version 2022-10-01: read, create or update (long-running,
// followed), traffic changed the way az ml changes it (GET the endpoint, PUT the whole body back: PATCH
// takes only tags and identity), deployments deleted, their container logs read (getLogs), and the
// scoring credential fetched for the endpoint's auth mode — keys and tokens masked the moment they arrive.
import type { TokenCredential } from '@azure/core-auth';
import type { ArmClient } from '../azure/arm.js';
import type { Cloud } from '../azure/clouds.js';
import type { AzureSignIn } from '../azure/credentials.js';
import { workspaceArmId, type WorkspaceRef } from '../azure/references.js';
import type { Platform } from '../platform/platform.js';
import { ArmJson, type OperationTimeout } from './operations.js';

export type Traffic = Record<string, number>;

export interface EndpointResource {
  id?: string;
  name: string;
  location: string;
  kind?: string | null;
  tags?: Record<string, string>;
  identity?: { type: string; userAssignedIdentities?: Record<string, unknown>; principalId?: string; tenantId?: string };
  properties: {
    authMode: 'Key' | 'AMLToken' | 'AADToken';
    description?: string | null;
    traffic?: Traffic;
    compute?: string;
    scoringUri?: string;
    swaggerUri?: string;
    provisioningState?: string;
    publicNetworkAccess?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface DeploymentResource {
  id?: string;
  name: string;
  location?: string;
  sku?: { name?: string; capacity?: number };
  tags?: Record<string, string>;
  properties: {
    endpointComputeType: 'Managed' | 'Kubernetes';
    model?: string;
    provisioningState?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** How a client authenticates to the scoring URI. */
export type ScoringAuth = { kind: 'header'; authorization: string; mode: 'Key' | 'AMLToken' } | { kind: 'aad'; credential: TokenCredential; scope: string };

/** The Entra ID scope of Azure ML's data plane in each cloud (what AADToken endpoints accept). */
export function mlScope(cloud: Cloud): string {
  if (cloud.armScope.includes('chinacloudapi.cn')) return 'https://ml.azure.cn/.default';
  if (cloud.armScope.includes('usgovcloudapi.net')) return 'https://ml.azure.us/.default';
  return 'https://ml.azure.com/.default';
}

/** Traffic without its zero entries, sorted by name: what "the same traffic" means when comparing. */
export function liveTraffic(traffic: Traffic | undefined): Traffic {
  return Object.fromEntries(Object.entries(traffic ?? {}).filter(([, w]) => w > 0).sort(([a], [b]) => a.localeCompare(b)));
}

export function sameTraffic(a: Traffic | undefined, b: Traffic | undefined): boolean {
  return JSON.stringify(liveTraffic(a)) === JSON.stringify(liveTraffic(b));
}

export function formatTraffic(traffic: Traffic | undefined): string {
  const live = Object.entries(traffic ?? {}).filter(([, w]) => w > 0);
  return live.length ? live.map(([n, w]) => `${n} ${w}%`).join(', ') : 'none';
}

export class EndpointClient {
  readonly arm: ArmJson;
  private readonly base: string;

  constructor(
    arm: ArmClient,
    private readonly platform: Platform,
    readonly ws: WorkspaceRef,
    private readonly credential: TokenCredential,
    private readonly cloud: Cloud,
  ) {
    this.arm = new ArmJson(arm, platform);
    this.base = `${workspaceArmId(ws)}/onlineEndpoints`;
  }

  private endpointUrl(name: string): string {
    return this.arm.url(`${this.base}/${encodeURIComponent(name)}`);
  }

  private deploymentUrl(endpoint: string, deployment: string): string {
    return this.arm.url(`${this.base}/${encodeURIComponent(endpoint)}/deployments/${encodeURIComponent(deployment)}`);
  }

  async getEndpoint(name: string, abortSignal?: AbortSignal): Promise<EndpointResource | undefined> {
    return (await this.arm.send<EndpointResource>('GET', this.endpointUrl(name), `Reading online endpoint ${name}`, undefined, { allow404: true, abortSignal }))?.body;
  }

  async putEndpoint(name: string, body: Record<string, unknown>, what: string, signal: AbortSignal, timeout?: OperationTimeout): Promise<EndpointResource> {
    const started = await this.arm.send('PUT', this.endpointUrl(name), what, body, { abortSignal: signal });
    await this.arm.follow(started!, what, { signal, timeout });
    const endpoint = await this.getEndpoint(name);
    if (!endpoint) throw new Error(`Endpoint ${name} is gone after ${what.toLowerCase()}.`);
    return endpoint;
  }

  /**
   * Sets the endpoint's traffic exactly to `traffic`: GET, replace properties.traffic, PUT back (read-only
   * fields dropped, as azure-ai-ml's `_to_rest_object` does), and wait for the update.
   */
  async setTraffic(name: string, traffic: Traffic, signal: AbortSignal, options: { what?: string; timeout?: OperationTimeout } = {}): Promise<EndpointResource> {
    const current = await this.getEndpoint(name, signal);
    if (!current) throw new Error(`Endpoint ${name} disappeared.`);
    const what = options.what ?? `Setting the traffic of endpoint ${name} to ${formatTraffic(traffic)}`;
    return this.putEndpoint(name, writableEndpoint(current, traffic), what, signal, options.timeout);
  }

  async listDeployments(endpoint: string, abortSignal?: AbortSignal): Promise<DeploymentResource[]> {
    return this.arm.list<DeploymentResource>(this.arm.url(`${this.base}/${encodeURIComponent(endpoint)}/deployments`), `Listing the deployments of endpoint ${endpoint}`, abortSignal);
  }

  async getDeployment(endpoint: string, deployment: string, abortSignal?: AbortSignal): Promise<DeploymentResource | undefined> {
    return (await this.arm.send<DeploymentResource>('GET', this.deploymentUrl(endpoint, deployment), `Reading deployment ${deployment} of endpoint ${endpoint}`, undefined, { allow404: true, abortSignal }))?.body;
  }

  async putDeployment(endpoint: string, deployment: string, body: Record<string, unknown>, what: string, signal: AbortSignal, timeout?: OperationTimeout): Promise<void> {
    const started = await this.arm.send('PUT', this.deploymentUrl(endpoint, deployment), what, body, { abortSignal: signal });
    await this.arm.follow(started!, what, { signal, timeout });
  }

  /** Deletes a deployment and waits for it to be gone; `accepted` is called once the service has taken the DELETE. */
  async deleteDeployment(endpoint: string, deployment: string, signal: AbortSignal, options: { accepted?: () => void } = {}): Promise<void> {
    const what = `Deleting deployment ${deployment} of endpoint ${endpoint}`;
    const started = await this.arm.send('DELETE', this.deploymentUrl(endpoint, deployment), what, undefined, { allow404: true, abortSignal: signal });
    options.accepted?.();
    if (started) await this.arm.follow(started, what, { signal });
  }

  /** The last `tail` lines of a deployment's container log (getLogs); '' when there is none. */
  async logs(endpoint: string, deployment: string, tail: number, containerType: 'InferenceServer' | 'StorageInitializer' = 'InferenceServer'): Promise<string> {
    const url = this.arm.url(`${this.base}/${encodeURIComponent(endpoint)}/deployments/${encodeURIComponent(deployment)}/getLogs`);
    const result = await this.arm.send<{ content?: string | null }>('POST', url, `Reading the ${containerType} log of deployment ${deployment}`, { containerType, tail });
    return (result?.body.content ?? '').replace(/\s+$/, '');
  }

  /**
   * What a scoring request authenticates with, for the endpoint's auth mode: its primary key (listKeys),
   * an AML token (token), or an Entra ID token for Azure ML's data plane. Secrets are masked at once.
   */
  async scoringAuth(endpoint: EndpointResource): Promise<ScoringAuth> {
    const mode = endpoint.properties.authMode;
    if (mode === 'Key') {
      const keys = (await this.arm.send<{ primaryKey?: string | null; secondaryKey?: string | null }>('POST', this.arm.url(`${this.base}/${encodeURIComponent(endpoint.name)}/listKeys`), `Reading the keys of endpoint ${endpoint.name}`))!.body;
      if (keys.primaryKey) this.platform.setSecret(keys.primaryKey);
      if (keys.secondaryKey) this.platform.setSecret(keys.secondaryKey);
      if (!keys.primaryKey) throw new Error(`Endpoint ${endpoint.name} returned no primary key.`);
      return { kind: 'header', authorization: `Bearer ${keys.primaryKey}`, mode };
    }
    if (mode === 'AMLToken') {
      const token = (await this.arm.send<{ accessToken?: string | null }>('POST', this.arm.url(`${this.base}/${encodeURIComponent(endpoint.name)}/token`), `Getting a scoring token for endpoint ${endpoint.name}`))!.body;
      if (token.accessToken) this.platform.setSecret(token.accessToken);
      if (!token.accessToken) throw new Error(`Endpoint ${endpoint.name} returned no token.`);
      return { kind: 'header', authorization: `Bearer ${token.accessToken}`, mode };
    }
    return { kind: 'aad', credential: this.credential, scope: mlScope(this.cloud) };
  }
}

/** An endpoint as GET returned it, ready to PUT back with new traffic. */
export function writableEndpoint(current: EndpointResource, traffic: Traffic): Record<string, unknown> {
  const { id: _id, name: _name, type: _type, systemData: _systemData, ...rest } = current;
  const { provisioningState: _p, scoringUri: _s, swaggerUri: _w, keys: _k, ...properties } = current.properties;
  const identity = current.identity ? { type: current.identity.type, ...(current.identity.userAssignedIdentities ? { userAssignedIdentities: current.identity.userAssignedIdentities } : {}) } : undefined;
  return { ...rest, ...(identity ? { identity } : {}), properties: { ...properties, traffic: { ...traffic } } };
}

/** The endpoint client of an open workspace. */
export function openEndpoints(session: { arm: ArmClient; ws: WorkspaceRef; access: AzureSignIn }, platform: Platform): EndpointClient {
  return new EndpointClient(session.arm, platform, session.ws, session.access.credential, session.access.cloud);
}
