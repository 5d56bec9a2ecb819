// The Azure ML emulator, in process: `start(options)` brings up Azurite (two storage accounts), the blob
// fault proxy and one HTTPS server (its own CA) that speaks Entra ID, the CI OIDC issuers, ARM for
// Microsoft.MachineLearningServices 2022-10-01, the workspace data plane and the scoring URIs; it
// resolves with the READY configuration and a `stop()` that ends every process it started.
import https from 'node:https';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo, Socket } from 'node:net';
import { handleAdmin } from './admin.js';
import { Arm } from './arm.js';
import { armError, Operations } from './arm-common.js';
import { BlobProxy } from './blob-proxy.js';
import { adoCollectionUri, adoOidcRequestUri, githubRequestUrl, handleCiOidc } from './ci-oidc.js';
import { DataPlane } from './dataplane.js';
import { adoIssuer, entraError, githubIssuer, handleEntra, ASSERTION_AUDIENCE } from './entra.js';
import { Endpoints } from './endpoints.js';
import { Faults, sleep, type FaultRule } from './faults.js';
import { blobAccountOf, forwardToBlob, PublicHostProxy } from './public-hosts.js';
import { Ctx, HttpError, send, type Reply } from './http.js';
import { JobStore } from './jobs.js';
import { Runner } from './runner.js';
import { Storage } from './storage.js';
import { HandedOut, registerRunning } from './secrets.js';
import { makeTlsMaterial, newRsaKey } from './tls.js';
import { ASSET_KINDS, newAccountKey, newGuid, newSecret, noneIssued, now, workspaceArmId, type Settings, type Workspace, type World } from './world.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface StartOptions {
  /** HTTPS port (0 = a free port). */
  port?: number;
  /** Azurite's port (0 = free). */
  blobPort?: number;
  /** The blob fault proxy's port (0 = free). */
  blobProxyPort?: number;
  /** Access-token lifetime, seconds (default 3600). */
  tokenLifetime?: number;
  /** CI OIDC assertion lifetime, seconds (default 300). */
  assertionLifetime?: number;
  /** Retry-After of long-running operations, seconds (default 1; 0 = no header). */
  lroRetryAfter?: number;
  /** Time a job spends in each intermediate state, ms (default 200). */
  jobStepDelayMs?: number;
  /** Extra provisioning time of endpoints and deployments, ms (default 200). */
  provisionDelayMs?: number;
  /** Most trials a sweep runs (default 4). */
  sweepTrialCap?: number;
  /** How often a running job's log reaches its blob, ms (default 1000). */
  logFlushMs?: number;
  /** Items per page of every ARM list (default 0: each list's own default, see arm-common.ts). */
  listPageSize?: number;
  /** Fault rules active from the start. */
  faults?: FaultRule[];
  /** Fixed identifiers (defaults are stable across runs); the client secret is new every start unless given. */
  tenantId?: string;
  subscriptionId?: string;
  clientId?: string;
  clientSecret?: string;
  /** The GitHub OIDC `sub` claim and the repository it names. */
  githubRepository?: string;
  /** Python interpreter for jobs and scoring hosts (default: python3 on PATH). */
  python?: string;
  readyFile?: string;
  /** Diagnostic lines (default: none). */
  log?: (line: string) => void;
}

export interface ReadyConfig {
  armEndpoint: string;
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** PEM file with the app's certificate and private key (for ClientCertificateCredential). */
  clientCertificatePath: string;
  subscriptionId: string;
  apiVersion: string;
  dev: { resourceGroup: string; workspace: string; location: string; storageAccount: string };
  prod: { resourceGroup: string; workspace: string; location: string; storageAccount: string };
  caCertPath: string;
  githubOidc: { requestUrl: string; requestToken: string; issuer: string; subject: string };
  azureDevOps: {
    collectionUri: string;
    projectId: string;
    planId: string;
    jobId: string;
    hostType: string;
    accessToken: string;
    serviceConnectionId: string;
    oidcRequestUri: string;
    issuer: string;
    subject: string;
  };
  adminUrl: string;
  /** Blob endpoint clients use (the fault proxy in front of Azurite). */
  blobEndpoint: string;
  /** Azurite itself (bypasses blob faults). */
  azuriteEndpoint: string;
  /**
   * A forward proxy (for HTTPS_PROXY) through which management.azure.com, login.microsoftonline.com and
   * <account>.blob.core.windows.net reach the emulator, for clients with fixed public endpoints.
   */
  httpsProxy: string;
  pid: number;
}

export interface RunningEmulator {
  config: ReadyConfig;
  stop(): Promise<void>;
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, cmd);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function workspace(role: 'dev' | 'prod', subscriptionId: string): Workspace {
  const workspaceId = newGuid();
  const accountName = role === 'dev' ? 'mlopsdevstore' : 'mlopsprodstore';
  return {
    role,
    subscriptionId,
    resourceGroup: `rg-mlops-${role}`,
    name: `mlw-mlops-${role}`,
    location: 'eastus',
    workspaceId,
    createdAt: now(),
    storage: { accountName, accountKey: newAccountKey(), blobContainer: `azureml-blobstore-${workspaceId}`, artifactContainer: 'azureml' },
    computes: new Map(),
    datastores: new Map(),
    assets: Object.fromEntries(ASSET_KINDS.map((k) => [k, new Map()])) as Workspace['assets'],
  };
}

function seedWorkspace(world: World, ws: Workspace): void {
  const id = workspaceArmId(ws);
  const t = ws.createdAt;
  const created = `${t.slice(0, -1)}0000+00:00`;
  ws.computes.set('cpu-cluster', {
    id: `${id}/computes/cpu-cluster`,
    name: 'cpu-cluster',
    type: 'Microsoft.MachineLearningServices/workspaces/computes',
    location: ws.location,
    tags: {},
    identity: null,
    sku: null,
    properties: {
      computeType: 'AmlCompute',
      computeLocation: ws.location,
      description: 'CPU cluster (jobs run as local processes on the emulator host)',
      createdOn: created,
      modifiedOn: created,
      resourceId: null,
      provisioningErrors: null,
      provisioningState: 'Succeeded',
      isAttachedCompute: false,
      disableLocalAuth: true,
      properties: {
        osType: 'Linux',
        vmSize: 'STANDARD_DS3_V2',
        vmPriority: 'Dedicated',
        virtualMachineImage: null,
        isolatedNetwork: false,
        subnet: null,
        scaleSettings: { maxNodeCount: 4, minNodeCount: 0, nodeIdleTimeBeforeScaleDown: 'PT120S' },
        remoteLoginPortPublicAccess: 'NotSpecified',
        allocationState: 'Steady',
        allocationStateTransitionTime: t,
        errors: null,
        currentNodeCount: 0,
        targetNodeCount: 0,
        nodeStateCounts: { preparingNodeCount: 0, runningNodeCount: 0, idleNodeCount: 0, unusableNodeCount: 0, leavingNodeCount: 0, preemptedNodeCount: 0 },
        enableNodePublicIp: true,
        propertyBag: null,
      },
    },
    systemData: null,
  });
  ws.computes.set('k8s-compute', {
    id: `${id}/computes/k8s-compute`,
    name: 'k8s-compute',
    type: 'Microsoft.MachineLearningServices/workspaces/computes',
    location: ws.location,
    tags: {},
    identity: null,
    sku: null,
    properties: {
      computeType: 'Kubernetes',
      computeLocation: ws.location,
      description: 'Attached Kubernetes cluster (deployments run as local processes on the emulator host)',
      createdOn: created,
      modifiedOn: created,
      resourceId: `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/aks-mlops-${ws.role}`,
      provisioningErrors: null,
      provisioningState: 'Succeeded',
      isAttachedCompute: true,
      disableLocalAuth: true,
      properties: {
        relayConnectionString: null,
        serviceBusConnectionString: null,
        extensionPrincipalId: null,
        extensionInstanceReleaseTrain: 'stable',
        vcName: null,
        namespace: 'azureml',
        defaultInstanceType: 'defaultinstancetype',
        instanceTypes: {
          defaultinstancetype: { nodeSelector: null, resources: { requests: { cpu: '100m', memory: '2Gi', 'nvidia.com/gpu': null }, limits: { cpu: '2', memory: '2Gi', 'nvidia.com/gpu': null } } },
        },
      },
    },
    systemData: null,
  });
  const caller = { createdAt: t, createdBy: world.app.clientId, createdByType: 'Application', lastModifiedAt: t, lastModifiedBy: world.app.clientId, lastModifiedByType: 'Application' };
  const blobDatastore = (name: string, container: string, isDefault: boolean) => ({
    id: `${id}/datastores/${name}`,
    name,
    type: 'Microsoft.MachineLearningServices/workspaces/datastores',
    properties: {
      description: null,
      tags: {},
      properties: null,
      isDefault,
      credentials: { credentialsType: 'AccountKey' },
      datastoreType: 'AzureBlob',
      accountName: ws.storage.accountName,
      containerName: container,
      endpoint: world.blobEndpointHost,
      protocol: 'http',
      serviceDataAccessAuthIdentity: 'WorkspaceSystemAssignedIdentity',
    },
    systemData: caller,
  });
  ws.datastores.set('workspaceblobstore', blobDatastore('workspaceblobstore', ws.storage.blobContainer, true));
  ws.datastores.set('workspaceartifactstore', blobDatastore('workspaceartifactstore', ws.storage.artifactContainer, false));
}

/** Answer of a fired fault rule, worded as the service at that path would. */
function faultReply(world: World, ctx: Ctx, rule: FaultRule): Reply {
  const status = rule.status!;
  const headers: Record<string, string> = {};
  if (status === 429 || status === 503) headers['retry-after'] = String(rule.retryAfter ?? 1);
  if (/^\/[^/]+\/oauth2\//.test(ctx.path)) {
    const e = entraError(status, status === 429 ? 'temporarily_unavailable' : 'server_error', status === 429 ? 50196 : 90015, rule.message ?? 'The server is temporarily unable to handle the request.');
    return { status, body: e.body, headers };
  }
  const code =
    rule.errorCode ??
    (status === 429 ? 'TooManyRequests' : status === 503 ? 'ServiceUnavailable' : status === 500 ? 'InternalServerError' : status === 502 ? 'BadGateway' : 'Error');
  const message =
    rule.message ??
    (status === 429
      ? `The request is being throttled as the limit has been reached for operation type - ${ctx.method === 'GET' ? 'Read' : 'Write'}. Please try again after ${rule.retryAfter ?? 1} seconds.`
      : status === 503
        ? 'The service is temporarily unavailable. Please try again later.'
        : `Encountered internal server error. Diagnostic information: timestamp '${new Date().toISOString()}', tracking id '${ctx.requestId}', request correlation id '${ctx.correlationId}'.`);
  return { status, body: { error: { code, message } }, headers };
}

export async function start(options: StartOptions = {}): Promise<RunningEmulator> {
  const log = options.log ?? (() => undefined);
  const tmpDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-emulator-'));
  const cleanup: (() => Promise<void>)[] = [async () => rm(tmpDir, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const f of cleanup.reverse()) await f().catch((e) => log(`stop: ${(e as Error).message}`));
    cleanup.length = 0;
  };
  try {
    const tls = makeTlsMaterial();
    const caCertPath = path.join(tmpDir, 'ca.pem');
    await writeFile(caCertPath, tls.ca.certPem);
    const clientCertificatePath = path.join(tmpDir, 'client-certificate.pem');
    await writeFile(clientCertificatePath, `${tls.client.privateKeyPem}${tls.client.certPem}`, { mode: 0o600 });

    const python = options.python ?? which('python3') ?? '/usr/bin/python3';
    // Jobs call `python` as curated environments provide it; point it at the machine's python3.
    const binDir = path.join(tmpDir, 'bin');
    await mkdir(binDir);
    await symlink(python, path.join(binDir, 'python'));
    await symlink(python, path.join(binDir, 'python3'));

    const settings: Settings = {
      tokenLifetime: options.tokenLifetime ?? 3600,
      assertionLifetime: options.assertionLifetime ?? 300,
      lroRetryAfter: options.lroRetryAfter ?? 1,
      jobStepDelayMs: options.jobStepDelayMs ?? 200,
      provisionDelayMs: options.provisionDelayMs ?? 200,
      sweepTrialCap: options.sweepTrialCap ?? 4,
      logFlushMs: options.logFlushMs ?? 1000,
      listPageSize: options.listPageSize ?? 0,
    };
    const subscriptionId = options.subscriptionId ?? '5f2b8a6e-7c1d-4e3f-9a0b-1c2d3e4f5a6b';
    const tenantId = options.tenantId ?? '8d3c1b2a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const kid = (key: { publicKeyPem: string }) => createHash('sha1').update(key.publicKeyPem).digest('base64url');
    const signer = () => {
      const k = newRsaKey();
      return { kid: kid(k), key: k.privateKey };
    };
    const repository = options.githubRepository ?? 'contoso/credit-default';
    const world: World = {
      baseUrl: '',
      host: '',
      tenantId,
      subscriptionId,
      app: {
        clientId: options.clientId ?? '2a7e5c1f-3b4d-4e6f-8a9b-0c1d2e3f4a5b',
        objectId: newGuid(),
        principalId: '6b1f2e3d-4c5b-4a69-8e7f-0a1b2c3d4e5f',
        displayName: 'mlops-actions emulator app',
        secrets: [options.clientSecret ?? newSecret()],
        certificates: [{ thumbprintSha1: tls.client.thumbprintSha1, thumbprintSha256: tls.client.thumbprintSha256, certPem: tls.client.certPem }],
        federated: [],
      },
      entraSigner: signer(),
      githubSigner: signer(),
      adoSigner: signer(),
      endpointSigner: signer(),
      tls,
      caCertPath,
      settings,
      issued: noneIssued(),
      handedOut: new HandedOut(),
      github: { requestToken: newSecret(), subject: `repo:${repository}:ref:refs/heads/main`, repository },
      azureDevOps: {
        organization: 'contoso',
        organizationId: newGuid(),
        projectId: '0e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2b',
        projectName: 'mlops',
        planId: newGuid(),
        jobId: newGuid(),
        hostType: 'build',
        accessToken: newSecret(),
        serviceConnectionId: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
        serviceConnectionName: 'azure-ml-emulator',
      },
      workspaces: [],
      blobEndpointHost: '',
      azuriteUrl: '',
      blobProxyUrl: '',
      tmpDir,
      python,
      repoRoot: REPO_ROOT,
      log,
    };
    world.workspaces = [workspace('dev', subscriptionId), workspace('prod', subscriptionId)];
    const book = world.handedOut;
    for (const secret of world.app.secrets) book.add(secret, 'the client secret');
    book.add(tls.client.privateKeyPem, "the client certificate's private key");
    book.add(world.github.requestToken, 'the GitHub ID-token request token');
    book.add(world.azureDevOps.accessToken, "the Azure DevOps job's access token (System.AccessToken)");
    for (const ws of world.workspaces) book.add(ws.storage.accountKey, `the account key of ${ws.storage.accountName}`);
    const unregister = registerRunning(book);
    cleanup.push(async () => void unregister());

    // Storage: Azurite, then the fault proxy in front of it.
    const faults = new Faults();
    for (const rule of options.faults ?? []) faults.add(rule);
    const storage = await Storage.start({
      port: options.blobPort ?? 0,
      accounts: world.workspaces.map((w) => w.storage),
      entry: path.join(REPO_ROOT, 'build', 'test', 'emulator', 'azurite-host.js'),
      log,
    });
    cleanup.push(() => storage.stop());
    const proxy = new BlobProxy(storage.port, faults, storage);
    const proxyPort = await proxy.listen(options.blobProxyPort ?? 0);
    cleanup.push(() => proxy.close());
    world.azuriteUrl = storage.url;
    world.blobProxyUrl = `http://127.0.0.1:${proxyPort}`;
    world.blobEndpointHost = `127.0.0.1:${proxyPort}`;

    // Services
    const ops = new Operations(world);
    const jobs = new JobStore(world, ops);
    const runner = new Runner(world, storage, jobs, faults);
    const endpoints = new Endpoints(world, ops, storage, faults, jobs);
    const arm = new Arm(world, ops, jobs, endpoints);
    const dataPlane = new DataPlane(world, jobs, storage);

    const sockets = new Set<Socket>();
    const server = https.createServer({ key: tls.server.privateKeyPem, cert: tls.server.certPem + tls.ca.certPem, keepAliveTimeout: 5000 }, (req, res) => {
      // <account>.blob.core.windows.net, reached through the public-host proxy: storage, path-style.
      if (blobAccountOf(req.headers.host)) forwardToBlob(req, res, proxyPort);
      else void handle(new Ctx(req, res, world.baseUrl));
    });
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.on('tlsClientError', () => undefined);

    async function handle(ctx: Ctx): Promise<void> {
      const started = Date.now();
      let fault: string | undefined;
      ctx.res.on('close', () => {
        if (ctx.path === '/admin' || ctx.path.startsWith('/admin/')) return; // the log is of the emulated services only
        faults.record({
          time: new Date(started).toISOString(),
          target: 'api',
          method: ctx.method,
          path: ctx.url.pathname + ctx.url.search,
          status: ctx.res.headersSent ? ctx.res.statusCode : 0,
          durationMs: Date.now() - started,
          fault,
        });
      });
      const common = { 'x-ms-request-id': ctx.requestId, 'x-ms-correlation-request-id': ctx.correlationId, 'x-ms-routing-request-id': `EASTUS:${ctx.requestId}` };
      let reply: Reply | undefined;
      try {
        reply = await handleAdmin(world, faults, jobs, ctx);
        if (!reply) {
          const rule = faults.pick('api', ctx.method, ctx.path);
          if (rule) {
            fault = rule.id;
            if (rule.latencyMs) await sleep(rule.latencyMs);
            if (rule.reset) {
              ctx.req.socket.destroy();
              return;
            }
            if (rule.status) reply = faultReply(world, ctx, rule);
          }
        }
        reply ??=
          (await handleEntra(world, ctx)) ??
          (await handleCiOidc(world, ctx)) ??
          (await arm.handle(ctx)) ??
          (await dataPlane.handle(ctx)) ??
          (await endpoints.score(ctx)) ??
          { status: 404, body: { error: { code: 'NotFound', message: `No route for ${ctx.method} ${ctx.path} in the emulator.` } } };
      } catch (e) {
        if (e instanceof HttpError) reply = { status: e.status, body: e.body, headers: e.headers };
        else {
          log(`${ctx.method} ${ctx.path}: ${(e as Error).stack ?? e}`);
          reply = { status: 500, body: armError(500, 'InternalServerError', `The emulator failed: ${(e as Error).message}`).body };
        }
      }
      send(ctx, { ...reply, headers: { ...common, ...(reply.headers ?? {}) } });
    }

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const publicHosts = new PublicHostProxy(() => port, () => [proxyPort]);
    await publicHosts.listen();
    cleanup.push(() => publicHosts.close());
    world.baseUrl = `https://127.0.0.1:${port}`;
    world.host = `127.0.0.1:${port}`;
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    );
    cleanup.push(() => endpoints.stop());
    cleanup.push(() => runner.stop());
    for (const ws of world.workspaces) seedWorkspace(world, ws);
    world.app.federated.push(
      { name: 'github-main', issuer: githubIssuer(world), subject: world.github.subject, audiences: [ASSERTION_AUDIENCE] },
      { name: 'github-env-dev', issuer: githubIssuer(world), subject: `repo:${repository}:environment:dev`, audiences: [ASSERTION_AUDIENCE] },
      { name: 'github-env-prod', issuer: githubIssuer(world), subject: `repo:${repository}:environment:prod`, audiences: [ASSERTION_AUDIENCE] },
      { name: 'github-pr', issuer: githubIssuer(world), subject: `repo:${repository}:pull_request`, audiences: [ASSERTION_AUDIENCE] },
      {
        name: 'azure-devops',
        issuer: adoIssuer(world),
        subject: `sc://${world.azureDevOps.organization}/${world.azureDevOps.projectName}/${world.azureDevOps.serviceConnectionName}`,
        audiences: [ASSERTION_AUDIENCE],
      },
    );

    const [dev, prod] = world.workspaces;
    const wsInfo = (w: Workspace) => ({ resourceGroup: w.resourceGroup, workspace: w.name, location: w.location, storageAccount: w.storage.accountName });
    const config: ReadyConfig = {
      armEndpoint: world.baseUrl,
      authorityHost: world.baseUrl,
      tenantId,
      clientId: world.app.clientId,
      clientSecret: world.app.secrets[0],
      clientCertificatePath,
      subscriptionId,
      apiVersion: '2022-10-01',
      dev: wsInfo(dev),
      prod: wsInfo(prod),
      caCertPath,
      githubOidc: { requestUrl: githubRequestUrl(world), requestToken: world.github.requestToken, issuer: githubIssuer(world), subject: world.github.subject },
      azureDevOps: {
        collectionUri: adoCollectionUri(world),
        projectId: world.azureDevOps.projectId,
        planId: world.azureDevOps.planId,
        jobId: world.azureDevOps.jobId,
        hostType: world.azureDevOps.hostType,
        accessToken: world.azureDevOps.accessToken,
        serviceConnectionId: world.azureDevOps.serviceConnectionId,
        oidcRequestUri: adoOidcRequestUri(world),
        issuer: adoIssuer(world),
        subject: `sc://${world.azureDevOps.organization}/${world.azureDevOps.projectName}/${world.azureDevOps.serviceConnectionName}`,
      },
      adminUrl: `${world.baseUrl}/admin`,
      blobEndpoint: world.blobProxyUrl,
      azuriteEndpoint: world.azuriteUrl,
      httpsProxy: `http://127.0.0.1:${publicHosts.port}`,
      pid: process.pid,
    };
    if (options.readyFile) await writeFile(options.readyFile, `${JSON.stringify(config, null, 2)}\n`);
    let stopping: Promise<void> | undefined;
    return {
      config,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

