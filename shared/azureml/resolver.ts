// Turns the references of a job YAML into what the service takes: compute and asset ARM ids, curated
// environments as they are, inline environments registered as anonymous versions, local code and
// inputs uploaded (deduplicated) to the workspace's default datastore.
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AzureError, azureCall, toAzureError } from '../azure/errors.js';
import { longDatastoreUri, workspaceArmId, type WorkspaceRef } from '../azure/references.js';
import { describeLocalAsset, type LocalAsset } from '../storage/asset-hash.js';
import { uploadAsset } from '../storage/blob-engine.js';
import type { Datastore, DatastoreResolver } from './datastores.js';
import { checkLocalCode, type Resolver } from './job-body.js';
import type { JobFile, Path } from './job-yaml.js';

export interface UploadRecord {
  what: string;
  source: string;
  uploaded: boolean;
  bytes: number;
  files: number;
}

export class AzureResolver implements Resolver {
  readonly uploads: UploadRecord[] = [];
  private readonly base: string;

  constructor(
    private readonly ml: AzureMachineLearningWorkspaces,
    private readonly ws: WorkspaceRef,
    private readonly datastores: DatastoreResolver,
    private readonly file: JobFile,
    private readonly signal: AbortSignal,
  ) {
    this.base = workspaceArmId(ws);
  }

  async computeId(name: string): Promise<string> {
    return name.startsWith('/subscriptions/') ? name : `${this.base}/computes/${name}`;
  }

  async environmentId(value: string | Record<string, unknown>, at: Path): Promise<string> {
    if (typeof value !== 'string') return this.inlineEnvironment(value, at);
    if (value.startsWith('/subscriptions/') || value.startsWith('azureml://registries/')) return value;
    const ref = value.replace(/^azureml:/, '');
    // Curated environments live in the service's registry; it expands the reference itself.
    if (/^AzureML-/.test(ref)) return value.startsWith('azureml:') ? value : `azureml:${value}`;
    const latest = /^([^:@]+)@latest$/.exec(ref);
    if (latest) {
      const container = await azureCall(`Looking up the latest version of environment ${latest[1]}`, () =>
        this.ml.environmentContainers.get(this.ws.resourceGroup, this.ws.workspace, latest[1]),
      );
      const version = container.properties.latestVersion;
      if (!version) throw this.file.error(at, `names environment '${latest[1]}', which has no versions.`);
      return `${this.base}/environments/${latest[1]}/versions/${version}`;
    }
    const named = /^([^:@]+):([^:@]+)$/.exec(ref);
    if (named) return `${this.base}/environments/${named[1]}/versions/${named[2]}`;
    throw this.file.error(at, `must be azureml:<name>:<version>, azureml:<name>@latest, a curated azureml:AzureML-… environment or an inline image (got '${value}').`);
  }

  private async inlineEnvironment(spec: Record<string, unknown>, at: Path): Promise<string> {
    const image = spec.image;
    if (typeof image !== 'string' || !image) throw this.file.error([...at, 'image'], 'is required for an inline environment (a Docker image).');
    let conda: string | undefined;
    if (spec.conda_file !== undefined) {
      const file = path.resolve(this.file.dir, String(spec.conda_file));
      if (!existsSync(file)) throw this.file.error([...at, 'conda_file'], `names ${String(spec.conda_file)}, which does not exist next to the job file.`);
      conda = readFileSync(file, 'utf8');
    }
    // Anonymous environments are versioned by their content, as azure-ai-ml does, so the same spec is registered once.
    const version = createHash('md5').update(JSON.stringify({ image, conda: conda ?? '' })).digest('hex');
    const name = 'CliV2AnonymousEnvironment';
    await azureCall(`Registering the job's inline environment (${image})`, () =>
      this.ml.environmentVersions.createOrUpdate(this.ws.resourceGroup, this.ws.workspace, name, version, {
        properties: { image, ...(conda ? { condaFile: conda } : {}), isAnonymous: true },
      }),
    );
    return `${this.base}/environments/${name}/versions/${version}`;
  }

  async codeId(value: string, at: Path): Promise<string> {
    if (value.startsWith('/subscriptions/')) return value;
    const named = /^azureml:([^:@/]+):([^:@/]+)$/.exec(value);
    if (named) return `${this.base}/codes/${named[1]}/versions/${named[2]}`;
    const local = path.resolve(this.file.dir, value);
    await checkLocalCode(this.file, value, at);
    const store = await this.datastores.default(this.ws);
    const asset = await describeLocalAsset(local);
    const name = randomUUID();
    const result = await uploadTo(store, asset, `the code folder ${value}`, () => uploadAsset(store.container, asset, { name, version: '1' }, { signal: this.signal }));
    this.uploads.push({ what: 'code', source: value, uploaded: result.uploaded, bytes: result.bytes, files: result.files });
    // An earlier upload of the same content was registered as a code version: reuse it if it is still there.
    if (!result.uploaded && result.previous?.name && result.previous.version) {
      const previous = result.previous as { name: string; version: string };
      const found = await this.ml.codeVersions.get(this.ws.resourceGroup, this.ws.workspace, previous.name, previous.version).catch(() => undefined);
      if (found) return `${this.base}/codes/${previous.name}/versions/${previous.version}`;
    }
    const codeUri = `${store.container.url.replace(/\?.*$/, '')}/${asset.assetPath}`;
    await azureCall(`Registering the code snapshot of ${value}`, () =>
      this.ml.codeVersions.createOrUpdate(this.ws.resourceGroup, this.ws.workspace, name, '1', {
        properties: { codeUri, isAnonymous: true, properties: { hash_sha256: asset.hash, hash_version: '202208' } },
      }),
    );
    return `${this.base}/codes/${name}/versions/1`;
  }

  async inputUri(value: string, type: string, at: Path): Promise<string> {
    if (value.startsWith('azureml://datastores/')) {
      const m = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.*)$/.exec(value);
      if (!m) throw this.file.error(at, `is not a valid datastore URI (azureml://datastores/<name>/paths/<path>): ${value}`);
      return longDatastoreUri(this.ws, m[1], m[2]);
    }
    if (/^(azureml|https?|wasbs?|abfss?):\/\//.test(value)) return value;
    const named = /^azureml:([^:@/]+):([^:@/]+)$/.exec(value);
    if (named) return `azureml:${this.base}/data/${named[1]}/versions/${named[2]}`;
    const local = path.resolve(this.file.dir, value);
    if (!existsSync(local)) throw this.file.error(at, `names '${value}', which does not exist (looked for ${local}).`);
    const store = await this.datastores.default(this.ws);
    const asset = await describeLocalAsset(local);
    const result = await uploadTo(store, asset, `the input ${value}`, () => uploadAsset(store.container, asset, { name: 'input', version: '1' }, { signal: this.signal }));
    this.uploads.push({ what: `input (${type})`, source: value, uploaded: result.uploaded, bytes: result.bytes, files: result.files });
    const blobPath = asset.isFolder ? `${asset.assetPath}/` : asset.files[0].blobPath;
    return longDatastoreUri(this.ws, store.name, blobPath);
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
