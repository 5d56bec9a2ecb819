// References of an online deployment resolved as azure-ai-ml resolves them: code and environment by the
// job resolver (uploads deduplicated against az ml's), models as `azureml:<name>:<version>` → the model
// version's ARM id, `azureml:<name>@latest` → a lookup of the container's latest version, ARM ids and
// registry ids passed on unchanged.
import type { ArmClient } from '../azure/arm.js';
import { workspaceArmId, type WorkspaceRef } from '../azure/references.js';
import type { DatastoreResolver } from './datastores.js';
import { checkLocalCode, environmentId } from './job-body.js';
import { ModelRegistry } from './models.js';
import type { Path } from './job-yaml.js';
import type { OnlineFile, OnlineResolver } from './online-yaml.js';
import { AzureResolver, type UploadRecord } from './resolver.js';

export class AzureDeploymentResolver implements OnlineResolver {
  private readonly inner: AzureResolver;
  private readonly models: ModelRegistry;

  constructor(
    arm: ArmClient,
    private readonly ws: WorkspaceRef,
    datastores: DatastoreResolver,
    private readonly spec: OnlineFile,
    signal: AbortSignal,
  ) {
    this.inner = new AzureResolver(arm, ws, datastores, spec.file, signal);
    this.models = new ModelRegistry(arm, ws);
  }

  get uploads(): UploadRecord[] {
    return this.inner.uploads;
  }

  /** A code version's ARM id, `azureml:<name>:<version>`, or a local folder (checked, uploaded and registered). */
  async codeId(value: string, at: Path): Promise<string> {
    if (value.startsWith('/subscriptions/')) return value;
    const named = /^azureml:([^:@/]+)(?::([^:@/]+)|@latest)$/.exec(value);
    if (named) return this.inner.assetId('codes', named[1], named[2], at);
    return this.inner.codeId(await checkLocalCode(this.spec.file, value, at), at, { component: false });
  }

  environmentId(value: string | Record<string, unknown>, at: Path): Promise<string> {
    return environmentId(this.spec.file, this.inner, value, at);
  }

  async modelId(value: string, at: Path): Promise<string> {
    if (value.startsWith('/subscriptions/') || value.startsWith('azureml://')) return value;
    const base = workspaceArmId(this.ws);
    const latest = /^azureml:([^:@/]+)@latest$/.exec(value);
    if (latest) {
      const container = await this.models.container(latest[1]);
      if (!container) throw this.spec.error(at, `names model ${latest[1]}, which is not registered in workspace ${this.ws.workspace}.`);
      const version = container.properties.latestVersion;
      if (!version) throw this.spec.error(at, `names model '${latest[1]}', which has no versions.`);
      return `${base}/models/${latest[1]}/versions/${version}`;
    }
    const named = /^azureml:([^:@/]+):([^:@/]+)$/.exec(value)!;
    // The version must exist: a missing one is the user's mistake, said before any deployment is created.
    if (!(await this.models.version(named[1], named[2]))) {
      throw this.spec.error(at, `names model ${named[1]} version ${named[2]}, which is not registered in workspace ${this.ws.workspace}.`);
    }
    return `${base}/models/${named[1]}/versions/${named[2]}`;
  }
}
