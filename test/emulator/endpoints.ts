// Online endpoints and deployments through ARM (PUT/PATCH/DELETE as LROs with Azure-AsyncOperation,
// GET, list, listKeys, regenerateKeys, token, getLogs, skus), and the scoring URI that checks key or
// token auth and routes by traffic or by the azureml-model-deployment header to each deployment's
// scoring host.
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { STATUS_CODES } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { Ctx, HttpError, type Reply } from './http.js';
import { callerOf, mlError, page, systemData, type Caller, type Operations, type Operation } from './arm-common.js';
import { methodNotAllowed, resolveAssetRef } from './assets.js';
import { ML_AUDIENCES, v1Issuer } from './entra.js';
import { sleep, type Faults } from './faults.js';
import { isCuratedEnvironment, parseIsoDuration, type JobStore, type Props } from './jobs.js';
import { audiences, decodeJwt, nowSeconds, signJwt, verifyJwtSignature, type JwtClaims } from './jwt.js';
import { LocationError, resolveLocation } from './locations.js';
import { ScoringHost, ScoringHostError } from './scoring.js';
import type { Storage } from './storage.js';
import { getCi, now, workspaceArmId, type World, type Workspace } from './world.js';

type ProvisioningState = 'Creating' | 'Updating' | 'Deleting' | 'Succeeded' | 'Failed' | 'Canceled';

interface Deployment {
  endpoint: Endpoint;
  name: string;
  resource: Props;
  state: ProvisioningState;
  createdAt: string;
  modifiedAt: string;
  createdBy: Caller;
  host?: ScoringHost;
  storageLog: string;
  lastHostLog: string;
  dir?: string;
}

interface Endpoint {
  ws: Workspace;
  name: string;
  resource: Props;
  state: ProvisioningState;
  keys: { primaryKey: string; secondaryKey: string };
  createdAt: string;
  modifiedAt: string;
  createdBy: Caller;
  deployments: Map<string, Deployment>;
  busy?: Operation;
}

const ENDPOINT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;
const newKey = () => randomBytes(24).toString('base64url');

export class Endpoints {
  private endpoints = new Map<string, Endpoint>();

  constructor(
    private readonly world: World,
    private readonly ops: Operations,
    private readonly storage: Storage,
    private readonly faults: Faults,
    private readonly jobs: JobStore,
  ) {}

  private key(ws: Workspace, name: string) {
    return `${ws.workspaceId}/${name.toLowerCase()}`;
  }

  scoringUri(ep: Endpoint): string {
    const compute = ep.resource.properties?.compute as string | undefined;
    if (compute) {
      const computeName = compute.split('/').pop();
      return `${this.world.baseUrl}/k8s/${ep.ws.location}/${computeName}/api/v1/endpoint/${ep.name}/score`;
    }
    return `${this.world.baseUrl}/inference/${ep.ws.location}/${ep.name}/score`;
  }

  private endpointBody(ep: Endpoint): Props {
    const r = ep.resource;
    const scoring = this.scoringUri(ep);
    return {
      id: `${workspaceArmId(ep.ws)}/onlineEndpoints/${ep.name}`,
      name: ep.name,
      type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
      kind: r.kind ?? null,
      location: r.location ?? ep.ws.location,
      tags: r.tags ?? {},
      identity: { type: r.identity?.type ?? 'SystemAssigned', principalId: ep.ws.workspaceId, tenantId: this.world.tenantId, ...(r.identity?.userAssignedIdentities ? { userAssignedIdentities: r.identity.userAssignedIdentities } : {}) },
      properties: {
        description: r.properties?.description ?? null,
        properties: r.properties?.properties ?? {},
        authMode: r.properties.authMode,
        keys: null,
        scoringUri: scoring,
        swaggerUri: scoring.replace(/\/score$/, '/swagger.json'),
        traffic: r.properties?.traffic ?? {},
        publicNetworkAccess: r.properties?.publicNetworkAccess ?? 'Enabled',
        ...(r.properties?.compute ? { compute: r.properties.compute } : {}),
        provisioningState: ep.state,
      },
      systemData: systemData({ at: ep.createdAt, by: ep.createdBy }, { at: ep.modifiedAt, by: ep.createdBy }),
    };
  }

  private deploymentBody(d: Deployment): Props {
    const r = d.resource;
    return {
      id: `${workspaceArmId(d.endpoint.ws)}/onlineEndpoints/${d.endpoint.name}/deployments/${d.name}`,
      name: d.name,
      type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
      kind: r.kind ?? null,
      location: r.location ?? d.endpoint.ws.location,
      tags: r.tags ?? {},
      sku: { name: 'Default', tier: 'Standard', capacity: 1, ...(r.sku ?? {}) },
      identity: r.identity ? { ...r.identity, principalId: d.endpoint.ws.workspaceId, tenantId: this.world.tenantId } : undefined,
      properties: {
        description: null,
        properties: {},
        environmentVariables: {},
        appInsightsEnabled: false,
        scaleSettings: { scaleType: 'Default' },
        ...(r.properties.endpointComputeType === 'Managed' ? { egressPublicNetworkAccess: 'Enabled' } : {}),
        ...r.properties,
        // The service fills unset settings with its defaults, field by field.
        requestSettings: { requestTimeout: 'PT5S', maxConcurrentRequestsPerInstance: 1, maxQueueWait: 'PT0.5S', ...(r.properties.requestSettings ?? {}) },
        livenessProbe: { initialDelay: 'PT10S', period: 'PT10S', timeout: 'PT2S', successThreshold: 1, failureThreshold: 30, ...(r.properties.livenessProbe ?? {}) },
        readinessProbe: { initialDelay: 'PT10S', period: 'PT10S', timeout: 'PT2S', successThreshold: 1, failureThreshold: 30, ...(r.properties.readinessProbe ?? {}) },
        provisioningState: d.state,
      },
      systemData: systemData({ at: d.createdAt, by: d.createdBy }, { at: d.modifiedAt, by: d.createdBy }),
    };
  }

  private bad(ctx: Ctx, ws: Workspace, message: string, target?: string, inner = 'BadArgument', status = 400): HttpError {
    return mlError(ctx, status, message, inner, { target, location: ws.location });
  }

  private checkNotBusy(ctx: Ctx, ep: Endpoint) {
    if (ep.busy && ep.busy.status === 'InProgress') {
      throw this.bad(ctx, ep.ws, `Endpoint ${ep.name} has an operation in progress; wait for it to finish and try again.`, undefined, 'Conflict', 409);
    }
  }

  // --------------------------------------------------------------------------------------------

  async handle(ctx: Ctx, ws: Workspace, rest: string[], claims: JwtClaims): Promise<Reply> {
    const caller = callerOf(claims);
    if (rest.length === 1) {
      if (ctx.method !== 'GET') throw methodNotAllowed(ctx);
      const items = [...this.endpoints.values()].filter((e) => e.ws === ws).map((e) => this.endpointBody(e));
      return { status: 200, body: page(this.world.settings, ctx, items, { count: true }) };
    }
    const name = rest[1];
    const ep = this.endpoints.get(this.key(ws, name));
    const notFound = () => mlError(ctx, 404, `Could not find online endpoint ${name} in workspace ${ws.name}.`, 'NotFoundError', { location: ws.location });
    if (rest.length === 2) {
      switch (ctx.method) {
        case 'GET':
          if (!ep) throw notFound();
          return { status: 200, body: this.endpointBody(ep) };
        case 'PUT':
          return this.putEndpoint(ctx, ws, name, ep, caller);
        case 'PATCH': {
          if (!ep) throw notFound();
          this.checkNotBusy(ctx, ep);
          const body = await ctx.json<Props>((m) => this.bad(ctx, ws, m));
          if (body.tags !== undefined) ep.resource.tags = body.tags;
          if (body.identity !== undefined) ep.resource.identity = body.identity;
          ep.modifiedAt = now();
          const op = this.ops.create(ws, 'oe', () => ({ status: 200, body: this.endpointBody(ep) }));
          op.finish('Succeeded');
          return { status: 202, headers: this.ops.headers(op, true) };
        }
        case 'DELETE': {
          if (!ep) return { status: 204 };
          this.checkNotBusy(ctx, ep);
          const op = this.ops.create(ws, 'oed', () => ({ status: 200 }));
          ep.busy = op;
          ep.state = 'Deleting';
          void (async () => {
            for (const d of ep.deployments.values()) await this.stopHost(d);
            await sleep(this.world.settings.provisionDelayMs);
            this.endpoints.delete(this.key(ws, name));
            op.finish('Succeeded');
          })();
          return { status: 202, headers: this.ops.headers(op, true) };
        }
        default:
          throw methodNotAllowed(ctx);
      }
    }
    if (!ep) throw notFound();
    const action = rest[2].toLowerCase();
    if (rest.length === 3 && ctx.method === 'POST') {
      if (action === 'listkeys') {
        if (ep.resource.properties.authMode !== 'Key') throw this.bad(ctx, ws, `Keys are only available for endpoints with auth mode Key; endpoint ${ep.name} uses ${String(ep.resource.properties.authMode)}.`);
        return { status: 200, body: { ...ep.keys } };
      }
      if (action === 'regeneratekeys') {
        const body = await ctx.json<Props>((m) => this.bad(ctx, ws, m));
        if (!['Primary', 'Secondary'].includes(body.keyType)) throw this.bad(ctx, ws, "keyType must be 'Primary' or 'Secondary'.", 'keyType');
        const value = this.world.handedOut.add(typeof body.keyValue === 'string' && body.keyValue ? body.keyValue : newKey(), `a key of endpoint ${ep.name}`);
        if (body.keyType === 'Primary') ep.keys.primaryKey = value;
        else ep.keys.secondaryKey = value;
        const op = this.ops.create(ws, 'oek', () => ({ status: 200 }));
        op.finish('Succeeded');
        return { status: 202, headers: this.ops.headers(op, true) };
      }
      if (action === 'token') {
        if (ep.resource.properties.authMode !== 'AMLToken') throw this.bad(ctx, ws, `Tokens are only available for endpoints with auth mode AMLToken; endpoint ${ep.name} uses ${String(ep.resource.properties.authMode)}.`);
        const iat = nowSeconds();
        const lifetime = Math.max(this.world.settings.tokenLifetime, 60);
        const token = this.world.handedOut.add(signJwt(
          { aud: this.scoringUri(ep), iss: `${this.world.baseUrl}/inference`, iat, nbf: iat, exp: iat + lifetime, endpoint: ep.name, ws: ep.ws.workspaceId },
          this.world.endpointSigner.key,
          { kid: this.world.endpointSigner.kid },
        ), `a token of endpoint ${ep.name}`);
        return { status: 200, body: { accessToken: token, tokenType: 'Bearer', expiryTimeUtc: iat + lifetime, refreshAfterTimeUtc: iat + Math.floor(lifetime / 2) } };
      }
    }
    if (action !== 'deployments') throw notFound();
    return this.handleDeployments(ctx, ws, ep, rest.slice(3), caller);
  }

  private validateTraffic(ctx: Ctx, ws: Workspace, ep: Endpoint | undefined, traffic: unknown): Record<string, number> {
    if (traffic === undefined || traffic === null) return {};
    if (typeof traffic !== 'object') throw this.bad(ctx, ws, 'traffic must map deployment names to percentages.', 'properties.traffic');
    let sum = 0;
    for (const [name, weight] of Object.entries(traffic as Record<string, unknown>)) {
      if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 100) {
        throw this.bad(ctx, ws, `Traffic for deployment '${name}' must be an integer between 0 and 100.`, 'properties.traffic');
      }
      const d = ep?.deployments.get(name.toLowerCase());
      if (!d) throw this.bad(ctx, ws, `Traffic is allocated to deployment '${name}', which does not exist in endpoint ${ep?.name ?? ''}.`, 'properties.traffic', 'NotFoundError');
      sum += weight;
    }
    if (Object.keys(traffic).length > 0 && sum !== 100 && sum !== 0) {
      throw this.bad(ctx, ws, `The traffic of an endpoint must add up to 100 (or 0); it adds up to ${sum}.`, 'properties.traffic');
    }
    return traffic as Record<string, number>;
  }

  private async putEndpoint(ctx: Ctx, ws: Workspace, name: string, ep: Endpoint | undefined, caller: Caller): Promise<Reply> {
    const invalid = (m: string) => this.bad(ctx, ws, m);
    if (!ENDPOINT_NAME.test(name)) {
      throw invalid(`The endpoint name '${name}' is invalid. It must be 3 to 32 characters, start with a letter, end with a letter or digit, and contain only letters, digits and '-'.`);
    }
    const body = await ctx.json<Props>(invalid);
    if (!body || typeof body !== 'object' || !body.properties || typeof body.properties !== 'object') throw invalid("The request body must contain 'properties'.");
    if (!body.location) throw invalid("The request body must contain 'location'.");
    const p = body.properties as Props;
    if (!['Key', 'AMLToken', 'AADToken'].includes(p.authMode)) throw this.bad(ctx, ws, `authMode must be Key, AMLToken or AADToken; got '${String(p.authMode)}'.`, 'properties.authMode');
    if (p.compute) {
      const compute = getCi(ws.computes, String(p.compute).replace(/^azureml:/, '').split('/').pop()!);
      if (!compute) throw this.bad(ctx, ws, `Compute '${String(p.compute)}' was not found in workspace '${ws.name}'.`, 'properties.compute', 'NotFoundError');
      if ((compute.properties as Props).computeType !== 'Kubernetes') throw this.bad(ctx, ws, `Compute '${String(p.compute)}' is not a Kubernetes compute.`, 'properties.compute');
      p.compute = compute.id;
    }
    // Endpoint names are unique within a region, across workspaces.
    const clash = [...this.endpoints.values()].find((e) => e.name.toLowerCase() === name.toLowerCase() && e.ws !== ws && e.ws.location === ws.location);
    if (clash) throw this.bad(ctx, ws, `An endpoint named ${name} already exists in region ${ws.location}. Endpoint names must be unique within a region.`, 'name', 'Conflict', 409);
    const traffic = this.validateTraffic(ctx, ws, ep, p.traffic);
    const t = now();
    if (ep) {
      this.checkNotBusy(ctx, ep);
      if ((ep.resource.properties.compute ?? null) !== (p.compute ?? null)) throw invalid('The compute of an existing endpoint cannot be changed.');
      ep.resource = { ...body, properties: { ...p, traffic } };
      ep.state = 'Updating';
      ep.modifiedAt = t;
    } else {
      ep = {
        ws,
        name,
        resource: { ...body, properties: { ...p, traffic } },
        state: 'Creating',
        keys: { primaryKey: this.world.handedOut.add(newKey(), `a key of endpoint ${name}`), secondaryKey: this.world.handedOut.add(newKey(), `a key of endpoint ${name}`) },
        createdAt: t,
        modifiedAt: t,
        createdBy: caller,
        deployments: new Map(),
      };
      this.endpoints.set(this.key(ws, name), ep);
    }
    const created = ep.state === 'Creating';
    const target = ep;
    const op = this.ops.create(ws, 'oe', () => ({ status: 200, body: this.endpointBody(target) }));
    ep.busy = op;
    void (async () => {
      await sleep(this.world.settings.provisionDelayMs);
      const failure = this.faults.takeProvisioningFailure(name);
      if (failure !== undefined) {
        target.state = 'Failed';
        op.finish('Failed', { code: 'EndpointProvisioningFailed', message: failure });
        return;
      }
      target.state = 'Succeeded';
      op.finish('Succeeded');
    })();
    return { status: created ? 201 : 200, body: this.endpointBody(ep), headers: this.ops.headers(op, true) };
  }

  // --------------------------------------------------------------------------------------------

  private async handleDeployments(ctx: Ctx, ws: Workspace, ep: Endpoint, rest: string[], caller: Caller): Promise<Reply> {
    if (rest.length === 0) {
      if (ctx.method !== 'GET') throw methodNotAllowed(ctx);
      return { status: 200, body: page(this.world.settings, ctx, [...ep.deployments.values()].map((d) => this.deploymentBody(d))) };
    }
    const name = rest[0];
    const d = ep.deployments.get(name.toLowerCase());
    const notFound = () => mlError(ctx, 404, `Could not find deployment ${name} in online endpoint ${ep.name}.`, 'NotFoundError', { location: ws.location });
    if (rest.length === 2) {
      const action = rest[1].toLowerCase();
      if (!d) throw notFound();
      if (action === 'getlogs' && ctx.method === 'POST') {
        const body = await ctx.json<Props>((m) => this.bad(ctx, ws, m)).catch(() => ({}) as Props);
        const which = body.containerType ?? 'InferenceServer';
        let content = which === 'StorageInitializer' ? d.storageLog : d.host?.logs ?? d.lastHostLog;
        const tail = Number(body.tail);
        if (tail > 0) content = content.split('\n').slice(-tail - 1).join('\n');
        return { status: 200, body: { content } };
      }
      if (action === 'skus' && ctx.method === 'GET') {
        return {
          status: 200,
          body: {
            value: [
              {
                resourceType: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
                sku: { name: 'Default', tier: 'Standard' },
                capacity: { minimum: 1, maximum: 20, default: 1, scaleType: 'Manual' },
              },
            ],
          },
        };
      }
      throw notFound();
    }
    if (rest.length !== 1) throw notFound();
    switch (ctx.method) {
      case 'GET':
        if (!d) throw notFound();
        return { status: 200, body: this.deploymentBody(d) };
      case 'PUT':
        return this.putDeployment(ctx, ws, ep, name, d, caller);
      case 'PATCH': {
        if (!d) throw notFound();
        this.checkNotBusy(ctx, ep);
        const body = await ctx.json<Props>((m) => this.bad(ctx, ws, m));
        if (body.tags !== undefined) d.resource.tags = body.tags;
        if (body.sku !== undefined) {
          const capacity = body.sku?.capacity;
          if (capacity !== undefined && (!Number.isInteger(capacity) || capacity < 0 || capacity > 20)) throw this.bad(ctx, ws, 'sku.capacity must be an integer between 0 and 20.', 'sku.capacity');
          d.resource.sku = { ...(d.resource.sku ?? {}), ...body.sku };
        }
        d.modifiedAt = now();
        d.state = 'Updating';
        const op = this.ops.create(ws, 'od', () => ({ status: 200, body: this.deploymentBody(d) }));
        ep.busy = op;
        void (async () => {
          await sleep(this.world.settings.provisionDelayMs);
          d.state = 'Succeeded';
          op.finish('Succeeded');
        })();
        return { status: 202, headers: this.ops.headers(op, true) };
      }
      case 'DELETE': {
        if (!d) return { status: 204 };
        this.checkNotBusy(ctx, ep);
        const weight = (ep.resource.properties.traffic ?? {})[Object.keys(ep.resource.properties.traffic ?? {}).find((k) => k.toLowerCase() === name.toLowerCase()) ?? ''];
        if (weight > 0) throw this.bad(ctx, ws, `Deployment ${name} receives ${weight}% of endpoint ${ep.name}'s traffic; set its traffic to 0 before deleting it.`);
        const op = this.ops.create(ws, 'odd', () => ({ status: 200 }));
        ep.busy = op;
        d.state = 'Deleting';
        void (async () => {
          await this.stopHost(d);
          await sleep(this.world.settings.provisionDelayMs);
          ep.deployments.delete(name.toLowerCase());
          const traffic = ep.resource.properties.traffic ?? {};
          for (const k of Object.keys(traffic)) if (k.toLowerCase() === name.toLowerCase()) delete traffic[k];
          op.finish('Succeeded');
        })();
        return { status: 202, headers: this.ops.headers(op, true) };
      }
      default:
        throw methodNotAllowed(ctx);
    }
  }

  private async putDeployment(ctx: Ctx, ws: Workspace, ep: Endpoint, name: string, existing: Deployment | undefined, caller: Caller): Promise<Reply> {
    const invalid = (m: string, target?: string) => this.bad(ctx, ws, m, target);
    if (!ENDPOINT_NAME.test(name)) {
      throw invalid(`The deployment name '${name}' is invalid. It must be 3 to 32 characters, start with a letter, end with a letter or digit, and contain only letters, digits and '-'.`);
    }
    if (ep.state === 'Deleting') throw invalid(`Endpoint ${ep.name} is being deleted.`);
    this.checkNotBusy(ctx, ep);
    const body = await ctx.json<Props>(invalid);
    if (!body || typeof body !== 'object' || !body.properties || typeof body.properties !== 'object') throw invalid("The request body must contain 'properties'.");
    if (!body.location) throw invalid("The request body must contain 'location'.");
    const p = body.properties as Props;
    const kubernetes = Boolean(ep.resource.properties.compute);
    const expected = kubernetes ? 'Kubernetes' : 'Managed';
    if (p.endpointComputeType !== expected) {
      throw invalid(`endpointComputeType must be '${expected}' for a deployment of endpoint ${ep.name}; got '${String(p.endpointComputeType)}'.`, 'properties.endpointComputeType');
    }
    if (!p.model) throw invalid('A deployment needs a model.', 'properties.model');
    const model = resolveAssetRef(this.world, ws, 'models', String(p.model));
    if (!model) throw this.bad(ctx, ws, `Model '${String(p.model)}' was not found.`, 'properties.model', 'NotFoundError');
    const isMlflow = /mlflow/i.test(String(model.version.properties.modelType ?? ''));
    if (!p.codeConfiguration && !isMlflow) throw invalid('A deployment of a non-MLflow model needs a codeConfiguration with a scoring script.', 'properties.codeConfiguration');
    if (p.codeConfiguration) {
      if (!p.codeConfiguration.scoringScript) throw invalid('codeConfiguration.scoringScript is required.', 'properties.codeConfiguration.scoringScript');
      if (!p.codeConfiguration.codeId || !resolveAssetRef(this.world, ws, 'codes', String(p.codeConfiguration.codeId))) {
        throw this.bad(ctx, ws, `Code asset '${String(p.codeConfiguration.codeId)}' was not found.`, 'properties.codeConfiguration.codeId', 'NotFoundError');
      }
    }
    if (!isMlflow || p.environmentId) {
      if (!p.environmentId) throw invalid('A deployment needs an environment.', 'properties.environmentId');
      if (!isCuratedEnvironment(String(p.environmentId)) && !resolveAssetRef(this.world, ws, 'environments', String(p.environmentId))) {
        throw this.bad(ctx, ws, `Environment '${String(p.environmentId)}' was not found.`, 'properties.environmentId', 'NotFoundError');
      }
    }
    if (!kubernetes && !p.instanceType) throw invalid('A managed deployment needs an instanceType.', 'properties.instanceType');
    if (p.requestSettings?.requestTimeout !== undefined && parseIsoDuration(String(p.requestSettings.requestTimeout)) === undefined) {
      throw invalid(`requestSettings.requestTimeout '${String(p.requestSettings.requestTimeout)}' is not an ISO 8601 duration.`, 'properties.requestSettings.requestTimeout');
    }
    const capacity = body.sku?.capacity ?? 1;
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > 20) throw invalid('sku.capacity must be an integer between 0 and 20.', 'sku.capacity');
    const t = now();
    let d = existing;
    if (d) {
      d.resource = { ...body };
      d.state = 'Updating';
      d.modifiedAt = t;
    } else {
      d = { endpoint: ep, name, resource: { ...body }, state: 'Creating', createdAt: t, modifiedAt: t, createdBy: caller, storageLog: '', lastHostLog: '' };
      ep.deployments.set(name.toLowerCase(), d);
    }
    const created = d.state === 'Creating';
    const target = d;
    const op = this.ops.create(ws, 'od', () => ({ status: 200, body: this.deploymentBody(target) }));
    ep.busy = op;
    void this.provision(target, op, isMlflow);
    return { status: created ? 201 : 200, body: this.deploymentBody(d), headers: this.ops.headers(op, true) };
  }

  private async provision(d: Deployment, op: Operation, isMlflow: boolean): Promise<void> {
    const ws = d.endpoint.ws;
    const p = d.resource.properties as Props;
    const storageLog: string[] = [];
    const say = (line: string) => storageLog.push(`${new Date().toISOString()} | ${line}`);
    const fail = (message: string, code = 'ResourceNotReady') => {
      d.state = 'Failed';
      d.storageLog = storageLog.join('\n');
      op.finish('Failed', { code, message });
    };
    try {
      await this.stopHost(d);
      await sleep(this.faults.takeProvisioningDelay(`${d.endpoint.name}/${d.name}`) ?? this.world.settings.provisionDelayMs);
      const injected = this.faults.takeProvisioningFailure(`${d.endpoint.name}/${d.name}`);
      if (injected !== undefined) return fail(injected, 'DeploymentProvisioningFailed');
      if (isMlflow && !p.codeConfiguration) {
        return fail('No-code deployment of MLflow models is not supported by the emulator; give the deployment a scoring script.', 'BadArgument');
      }
      const dir = await mkdtemp(path.join(this.world.tmpDir, `deploy-${d.endpoint.name}-${d.name}-`));
      d.dir = dir;
      // Model
      const model = resolveAssetRef(this.world, ws, 'models', String(p.model))!;
      const modelUri = String(model.version.properties.modelUri);
      const modelRoot = path.join(dir, 'azureml-models', model.version.name, model.version.version);
      say(`Downloading model ${model.version.name}:${model.version.version} from ${modelUri}`);
      let loc;
      try {
        loc = resolveLocation(this.world, model.ws, modelUri, this.jobs.outputLocation);
      } catch (e) {
        if (e instanceof LocationError) return fail(`Model download failed: ${e.message}`, 'ModelDownloadFailed');
        throw e;
      }
      const base = loc.path.replace(/\/+$/, '').split('/').pop() || model.version.name;
      const staging = path.join(dir, 'model-download');
      const got = await this.storage.download(loc.account, loc.container, loc.path, staging);
      if (got.files === 0) return fail(`Model download failed: nothing found at ${modelUri}.`, 'ModelDownloadFailed');
      // A folder model sits in AZUREML_MODEL_DIR/<folder name>, a single-file model directly in it.
      await mkdir(modelRoot, { recursive: true });
      if (got.isFile) await rename(got.localPath, path.join(modelRoot, path.basename(got.localPath)));
      else await rename(staging, path.join(modelRoot, base));
      say(`Model downloaded: ${got.files} file(s)`);
      // Code
      const code = resolveAssetRef(this.world, ws, 'codes', String(p.codeConfiguration.codeId))!;
      const codeDir = path.join(dir, 'code');
      const codeLoc = resolveLocation(this.world, code.ws, String(code.version.properties.codeUri), this.jobs.outputLocation);
      const codeGot = await this.storage.download(codeLoc.account, codeLoc.container, codeLoc.path, codeDir);
      say(`Code downloaded: ${codeGot.files} file(s)`);
      const entry = path.join(codeDir, ...String(p.codeConfiguration.scoringScript).split('/'));
      await mkdir(path.join(dir, 'home'), { recursive: true });
      const env: Record<string, string> = {
        PATH: `${path.join(this.world.tmpDir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
        HOME: path.join(dir, 'home'),
        LANG: 'C.UTF-8',
        PYTHONUNBUFFERED: '1',
        PYTHONDONTWRITEBYTECODE: '1',
        AZUREML_MODEL_DIR: modelRoot,
        AZUREML_ENTRY_SCRIPT: String(p.codeConfiguration.scoringScript),
        AML_APP_ROOT: codeDir,
        SSL_CERT_FILE: this.world.caCertPath,
        REQUESTS_CA_BUNDLE: this.world.caCertPath,
        ...Object.fromEntries(Object.entries((p.environmentVariables ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
      };
      d.storageLog = storageLog.join('\n');
      try {
        d.host = await ScoringHost.start({
          python: this.world.python,
          hostScript: path.join(this.world.repoRoot, 'test', 'emulator', 'scoring_host.py'),
          entry,
          cwd: path.dirname(entry),
          env,
          maxConcurrency: Number(p.requestSettings?.maxConcurrentRequestsPerInstance ?? 1),
          timeoutMs: 60_000,
        });
      } catch (e) {
        if (e instanceof ScoringHostError) {
          d.lastHostLog = e.logs;
          return fail('User container has crashed or terminated. Please see troubleshooting guide, available here: https://aka.ms/oe-tsg#error-resourcenotready');
        }
        throw e;
      }
      d.state = 'Succeeded';
      op.finish('Succeeded');
    } catch (e) {
      this.world.log(`deployment ${d.endpoint.name}/${d.name}: ${(e as Error).stack ?? e}`);
      fail(`Provisioning failed: ${(e as Error).message}`, 'InternalServerError');
    }
  }

  private async stopHost(d: Deployment): Promise<void> {
    const host = d.host;
    d.host = undefined;
    if (host) {
      d.lastHostLog = host.logs;
      await host.stop();
    }
    if (d.dir) {
      await rm(d.dir, { recursive: true, force: true }).catch(() => undefined);
      d.dir = undefined;
    }
  }

  async stop(): Promise<void> {
    for (const ep of this.endpoints.values()) for (const d of ep.deployments.values()) await this.stopHost(d);
  }

  // --------------------------------------------------------------------------------------------
  // Scoring

  /** Routes /inference/{location}/{endpoint}/… and /k8s/{location}/{compute}/api/v1/endpoint/{endpoint}/…; undefined if not one. */
  async score(ctx: Ctx): Promise<Reply | undefined> {
    const segs = ctx.path.split('/').filter(Boolean);
    let location: string;
    let epName: string;
    let action: string | undefined;
    if (segs[0] === 'inference' && segs.length >= 3) {
      [, location, epName, action] = segs;
    } else if (segs[0] === 'k8s' && segs.length >= 7 && segs[3] === 'api' && segs[5] === 'endpoint') {
      location = segs[1];
      epName = segs[6];
      action = segs[7];
    } else return undefined;
    const ep = [...this.endpoints.values()].find((e) => e.name.toLowerCase() === epName.toLowerCase() && e.ws.location === location && e.state !== 'Deleting');
    // Every answer carries x-request-id (a GUID for support tickets) and echoes x-ms-client-request-id.
    const clientRequestId = ctx.header('x-ms-client-request-id');
    const trace: Record<string, string> = { 'x-request-id': randomUUID(), ...(clientRequestId ? { 'x-ms-client-request-id': clientRequestId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40) } : {}) };
    const plain = (status: number, message: string, headers: Record<string, string> = {}): Reply => ({ status, body: { message }, headers: { ...trace, ...headers } });
    if (!ep) return plain(404, `Endpoint ${epName} not found.`);
    if (!action || action === '') {
      return { status: 200, body: 'Healthy', headers: { ...trace, 'content-type': 'text/plain; charset=utf-8' } };
    }
    // Authentication
    const auth = ctx.header('authorization');
    const token = auth && /^Bearer\s+(.+)$/i.exec(auth)?.[1].trim();
    const mode = ep.resource.properties.authMode;
    const www = { 'www-authenticate': 'Bearer' };
    if (!token) return plain(401, 'Authorization header is missing or is not a Bearer token.', www);
    if (mode === 'Key') {
      if (token !== ep.keys.primaryKey && token !== ep.keys.secondaryKey) return plain(401, 'Key based authentication failed.', www);
    } else {
      const jwt = decodeJwt(token);
      const now = nowSeconds();
      if (mode === 'AMLToken') {
        if (!jwt || !verifyJwtSignature(jwt, this.world.endpointSigner.key) || jwt.claims.endpoint !== ep.name || jwt.claims.ws !== ep.ws.workspaceId) return plain(401, 'Token based authentication failed.', www);
      } else if (!jwt || !verifyJwtSignature(jwt, this.world.entraSigner.key) || jwt.claims.iss !== v1Issuer(this.world.tenantId) || !audiences(jwt.claims).some((a) => ML_AUDIENCES.slice(4).includes(a))) {
        return plain(401, 'AAD token based authentication failed. The token must be issued for https://ml.azure.com.', www);
      }
      if (jwt && (typeof jwt.claims.exp !== 'number' || jwt.claims.exp <= now)) return plain(401, 'The token has expired.', www);
    }
    // Routing
    const requested = ctx.header('azureml-model-deployment');
    let d: Deployment | undefined;
    if (requested) {
      d = ep.deployments.get(requested.toLowerCase());
      if (!d || d.state !== 'Succeeded' || !d.host) return plain(404, `Deployment ${requested} not found or not ready in endpoint ${ep.name}.`);
    } else {
      const traffic = Object.entries((ep.resource.properties.traffic ?? {}) as Record<string, number>).filter(([n, w]) => w > 0 && ep.deployments.get(n.toLowerCase())?.host);
      const total = traffic.reduce((s, [, w]) => s + w, 0);
      if (total === 0) {
        return plain(404, 'No valid deployments to route to. Please check that the endpoint has at least one deployment with positive weight values or use a deployment specific header to route.');
      }
      let pick = Math.random() * total;
      for (const [n, w] of traffic) {
        pick -= w;
        if (pick < 0) {
          d = ep.deployments.get(n.toLowerCase());
          break;
        }
      }
      d ??= ep.deployments.get(traffic[traffic.length - 1][0].toLowerCase());
    }
    const host = d!.host!;
    const timeoutMs = parseIsoDuration(String(d!.resource.properties.requestSettings?.requestTimeout ?? 'PT5S')) ?? 5000;
    const hostPath = action === 'swagger.json' ? '/swagger.json' : action === 'score' ? '/score' : `/${action}`;
    const headers = { ...trace, 'azureml-model-deployment': d!.name, 'x-ms-run-function-failed': 'False' };
    try {
      const body = ctx.method === 'POST' ? await ctx.body() : undefined;
      const res = await host.request(ctx.method, hostPath, body, { 'content-type': ctx.header('content-type') ?? 'application/json' }, timeoutMs);
      if (action === 'score' && res.status !== 200) {
        // Learn, "Troubleshoot online endpoints", HTTP status codes: "If your model container returns a
        // non-200 response, Azure returns a 424. Check response headers ms-azureml-model-error-statuscode
        // and ms-azureml-model-error-reason for more information."
        return {
          status: 424,
          body: res.body,
          headers: {
            ...headers,
            'x-ms-run-function-failed': res.status >= 500 ? 'True' : 'False',
            'ms-azureml-model-error-statuscode': String(res.status),
            'ms-azureml-model-error-reason': STATUS_CODES[res.status] ?? 'Unknown',
            'content-type': String(res.headers['content-type'] ?? 'application/json'),
          },
        };
      }
      return { status: res.status, body: res.body, headers: { ...headers, 'content-type': String(res.headers['content-type'] ?? 'application/json') } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ETIMEDOUT') return plain(408, `Request timed out after ${timeoutMs} ms.`, headers);
      return plain(502, `The scoring container did not answer: ${(e as Error).message}`, headers);
    }
  }
}

