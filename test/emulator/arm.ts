// Azure Resource Manager for Microsoft.MachineLearningServices at api-version 2022-10-01: token and
// api-version checks in ARM's order, subscription / resource group / workspace lookup, and the
// workspace's resources. Workspaces, computes and datastores are served here; assets, jobs and online
// endpoints in their own modules.
import { Ctx, HttpError, type Reply } from './http.js';
import { API_VERSION, armError, callerOf, checkApiVersion, mlError, Operations, page, PROVIDER, requireArmToken, resourceTypeOf, SDK_API_VERSIONS, systemData } from './arm-common.js';
import { assetKind, handleAssets, methodNotAllowed } from './assets.js';
import type { Endpoints } from './endpoints.js';
import type { JobStore } from './jobs.js';
import type { JwtClaims } from './jwt.js';
import { dataPlaneBase, getCi, now, workspaceArmId, type World, type Workspace } from './world.js';

export class Arm {
  constructor(
    private readonly world: World,
    readonly ops: Operations,
    private readonly jobs: JobStore,
    private readonly endpoints: Endpoints,
  ) {}

  private get defaultLocation(): string {
    return this.world.workspaces[0].location;
  }

  async handle(ctx: Ctx): Promise<Reply | undefined> {
    const segs = ctx.path.split('/').filter(Boolean);
    if (segs[0]?.toLowerCase() !== 'subscriptions') return undefined;
    const claims = requireArmToken(this.world, ctx);
    // Subscription and resource-group reads belong to Microsoft.Resources (any api-version is accepted).
    if (segs.length === 1) {
      return { status: 200, body: { value: [this.subscription()], count: { type: 'Total', value: 1 } } };
    }
    const sub = segs[1];
    const providerAt = segs.findIndex((s, i) => i >= 2 && s.toLowerCase() === 'providers');
    const providerSegs = providerAt >= 0 ? segs.slice(providerAt + 2) : [];
    if (providerAt >= 0 && segs[providerAt + 1]?.toLowerCase() !== PROVIDER.toLowerCase()) {
      throw armError(404, 'InvalidResourceNamespace', `The resource namespace '${segs[providerAt + 1] ?? ''}' is invalid.`);
    }
    if (providerAt >= 0) {
      const type = resourceTypeOf(providerSegs[0]?.toLowerCase() === 'locations' ? providerSegs.slice(2) : providerSegs);
      // Online endpoints changed shape between these versions; everything else azure-ai-ml calls did not.
      checkApiVersion(ctx, type, this.defaultLocation, /onlineendpoints/i.test(type) ? [API_VERSION] : SDK_API_VERSIONS);
    }
    if (sub.toLowerCase() !== this.world.subscriptionId.toLowerCase()) {
      throw armError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
    }
    if (segs.length === 2) return { status: 200, body: this.subscription() };

    // /subscriptions/{s}/providers/Microsoft.MachineLearningServices/...
    if (providerAt === 2) {
      const [kind, loc, opKind, opId] = providerSegs;
      if (kind?.toLowerCase() === 'workspaces' && providerSegs.length === 1 && ctx.method === 'GET') {
        return { status: 200, body: page(this.world.settings, ctx, this.world.workspaces.map((w) => this.workspaceBody(w))) };
      }
      if (kind?.toLowerCase() === 'locations' && loc && opId && ctx.method === 'GET') {
        const op = this.ops.get(decodeURIComponent(opId));
        if (!op) throw armError(404, 'NotFound', `The operation '${opId}' was not found.`);
        if (opKind.toLowerCase() === 'mfeoperationsstatus') return this.ops.statusReply(op);
        if (opKind.toLowerCase() === 'mfeoperationresults') return this.ops.resultReply(op);
      }
      throw armError(404, 'NotFound', `The requested resource '${ctx.path}' was not found.`);
    }
    if (segs[2]?.toLowerCase() !== 'resourcegroups') throw armError(404, 'NotFound', `The requested resource '${ctx.path}' was not found.`);
    if (segs.length === 3) {
      if (ctx.method !== 'GET') throw methodNotAllowed(ctx);
      const groups = [...new Map(this.world.workspaces.map((w) => [w.resourceGroup.toLowerCase(), w])).values()];
      return { status: 200, body: page(this.world.settings, ctx, groups.map((w) => this.resourceGroup(w)), { token: '$skiptoken' }) };
    }
    const rg = segs[3];
    const known = this.world.workspaces.find((w) => w.resourceGroup.toLowerCase() === rg.toLowerCase());
    if (!known) throw armError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
    if (segs.length === 4) return { status: 200, body: this.resourceGroup(known) };
    if (providerAt !== 4 || providerSegs[0]?.toLowerCase() !== 'workspaces') throw armError(404, 'NotFound', `The requested resource '${ctx.path}' was not found.`);
    if (providerSegs.length === 1) {
      if (ctx.method !== 'GET') throw methodNotAllowed(ctx);
      const list = this.world.workspaces.filter((w) => w.resourceGroup.toLowerCase() === rg.toLowerCase()).map((w) => this.workspaceBody(w));
      return { status: 200, body: page(this.world.settings, ctx, list) };
    }
    const wsName = providerSegs[1];
    const ws = this.world.workspaces.find((w) => w.resourceGroup.toLowerCase() === rg.toLowerCase() && w.name.toLowerCase() === wsName.toLowerCase());
    if (!ws) {
      throw armError(
        404,
        'ResourceNotFound',
        `The Resource '${PROVIDER}/workspaces/${wsName}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    const rest = providerSegs.slice(2);
    if (rest.length === 0) {
      if (ctx.method === 'GET') return { status: 200, body: this.workspaceBody(ws) };
      throw mlError(ctx, 400, `Workspace ${ws.name} is one of the emulator's fixed workspaces; it cannot be created, changed or deleted.`, 'BadArgument', { location: ws.location });
    }
    return this.workspaceChild(ctx, ws, rest, claims);
  }

  private resourceGroup(ws: Workspace) {
    return {
      id: `/subscriptions/${this.world.subscriptionId}/resourceGroups/${ws.resourceGroup}`,
      name: ws.resourceGroup,
      type: 'Microsoft.Resources/resourceGroups',
      location: ws.location,
      properties: { provisioningState: 'Succeeded' },
    };
  }

  private subscription() {
    return {
      id: `/subscriptions/${this.world.subscriptionId}`,
      subscriptionId: this.world.subscriptionId,
      tenantId: this.world.tenantId,
      displayName: 'Azure ML emulator',
      state: 'Enabled',
    };
  }

  private async workspaceChild(ctx: Ctx, ws: Workspace, rest: string[], claims: JwtClaims): Promise<Reply> {
    const head = rest[0].toLowerCase();
    if (assetKind(head)) return handleAssets(this.world, ctx, ws, rest, claims, this.jobs.outputLocation);
    switch (head) {
      case 'jobs':
        return this.jobs.handle(ctx, ws, rest, claims);
      case 'onlineendpoints':
        return this.endpoints.handle(ctx, ws, rest, claims);
      case 'computes':
        return this.computes(ctx, ws, rest);
      case 'datastores':
        return this.datastores(ctx, ws, rest, claims);
      case 'listkeys':
      case 'liststorageaccountkeys':
        if (ctx.method !== 'POST' || rest.length !== 1) throw methodNotAllowed(ctx);
        return {
          status: 200,
          body:
            head === 'listkeys'
              ? {
                  userStorageKey: ws.storage.accountKey,
                  userStorageResourceId: this.storageAccountId(ws),
                  appInsightsInstrumentationKey: ws.workspaceId,
                  containerRegistryCredentials: null,
                  notebookAccessKeys: null,
                }
              : { userStorageKey: ws.storage.accountKey },
        };
      default:
        throw mlError(ctx, 404, `The resource type '${rest[0]}' is not served by the emulator.`, 'NotFoundError', { location: ws.location });
    }
  }

  private storageAccountId(ws: Workspace): string {
    return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${ws.storage.accountName}`;
  }

  workspaceBody(ws: Workspace) {
    const rgId = `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers`;
    const caller = { id: this.world.app.clientId, type: 'Application' as const };
    return {
      id: workspaceArmId(ws),
      name: ws.name,
      type: `${PROVIDER}/workspaces`,
      location: ws.location,
      tags: {},
      kind: 'Default',
      sku: { name: 'Basic', tier: 'Basic' },
      identity: { type: 'SystemAssigned', principalId: ws.workspaceId, tenantId: this.world.tenantId },
      properties: {
        workspaceId: ws.workspaceId,
        description: `Azure ML emulator workspace (${ws.role})`,
        friendlyName: ws.name,
        keyVault: `${rgId}/Microsoft.KeyVault/vaults/kv${ws.storage.accountName}`,
        applicationInsights: `${rgId}/microsoft.insights/components/ai${ws.storage.accountName}`,
        containerRegistry: `${rgId}/Microsoft.ContainerRegistry/registries/cr${ws.storage.accountName}`,
        storageAccount: this.storageAccountId(ws),
        discoveryUrl: `${this.world.baseUrl}/discovery`,
        provisioningState: 'Succeeded',
        hbiWorkspace: false,
        serviceProvisionedResourceGroup: `${ws.name}_${ws.workspaceId.replace(/-/g, '').slice(0, 16)}`,
        privateLinkCount: 0,
        imageBuildCompute: null,
        allowPublicAccessWhenBehindVnet: false,
        publicNetworkAccess: 'Enabled',
        privateEndpointConnections: [],
        sharedPrivateLinkResources: [],
        notebookInfo: null,
        storageHmsEnabled: false,
        mlFlowTrackingUri: dataPlaneBase(this.world, ws, 'mlflow').replace(/^https:/, 'azureml:'),
        v1LegacyMode: false,
        tenantId: this.world.tenantId,
      },
      systemData: systemData({ at: ws.createdAt, by: caller }),
    };
  }

  private computes(ctx: Ctx, ws: Workspace, rest: string[]): Reply {
    if (rest.length === 1) {
      if (ctx.method !== 'GET') throw methodNotAllowed(ctx);
      return { status: 200, body: page(this.world.settings, ctx, [...ws.computes.values()]) };
    }
    const compute = getCi(ws.computes, rest[1]);
    if (rest.length === 2 && ctx.method === 'GET') {
      if (!compute) throw mlError(ctx, 404, `Compute ${rest[1]} was not found in workspace ${ws.name}.`, 'NotFoundError', { location: ws.location });
      return { status: 200, body: compute };
    }
    if (rest.length === 3 && rest[2].toLowerCase() === 'listnodes' && ctx.method === 'POST' && compute) {
      return { status: 200, body: { nodes: [], nextLink: null } };
    }
    throw mlError(ctx, 400, `The emulator's computes are fixed; '${ctx.method} ${rest.join('/')}' is not supported.`, 'BadArgument', { location: ws.location });
  }

  private async datastores(ctx: Ctx, ws: Workspace, rest: string[], claims: JwtClaims): Promise<Reply> {
    if (rest.length === 1) {
      if (ctx.method !== 'GET') throw methodNotAllowed(ctx);
      let items = [...ws.datastores.values()];
      const isDefault = ctx.query('isDefault');
      if (isDefault !== undefined) items = items.filter((d) => String((d.properties as { isDefault: boolean }).isDefault) === isDefault.toLowerCase());
      const names = ctx.url.searchParams.getAll('names');
      if (names.length) items = items.filter((d) => names.some((n) => n.toLowerCase() === String(d.name).toLowerCase()));
      return { status: 200, body: page(this.world.settings, ctx, items, { count: true, defaultSize: 30 }) };
    }
    const name = rest[1];
    const ds = getCi(ws.datastores, name);
    const notFound = () => mlError(ctx, 404, `Could not find datastore ${name} in workspace ${ws.name}.`, 'NotFoundError', { location: ws.location });
    if (rest.length === 3 && rest[2].toLowerCase() === 'listsecrets' && ctx.method === 'POST') {
      if (!ds) throw notFound();
      const creds = (ds.properties as { credentials: { credentialsType: string } }).credentials;
      if (creds.credentialsType !== 'AccountKey') throw mlError(ctx, 400, `Datastore ${name} has no secrets (credentials type ${creds.credentialsType}).`, 'BadArgument', { location: ws.location });
      const account = String((ds.properties as { accountName: string }).accountName);
      const acct = [ws, ...this.world.workspaces].map((w) => w.storage).find((s) => s.accountName === account);
      return { status: 200, body: { secretsType: 'AccountKey', key: acct?.accountKey ?? '' } };
    }
    if (rest.length !== 2) throw notFound();
    if (ctx.method === 'GET') {
      if (!ds) throw notFound();
      return { status: 200, body: ds };
    }
    if (ctx.method === 'DELETE') {
      if (!ds) return { status: 204 };
      if ((ds.properties as { isDefault: boolean }).isDefault) throw mlError(ctx, 400, 'The default datastore cannot be deleted.', 'BadArgument', { location: ws.location });
      ws.datastores.delete(name.toLowerCase());
      return { status: 200 };
    }
    if (ctx.method === 'PUT') {
      const invalid = (m: string) => mlError(ctx, 400, m, 'BadArgument', { location: ws.location });
      const body = await ctx.json<{ properties?: Record<string, unknown> }>(invalid);
      const p = body?.properties;
      if (!p || typeof p !== 'object') throw invalid("The request body must contain 'properties'.");
      if (p.datastoreType !== 'AzureBlob') throw invalid(`The emulator supports AzureBlob datastores only; got '${String(p.datastoreType)}'.`);
      const account = this.world.workspaces.map((w) => w.storage).find((s) => s.accountName === p.accountName);
      if (!account) throw invalid(`Storage account '${String(p.accountName)}' does not exist in the emulator.`);
      if (typeof p.containerName !== 'string' || !p.containerName) throw invalid('containerName is required.');
      const creds = (p.credentials ?? { credentialsType: 'None' }) as Record<string, unknown>;
      const t = now();
      const caller = callerOf(claims);
      const stored = {
        id: `${workspaceArmId(ws)}/datastores/${name}`,
        name,
        type: `${PROVIDER}/workspaces/datastores`,
        properties: {
          description: p.description ?? null,
          tags: p.tags ?? {},
          properties: p.properties ?? null,
          isDefault: false,
          credentials: { credentialsType: creds.credentialsType },
          datastoreType: 'AzureBlob',
          accountName: p.accountName,
          containerName: p.containerName,
          endpoint: this.world.blobEndpointHost,
          protocol: 'http',
          serviceDataAccessAuthIdentity: 'None',
        },
        systemData: systemData({ at: t, by: caller }),
      };
      const existed = Boolean(ds);
      ws.datastores.set(name.toLowerCase(), stored);
      return { status: existed ? 200 : 201, body: stored };
    }
    throw methodNotAllowed(ctx);
  }
}

export { API_VERSION, HttpError };
