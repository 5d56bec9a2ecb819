// The core Azure layer under faults, against the emulator: throttling and server errors on ARM and
// blob routes are retried (and logged) until calls succeed; exhausted retries give the error model;
// a server-side copy between the dev and prod workspaces' storage accounts is verified, and a
// corrupted copy is reported.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { BlobSASPermissions, generateBlobSASQueryParameters } from '@azure/storage-blob';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AzureError } from '../../shared/azure/errors.js';
import { workspaceArmId } from '../../shared/azure/references.js';
import { DatastoreResolver } from '../../shared/azureml/datastores.js';
import { describeLocalAsset } from '../../shared/storage/asset-hash.js';
import { copyPrefix, uploadAsset } from '../../shared/storage/blob-engine.js';
import { start, type RunningEmulator } from '../emulator/index.js';
import { trustCa } from '../emulator/testing.js';
import { RecordingPlatform } from '../helpers/recording-platform.js';
import { findLeaks } from '../helpers/secret-scan.js';
import { secretsOfRunningEmulators } from '../emulator/secrets.js';
import { emulatorArm, emulatorPlatform } from '../helpers/emulator-arm.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await start({});
  // In-process clients trust the emulator's CA the way NODE_EXTRA_CA_CERTS makes a bundle trust it.
  trustCa(emulator.config.caCertPath);
}, 120000);
afterAll(async () => {
  await emulator?.stop();
});

const platformWithInputs = () => emulatorPlatform(emulator.config);

/** What the emulator handed out as `what` (its own record, not what the product read). */
function handedOut(what: string): string {
  const found = secretsOfRunningEmulators().filter((s) => s.what === what);
  expect(found).toHaveLength(1);
  return found[0].value;
}

async function connect(platform: RecordingPlatform) {
  // Read as a step reads its inputs, so a secret input is masked as it would be.
  const { access, stats, arm } = await emulatorArm(emulator.config, platform);
  return { access, stats, arm, datastores: new DatastoreResolver(platform, arm, access, stats) };
}

const dev = () => ({ subscriptionId: emulator.config.subscriptionId, resourceGroup: emulator.config.dev.resourceGroup, workspace: emulator.config.dev.workspace });
const prod = () => ({ subscriptionId: emulator.config.subscriptionId, resourceGroup: emulator.config.prod.resourceGroup, workspace: emulator.config.prod.workspace });

async function admin(method: string, route: string, body?: unknown) {
  const response = await fetch(`${emulator.config.adminUrl}${route.replace(/^\/admin/, '')}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`admin ${method} ${route}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

function folder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-'));
  const src = path.join(dir, 'model');
  fs.mkdirSync(src);
  for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(src, `part-${i}.bin`), Buffer.alloc(20_000 + i, i));
  return src;
}

describe('under 20 % injected throttling and server errors', () => {
  test('ARM calls and an upload complete, and the retries are in the debug log', async () => {
    await admin('POST', '/admin/faults', { target: 'api', path: '^/subscriptions/', probability: 0.1, status: 429, retryAfter: 1 });
    // The random rules may miss a short run entirely; the first ARM call and first blob call are always hit.
    await admin('POST', '/admin/faults', { target: 'api', path: '^/subscriptions/', count: 1, status: 429, retryAfter: 1 });
    await admin('POST', '/admin/faults', { target: 'blob', count: 1, status: 503, retryAfter: 1 });
    await admin('POST', '/admin/faults', { target: 'api', path: '^/subscriptions/', probability: 0.1, status: 503, retryAfter: 1 });
    await admin('POST', '/admin/faults', { target: 'blob', probability: 0.2, status: 503, retryAfter: 1 });
    try {
      const platform = platformWithInputs();
      const { arm, stats, datastores } = await connect(platform);
      for (let i = 0; i < 20; i++) {
        const ws = await arm.get<{ name: string }>(workspaceArmId(dev()), 'Reading the workspace');
        expect(ws.name).toBe(dev().workspace);
      }
      const store = await datastores.default(dev());
      const asset = await describeLocalAsset(folder());
      const uploaded = await uploadAsset(store.container, asset, { name: 'faults', version: '1' }, { concurrency: 4 });
      expect(uploaded.files).toBe(30);
      const names: string[] = [];
      for await (const b of store.container.listBlobsFlat({ prefix: `${asset.assetPath}/` })) names.push(b.name);
      expect(names).toHaveLength(30);
      expect(stats.retries).toBeGreaterThan(0);
      expect(platform.debugLines.some((l) => / → 429 /.test(l))).toBe(true);
      expect(platform.debugLines.some((l) => /blob|mlops(dev|prod)store/.test(l) && / → 503 /.test(l))).toBe(true);
      expect(platform.debugLines.join('\n')).not.toMatch(/sig=/);
      expect(findLeaks([...platform.lines, ...platform.debugLines].map((text, i) => ({ where: `line ${i + 1}`, text })), secretsOfRunningEmulators())).toEqual([]);
    } finally {
      await admin('DELETE', '/admin/faults');
    }
  }, 180000);

  test('exhausted retries end in the error model: status, code, message, attempts, correlation id', async () => {
    const platform = platformWithInputs();
    const { arm } = await connect(platform);
    await admin('POST', '/admin/faults', { target: 'api', method: 'GET', path: '/workspaces/[^/]+$', count: 100, status: 503, retryAfter: 1 });
    try {
      const error = await arm.get(workspaceArmId(dev()), 'Reading the workspace').catch((e) => e);
      expect(error).toBeInstanceOf(AzureError);
      expect((error as AzureError).describe()).toMatch(
        /^Reading the workspace failed \(HTTP 503 [A-Za-z]+\): .+ Gave up after 7 attempts\. Correlation id: [0-9a-f-]{36}\.$/,
      );
    } finally {
      await admin('DELETE', '/admin/faults');
    }
  }, 120000);
});

describe('server-side copy between the two workspaces’ storage accounts', () => {
  async function setUp() {
    const platform = platformWithInputs();
    const { datastores } = await connect(platform);
    const source = await datastores.default(dev());
    const target = await datastores.default(prod());
    const asset = await describeLocalAsset(folder());
    await uploadAsset(source.container, asset, { name: 'm', version: '1' });
    const sas = async (blob: string) =>
      `${source.container.getBlobClient(blob).url}?${generateBlobSASQueryParameters(
        { containerName: source.containerName, blobName: blob, permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3600_000) },
        source.accountKey!,
      )}`;
    return { platform, source, target, asset, sas };
  }

  test('copies every blob and verifies length and MD5', async () => {
    const { source, target, asset, sas, platform } = await setUp();
    const checks = await copyPrefix(source.container, asset.assetPath, sas, target.container, 'promoted/m/1');
    expect(checks).toHaveLength(30);
    expect(source.accountName).not.toBe(target.accountName);
    // Each secret the step came to hold was given to the platform to mask, before any use: the client
    // secret input, and the account key of each datastore it opened (as the emulator issued them).
    const masked = (value: string) => platform.secrets.includes(value);
    expect({ clientSecret: masked(emulator.config.clientSecret) }).toEqual({ clientSecret: true });
    for (const account of [emulator.config.dev.storageAccount, emulator.config.prod.storageAccount]) {
      expect({ account, keyMasked: masked(handedOut(`the account key of ${account}`)) }).toEqual({ account, keyMasked: true });
    }
    // …and nothing the step printed or logged at debug level shows any secret the emulator handed out.
    expect(findLeaks([...platform.lines, ...platform.debugLines].map((text, i) => ({ where: `line ${i + 1}`, text })), secretsOfRunningEmulators())).toEqual([]);
  }, 120000);

  test('a blob corrupted in transit is reported when copies are read back, not accepted', async () => {
    const { source, target, asset, sas } = await setUp();
    await admin('POST', '/admin/faults', { target: 'blob', method: 'GET', path: 'part-7\\.bin$', corrupt: true });
    try {
      await expect(copyPrefix(source.container, asset.assetPath, sas, target.container, 'promoted/m/2', { verifyContent: true })).rejects.toThrow(
        /^Copy of LocalUpload\/[0-9a-f]{32}\/model\/part-7\.bin is corrupt: its bytes hash to .*, the source's Content-MD5 is .*\.$/,
      );
    } finally {
      await admin('DELETE', '/admin/faults');
    }
  }, 120000);
});
