// Model assets of a workspace: read a version, the container's latest and next version, find versions
// by tag or property (the list filters of the REST API), register a version, and locate a version's
// files on a datastore. Plain JSON through the ARM client (the REST shapes of the spec; the generated
// SDK's types describe them, its runtime is not loaded).
import type { ModelContainer, ModelVersion, ModelVersionProperties } from '@azure/arm-machinelearning';
import type { ArmClient } from '../azure/arm.js';
import { parseAzureMlUri, workspaceArmId, type WorkspaceRef } from '../azure/references.js';
import { UserError } from '../platform/errors.js';

export type { ModelVersion };

/** `azureml:<name>:<version>`, as az ml and deployment YAML name a model. */
export function modelId(name: string, version: string): string {
  return `azureml:${name}:${version}`;
}

export function modelArmId(ws: WorkspaceRef, name: string, version: string): string {
  return `${workspaceArmId(ws)}/models/${name}/versions/${version}`;
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404 || (error as { status?: number }).status === 404;
}

export class ModelRegistry {
  constructor(
    private readonly arm: ArmClient,
    readonly ws: WorkspaceRef,
  ) {}

  private path(name: string, version?: string): string {
    const container = `${workspaceArmId(this.ws)}/models/${encodeURIComponent(name)}`;
    return version === undefined ? container : `${container}/versions/${encodeURIComponent(version)}`;
  }

  private async orUndefined<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  container(name: string): Promise<ModelContainer | undefined> {
    return this.orUndefined(() => this.arm.get<ModelContainer>(this.path(name), `Reading model ${name} in workspace ${this.ws.workspace}`));
  }

  version(name: string, version: string): Promise<ModelVersion | undefined> {
    return this.orUndefined(() => this.arm.get<ModelVersion>(this.path(name, version), `Reading model ${name}:${version} in workspace ${this.ws.workspace}`));
  }

  /** What the service would number the next version (`nextVersion` of the container); 1 for a new model. */
  async nextVersion(name: string): Promise<string> {
    return (await this.container(name))?.properties.nextVersion ?? '1';
  }

  async latest(name: string): Promise<ModelVersion | undefined> {
    const latest = (await this.container(name))?.properties.latestVersion;
    return latest ? this.version(name, latest) : undefined;
  }

  /** Versions matching a list filter, newest first (`tags=` or `properties=`, each `name` or `name=value`). */
  async list(name: string, filter: { tags?: string; properties?: string }, top?: number): Promise<ModelVersion[]> {
    const operation = `Listing versions of model ${name} in workspace ${this.ws.workspace}`;
    try {
      return await this.arm.list<ModelVersion>(`${this.path(name)}/versions`, operation, { query: { ...filter, $orderBy: 'createdtime desc', $top: top }, max: top });
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  async newestWithTag(name: string, key: string, value?: string): Promise<ModelVersion | undefined> {
    return (await this.list(name, { tags: value === undefined ? key : `${key}=${value}` }, 1))[0];
  }

  /** Versions whose property `key` is `value` (the value must hold no `,` or `=`: a hash, an id). */
  withProperty(name: string, key: string, value: string): Promise<ModelVersion[]> {
    if (/[,=]/.test(value)) throw new Error(`A property filter value cannot hold ',' or '=': ${value}`);
    return this.list(name, { properties: `${key}=${value}` });
  }

  create(name: string, version: string, properties: ModelVersionProperties): Promise<ModelVersion> {
    return this.arm.put<ModelVersion>(this.path(name, version), { properties }, `Registering model ${name}:${version} in workspace ${this.ws.workspace}`);
  }
}

export interface ModelFiles {
  /** The workspace whose datastore holds the files (the model's own unless the URI names another). */
  ws: WorkspaceRef;
  datastore: string;
  /** Blob path of a file, or prefix of a folder (no leading slash). */
  path: string;
}

/** Where a model version's files are, from its `modelUri` (the datastore forms the service stores). */
export function modelFiles(modelUri: string, ws: WorkspaceRef, what: string): ModelFiles {
  if (modelUri.startsWith('azureml://')) {
    const uri = parseAzureMlUri(modelUri);
    if (uri.kind === 'datastore') return { ws: uri.workspace ?? ws, datastore: uri.datastore, path: uri.path.replace(/^\/+/, '') };
  }
  throw new UserError(
    `${what} is stored at '${modelUri.replace(/\?.*$/, '')}'; copying models from anything but an Azure ML datastore path (azureml://…/datastores/<name>/paths/<path>) is not supported yet.`,
  );
}
