// Helpers for the emulator's own tests: start it fast, trust its CA in this process, build the
// official clients against it, upload folders, wait for jobs, and compare response shapes with the
// REST spec examples kept under fixtures/spec-examples.
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { ClientSecretCredential } from '@azure/identity';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { REPO_ROOT, start, type ReadyConfig, type RunningEmulator, type StartOptions } from './index.js';

export const ARM_SCOPE = 'https://management.azure.com/.default';

/** Makes this process trust the emulator's CA (what NODE_EXTRA_CA_CERTS does for a new process). */
export function trustCa(caCertPath: string): void {
  const setDefault = (tls as unknown as { setDefaultCACertificates?: (certs: string[]) => void }).setDefaultCACertificates;
  if (!setDefault) throw new Error('tls.setDefaultCACertificates needs Node 22.19 / 24.5 or later; run the tests through npm so Node 24 is used.');
  const current = tls.getCACertificates('default');
  const ca = readFileSync(caCertPath, 'utf8');
  if (!current.includes(ca)) setDefault([...current, ca]);
}

export async function startForTests(options: StartOptions = {}): Promise<RunningEmulator> {
  const emulator = await start({ jobStepDelayMs: 0, provisionDelayMs: 0, lroRetryAfter: 0, logFlushMs: 100, ...options });
  trustCa(emulator.config.caCertPath);
  return emulator;
}

export function credential(config: ReadyConfig): ClientSecretCredential {
  return new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, {
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: true,
  });
}

export function armClient(config: ReadyConfig, extra: { apiVersion?: string } = {}): AzureMachineLearningWorkspaces {
  return new AzureMachineLearningWorkspaces(credential(config), config.subscriptionId, {
    endpoint: config.armEndpoint,
    credentialScopes: [ARM_SCOPE],
    ...extra,
  });
}

/** The blob service of a workspace's storage account, through the blob fault proxy (as clients see it). */
export async function blobService(client: AzureMachineLearningWorkspaces, rg: string, ws: string): Promise<{ service: BlobServiceClient; container: string; account: string }> {
  const [ds] = await listAll(client.datastores.list(rg, ws, { isDefault: true }));
  const props = ds.properties as unknown as { accountName: string; containerName: string; endpoint: string; protocol: string };
  const secrets = (await client.datastores.listSecrets(rg, ws, ds.name!)) as { key: string };
  const service = new BlobServiceClient(`${props.protocol}://${props.endpoint}/${props.accountName}`, new StorageSharedKeyCredential(props.accountName, secrets.key));
  return { service, container: props.containerName, account: props.accountName };
}

export async function listAll<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

/** Uploads a folder (skipping caches) under a blob prefix; returns the number of files. */
export async function uploadFolder(service: BlobServiceClient, container: string, prefix: string, dir: string): Promise<number> {
  const c = service.getContainerClient(container);
  let n = 0;
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name === '__pycache__' || e.name === '.pytest_cache') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(d, e.name), r);
      else {
        await c.getBlockBlobClient(`${prefix}/${r}`).uploadFile(path.join(d, e.name));
        n++;
      }
    }
  };
  await walk(dir, '');
  return n;
}

export async function adminCall<T = unknown>(config: ReadyConfig, method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${config.adminUrl}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`admin ${method} ${route}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * PUT a job over plain REST. @azure/arm-machinelearning 2.1.1 drops `uri` and `mode` of asset inputs and
 * outputs when it serializes a job (azure-sdk-for-js#29328), so jobs with uri_folder/uri_file inputs
 * cannot go through `jobs.createOrUpdate`; GET, list and cancel still do.
 */
export async function putJob(config: ReadyConfig, rg: string, ws: string, name: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const token = (await credential(config).getToken(ARM_SCOPE)).token;
  const url = `${config.armEndpoint}/subscriptions/${config.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${ws}/jobs/${name}?api-version=2022-10-01`;
  const res = await fetch(url, { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const parsed = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw Object.assign(new Error(`PUT job ${name}: ${res.status} ${JSON.stringify(parsed)}`), { statusCode: res.status, body: parsed });
  return { status: res.status, body: parsed };
}

export const TERMINAL = ['Completed', 'Failed', 'Canceled'];

/** Polls a job through the official client until it is terminal (or `until` matches). */
export async function waitForJob(
  client: AzureMachineLearningWorkspaces,
  rg: string,
  ws: string,
  name: string,
  until: (status: string) => boolean = (s) => TERMINAL.includes(s),
  timeoutMs = 60_000,
): Promise<{ status: string; seen: string[] }> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await client.jobs.get(rg, ws, name);
    const status = String(job.properties.status);
    if (seen[seen.length - 1] !== status) seen.push(status);
    if (until(status)) return { status, seen };
    if (Date.now() > deadline) throw new Error(`job ${name} still ${status} after ${timeoutMs} ms (seen ${seen.join(' → ')})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function specExample(relative: string): { parameters: Record<string, unknown>; responses: Record<string, { body?: unknown }> } {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'emulator', 'fixtures', 'spec-examples', relative), 'utf8'));
}

/**
 * Differences between an emulated response body and a spec example body: every key the example has
 * must be present (null counts: the provider's fields are nullable) with a compatible JSON type,
 * except under `optional` paths (dotted, `*` for any key). Objects whose keys are free-form in the spec (the example shows them as "string") are compared
 * by their values' shapes only.
 */
export function shapeMismatches(actual: unknown, example: unknown, optional: string[] = [], where = ''): string[] {
  const isOptional = (p: string) =>
    optional.some((o) => {
      const a = o.split('.');
      const b = p.split('.');
      return a.length === b.length && a.every((seg, i) => seg === '*' || seg === b[i]);
    });
  if (example === null || example === undefined) return [];
  // The provider's fields are nullable: a present null is a value; an absent key is a missing one.
  if (actual === null) return [];
  if (actual === undefined) return isOptional(where) ? [] : [`${where || '(root)'}: missing (example has ${JSON.stringify(example).slice(0, 60)})`];
  if (Array.isArray(example)) {
    if (!Array.isArray(actual)) return [`${where}: expected an array, got ${typeof actual}`];
    if (example.length === 0 || actual.length === 0) return [];
    return shapeMismatches(actual[0], example[0], optional, `${where}[]`);
  }
  if (typeof example === 'object') {
    if (typeof actual !== 'object' || Array.isArray(actual)) return [`${where}: expected an object, got ${JSON.stringify(actual).slice(0, 60)}`];
    const ex = example as Record<string, unknown>;
    const ac = actual as Record<string, unknown>;
    const keys = Object.keys(ex);
    // A free-form map in the example ({"string": …}): check each actual value against the sample value.
    if (keys.length === 1 && (keys[0] === 'string' || /^[0-9a-f-]{36}$/.test(keys[0]))) {
      return Object.entries(ac).flatMap(([k, v]) => shapeMismatches(v, ex[keys[0]], optional, `${where}.${k}`));
    }
    return keys.flatMap((k) => {
      const p = where ? `${where}.${k}` : k;
      if (!(k in ac) || ac[k] === undefined) return isOptional(p) ? [] : [`${p}: missing`];
      return shapeMismatches(ac[k], ex[k], optional, p);
    });
  }
  if (typeof actual !== typeof example) return [`${where}: expected ${typeof example}, got ${JSON.stringify(actual).slice(0, 60)}`];
  return [];
}

export const SAMPLE_PROJECT = path.join(REPO_ROOT, 'examples', 'credit-default');
export { REPO_ROOT };
