// Turns the references of a job YAML into what the service takes, as azure-ai-ml does: compute,
// datastore and asset ARM ids (`@latest` looked up), anonymous environments and components registered
// under their content hashes, local code, inputs and build contexts uploaded (deduplicated) to the
// workspace's default datastore.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ArmClient } from '../azure/arm.js';
import { AzureError, toAzureError } from '../azure/errors.js';
import { workspaceArmId, type WorkspaceRef } from '../azure/references.js';
import { contentHash, describeLocalAsset, type LocalAsset } from '../storage/asset-hash.js';
import { uploadAsset } from '../storage/blob-engine.js';
import type { Datastore, DatastoreResolver } from './datastores.js';
import { PLACEHOLDER_FILE, PLACEHOLDER_TEXT, uploadedInputUri, type AnonymousEnvironment, type AssetKind, type Resolver } from './job-body.js';
import type { JobFile, Path } from './job-yaml.js';
import { ANONYMOUS_COMPONENT, ANONYMOUS_ENVIRONMENT } from './python-compat.js';

export interface UploadRecord {
  what: string;
  source: string;
  uploaded: boolean;
  bytes: number;
  files: number;
}

type Json = Record<string, unknown>;

export class AzureResolver implements Resolver {
  readonly uploads: UploadRecord[] = [];
  /** Anonymous assets registered for this job: kind, name, version. */
  readonly registered: Array<{ kind: string; name: string; version: string }> = [];
  private readonly base: string;

  constructor(
    private readonly arm: ArmClient,
    private readonly ws: WorkspaceRef,
    private readonly datastores: DatastoreResolver,
    private readonly file: JobFile,
    private readonly signal: AbortSignal,
  ) {
    this.base = workspaceArmId(ws);
  }

  /**
   * Starts opening the default datastore (sign-in, lookup, credentials) while a local folder is being
   * hashed; its outcome, error included, is taken up where the upload awaits it.
   */
  private openStoreAhead(): void {
    this.datastores.default(this.ws).catch(() => undefined);
  }

  async computeId(name: string): Promise<string> {
    return name.startsWith('/subscriptions/') ? name : `${this.base}/computes/${name}`;
  }

  async datastoreId(name: string): Promise<string> {
    return `${this.base}/datastores/${name}`;
  }

  /** A version's ARM id; without a version, the container's latest (as `az ml` resolves `@latest`). */
  async assetId(kind: AssetKind, name: string, version: string | undefined, at: Path): Promise<string> {
    if (version) return `${this.base}/${kind}/${name}/versions/${version}`;
    const what = { data: 'data asset', models: 'model', environments: 'environment', components: 'component', codes: 'code' }[kind];
    let latest: string | undefined;
    try {
      const container = await this.arm.get<{ properties?: { latestVersion?: string | null } }>(`${this.base}/${kind}/${encodeURIComponent(name)}`, `Looking up the latest version of ${what} ${name}`);
      latest = container.properties?.latestVersion ?? undefined;
    } catch (error) {
      const wrapped = toAzureError(error, `Looking up the latest version of ${what} ${name}`);
      if (wrapped instanceof AzureError && wrapped.status === 404) throw this.file.error(at, `names ${what} '${name}', which does not exist in workspace ${this.ws.workspace}.`);
      throw wrapped;
    }
    if (!latest) throw this.file.error(at, `names ${what} '${name}', which has no versions.`);
    return `${this.base}/${kind}/${name}/versions/${latest}`;
  }

  async registerEnvironment(env: AnonymousEnvironment, at: Path): Promise<string> {
    void at;
    const properties = { ...env.properties };
    if (env.buildContext) {
      // azure-ai-ml uploads a build context like code and sends its folder URL (with a trailing slash).
      this.openStoreAhead();
      const asset = await describeLocalAsset(env.buildContext);
      const store = await this.datastores.default(this.ws);
      const result = await uploadTo(store, asset, `the build context ${path.basename(env.buildContext)}`, () =>
        uploadAsset(store.container, asset, { name: ANONYMOUS_ENVIRONMENT, version: env.version }, { signal: this.signal }),
      );
      this.uploads.push({ what: 'build context', source: path.relative(this.file.dir, env.buildContext) || '.', uploaded: result.uploaded, bytes: result.bytes, files: result.files });
      properties.build = { ...(properties.build as Json), contextUri: `${store.container.url.replace(/\?.*$/, '')}/${asset.assetPath}/` };
    }
    await this.arm.put(`${this.base}/environments/${ANONYMOUS_ENVIRONMENT}/versions/${encodeURIComponent(env.version)}`, { properties }, `Registering the job's inline environment (${ANONYMOUS_ENVIRONMENT}:${env.version})`);
    this.registered.push({ kind: 'environment', name: ANONYMOUS_ENVIRONMENT, version: env.version });
    return `${this.base}/environments/${ANONYMOUS_ENVIRONMENT}/versions/${env.version}`;
  }

  async codeId(folder: string, at: Path, options: { component: boolean }): Promise<string> {
    void at;
    this.openStoreAhead();
    const asset = await describeLocalAsset(folder, options.component ? { extraIgnores: ['__pycache__'] } : {});
    return this.registerCode(asset, path.relative(this.file.dir, folder) || '.', `${this.base}`);
  }

  async placeholderCodeId(): Promise<string> {
    // A component without code gets azure-ai-ml's one-line placeholder file, so that all such
    // components share one code version (and so their anonymous versions).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-placeholder-'));
    try {
      const file = path.join(dir, PLACEHOLDER_FILE);
      writeFileSync(file, PLACEHOLDER_TEXT);
      return await this.registerCode(await describeLocalAsset(file), 'component placeholder', this.base);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private async registerCode(asset: LocalAsset, source: string, base: string): Promise<string> {
    // The code version's SHA-256 content hash is computed while the upload runs.
    const hashing = contentHash(asset);
    hashing.catch(() => undefined);
    const store = await this.datastores.default(this.ws);
    const name = randomUUID();
    const result = await uploadTo(store, asset, `the code folder ${source}`, () => uploadAsset(store.container, asset, { name, version: '1' }, { signal: this.signal }));
    this.uploads.push({ what: 'code', source, uploaded: result.uploaded, bytes: result.bytes, files: result.files });
    // An earlier upload of the same content was registered as a code version: reuse it if it is still there.
    if (!result.uploaded && result.previous?.name && result.previous.version) {
      const previous = result.previous as { name: string; version: string };
      const found = await this.arm.get(`${base}/codes/${encodeURIComponent(previous.name)}/versions/${encodeURIComponent(previous.version)}`, `Reading code ${previous.name}:${previous.version}`).catch(() => undefined);
      if (found) return `${base}/codes/${previous.name}/versions/${previous.version}`;
    }
    // A folder's URL is the folder; a single file's is the folder it was uploaded into.
    const remote = asset.isFolder ? asset.assetPath : asset.assetPath.slice(0, asset.assetPath.lastIndexOf('/'));
    const codeUri = `${store.container.url.replace(/\?.*$/, '')}/${remote}`;
    const hash = await hashing;
    await this.arm.put(
      `${base}/codes/${name}/versions/1`,
      { properties: { codeUri, isAnonymous: true, isArchived: false, properties: { hash_sha256: hash, hash_version: '202208' } } },
      `Registering the code snapshot of ${source}`,
    );
    return `${base}/codes/${name}/versions/1`;
  }

  async uploadInput(local: string, type: string, at: Path): Promise<string> {
    void at;
    this.openStoreAhead();
    const asset = await describeLocalAsset(local);
    const store = await this.datastores.default(this.ws);
    const source = path.relative(this.file.dir, local) || '.';
    const result = await uploadTo(store, asset, `the input ${source}`, () => uploadAsset(store.container, asset, { name: 'input', version: '1' }, { signal: this.signal }));
    this.uploads.push({ what: `input (${type})`, source, uploaded: result.uploaded, bytes: result.bytes, files: result.files });
    return uploadedInputUri(store.name, asset.assetPath, asset.isFolder, type);
  }

  async registerComponent(body: { properties: Json }, version: string, at: Path): Promise<string> {
    void at;
    await this.arm.put(`${this.base}/components/${ANONYMOUS_COMPONENT}/versions/${encodeURIComponent(version)}`, body, `Registering a pipeline step as anonymous component ${ANONYMOUS_COMPONENT}:${version}`);
    this.registered.push({ kind: 'component', name: ANONYMOUS_COMPONENT, version });
    return `${this.base}/components/${ANONYMOUS_COMPONENT}/versions/${version}`;
  }
}

/**
 * Runs an upload to the datastore's storage; a refusal (403: account key access disabled, missing
 * Storage Blob Data Contributor…) becomes one AzureError sentence naming the account, container and code.
 */
async function uploadTo<T>(store: Datastore, asset: LocalAsset, what: string, upload: () => Promise<T>): Promise<T> {
  const operation = `Uploading ${what} to datastore ${store.name} (storage account ${store.accountName}, container ${store.containerName})`;
  try {
    return await upload();
  } catch (error) {
    const wrapped = toAzureError(error, operation);
    if (wrapped instanceof AzureError && wrapped.status === 403) {
      const code = wrapped.code ?? 'AuthorizationFailure';
      const why =
        code === 'KeyBasedAuthenticationNotPermitted'
          ? 'the storage account does not allow account key access'
          : store.credentialsType === 'None'
            ? 'the signed-in identity needs the Storage Blob Data Contributor role on it'
            : `the datastore's ${store.credentialsType} credentials are not allowed to write`;
      throw new AzureError(
        operation,
        403,
        code,
        `the identity cannot write to storage account ${store.accountName}, container ${store.containerName} (${why}), so ${what} (${asset.files.length} file${asset.files.length === 1 ? '' : 's'}) was not uploaded.`,
        undefined,
        [],
        wrapped.correlationId,
        wrapped.attempts,
      );
    }
    throw wrapped;
  }
}
