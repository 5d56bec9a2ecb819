// Moving a model version from one workspace to another: find its files on the source datastore, copy
// them server-side and verified to the target's default datastore (content-addressed, so a re-run or an
// identical model reuses them), then register the version in the target with its metadata and lineage.
// Nothing is registered unless every file arrived intact; a failed copy leaves no blob behind.
import { ContainerSASPermissions, generateBlobSASQueryParameters } from '@azure/storage-blob';
import { toAzureError } from '../azure/errors.js';
import { longDatastoreUri, workspaceArmId } from '../azure/references.js';
import { UserError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';
import { CopyVerificationError } from '../storage/blob-engine.js';
import { copyVerified, ensureMd5, fingerprint, listModelBlobs } from '../storage/verified-copy.js';
import type { Datastore } from './datastores.js';
import { modelArmId, modelFiles, modelId, ModelRegistry, type ModelVersion } from './models.js';
import type { WorkspaceAccess } from './workspace.js';

/** Properties a transferred version carries (lineage, and the content key a re-run looks up). */
export const TRANSFER = {
  content: 'mlops.content',
  sourceModel: 'mlops.transfer.source_model',
  sourceWorkspace: 'mlops.transfer.source_workspace',
  copiedAt: 'mlops.transfer.copied_at',
} as const;

export interface TransferResult {
  name: string;
  version: string;
  /** false when the target already had this content registered. */
  registered: boolean;
  files: number;
  bytes: number;
  bytesCopied: number;
  /** Bytes this process read, to hash source files that had no Content-MD5. */
  bytesHashed: number;
  existing?: ModelVersion;
}

/** A read-only URL for each source blob, from a short-lived container SAS (masked) or the datastore's own SAS. */
function readUrls(platform: Platform, store: Datastore): (blob: string) => string {
  if (store.credentialsType === 'Sas') return (blob) => store.container.getBlobClient(blob).url;
  if (!store.accountKey) {
    throw new UserError(
      `Datastore ${store.name} (storage account ${store.accountName}) is identity-based; copying from it needs a user delegation SAS, which is not supported yet. Use a datastore with an account key or a SAS.`,
    );
  }
  const sas = generateBlobSASQueryParameters(
    {
      containerName: store.containerName,
      permissions: ContainerSASPermissions.parse('r'),
      startsOn: new Date(Date.now() - 5 * 60_000),
      expiresOn: new Date(Date.now() + 2 * 3600_000),
    },
    store.accountKey,
  ).toString();
  const sig = /(?:^|&)sig=([^&]+)/.exec(sas)?.[1];
  platform.setSecret(sas);
  if (sig) platform.setSecret(decodeURIComponent(sig));
  return (blob) => `${store.container.getBlobClient(blob).url.replace(/\?.*$/, '')}?${sas}`;
}

export async function transferModel(
  platform: Platform,
  source: WorkspaceAccess,
  target: WorkspaceAccess,
  version: ModelVersion & { name: string },
  modelName: string,
  signal: AbortSignal,
): Promise<TransferResult> {
  const sourceId = modelId(modelName, version.name);
  const modelUri = version.properties.modelUri ?? '';
  const where = modelFiles(modelUri, source.ws, `Model ${sourceId}`);
  const sourceStore = await source.datastores.named(where.ws, where.datastore);
  const blobs = await listModelBlobs(sourceStore.container, where.path);
  if (blobs.length === 0) throw new UserError(`Model ${sourceId} has no files at ${modelUri}.`);
  const bytesHashed = await ensureMd5(sourceStore.container, blobs, signal);
  if (bytesHashed) platform.info(`Read ${bytesHashed} bytes to hash source files that have no Content-MD5.`);
  const content = fingerprint(blobs).slice(0, 32);
  const bytes = blobs.reduce((n, b) => n + b.size, 0);

  const targetModels = new ModelRegistry(target.arm, target.ws);
  const present = (await targetModels.withProperty(modelName, TRANSFER.content, content))[0];
  if (present) {
    return { name: modelName, version: present.name!, registered: false, files: blobs.length, bytes, bytesCopied: 0, bytesHashed, existing: present };
  }

  // Content-addressed destination: a folder keeps its name (deployments see it under AZUREML_MODEL_DIR).
  const isFolder = !(blobs.length === 1 && blobs[0].name === where.path);
  const folder = where.path.replace(/\/+$/, '').split('/').pop() || modelName;
  const prefix = `mlops-transfer/${modelName}/${content}${isFolder ? `/${folder}` : ''}`;
  const targetStore = await target.datastores.default(target.ws);
  const operation = `Copying model ${sourceId} from storage account ${sourceStore.accountName} to ${targetStore.accountName} (container ${targetStore.containerName})`;
  let copy;
  try {
    copy = await copyVerified({ sasUrl: readUrls(platform, sourceStore) }, blobs, targetStore.container, prefix, { signal });
  } catch (error) {
    const nothingLeft = `No version was registered in workspace ${target.ws.workspace}, and the files this run copied were removed.`;
    if (error instanceof CopyVerificationError) throw new UserError(`${operation} failed: ${error.message} ${nothingLeft}`);
    const wrapped = toAzureError(error, operation);
    if (wrapped instanceof Error && 'describe' in wrapped) {
      // Storage messages end in lines of their own (RequestId:…, Time:…): keep the sentence, the id is given once.
      const text = (wrapped as unknown as { describe(): string }).describe().replace(/\s*RequestId:\S+\s*Time:\S+/g, '');
      throw new UserError(`${text} ${nothingLeft}`);
    }
    throw wrapped;
  }
  platform.info(`Copied ${copy.copied} of ${copy.files} files (${copy.bytesCopied} bytes) server-side to ${targetStore.accountName}; every file verified.`);

  const targetVersion = (await targetModels.version(modelName, version.name)) ? await targetModels.nextVersion(modelName) : version.name;
  const p = version.properties;
  const created = await targetModels.create(modelName, targetVersion, {
    modelUri: longDatastoreUri(target.ws, targetStore.name, isFolder ? `${prefix}/` : `${prefix}/${blobs[0].relative}`),
    modelType: p.modelType,
    description: p.description,
    tags: p.tags ?? {},
    flavors: p.flavors ?? {},
    properties: {
      ...(p.properties ?? {}),
      [TRANSFER.content]: content,
      [TRANSFER.sourceModel]: modelArmId(source.ws, modelName, version.name),
      [TRANSFER.sourceWorkspace]: workspaceArmId(source.ws),
      [TRANSFER.copiedAt]: new Date().toISOString(),
    },
    isAnonymous: false,
  });
  return { name: modelName, version: created.name ?? targetVersion, registered: true, files: blobs.length, bytes, bytesCopied: copy.bytesCopied, bytesHashed };
}
