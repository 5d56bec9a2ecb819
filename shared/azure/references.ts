// Where things are in Azure ML: workspaces by ARM id or by parts, and the azureml:// URIs that name
// job outputs, datastore paths and registry assets. Parsing is strict: a malformed reference is the
// user's mistake and says which part is wrong.
import { UserError } from '../platform/errors.js';

export interface WorkspaceRef {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

const WORKSPACE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)\/?$/i;

export function workspaceArmId(ws: WorkspaceRef): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.workspace}`;
}

/** `workspace` may be a name (with subscription and resource group beside it) or a full ARM id. */
export function resolveWorkspace(parts: { subscriptionId?: string; resourceGroup?: string; workspace: string }, what = 'workspace'): WorkspaceRef {
  const byId = WORKSPACE_ID.exec(parts.workspace);
  if (byId) return { subscriptionId: byId[1], resourceGroup: byId[2], workspace: byId[3] };
  if (parts.workspace.includes('/')) {
    throw new UserError(
      `'${parts.workspace}' is not a workspace name or ARM id (expected /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<name>).`,
    );
  }
  if (!parts.subscriptionId) throw new UserError(`A subscription id is needed to find ${what} '${parts.workspace}'.`);
  if (!parts.resourceGroup) throw new UserError(`A resource group is needed to find ${what} '${parts.workspace}'.`);
  return { subscriptionId: parts.subscriptionId, resourceGroup: parts.resourceGroup, workspace: parts.workspace };
}

export type AzureMlUri =
  | { kind: 'job-output'; job: string; output: string; path: string }
  | { kind: 'datastore'; workspace?: WorkspaceRef; datastore: string; path: string }
  | { kind: 'registry-asset'; registry: string; assetType: string; name: string; version?: string; label?: string };

export class UriError extends UserError {
  override name = 'UriError';
}

/**
 * Parses the azureml:// forms azure-ai-ml accepts:
 *   azureml://jobs/<job>/outputs/<output>/paths/<path>
 *   azureml://datastores/<ds>/paths/<path>                                    (short datastore form)
 *   azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<ws>/datastores/<ds>/paths/<path>
 *   azureml://registries/<reg>/<models|environments|components|data>/<name>/versions/<v> | labels/<label>
 */
export function parseAzureMlUri(uri: string): AzureMlUri {
  const bad = (expected: string) => new UriError(`'${uri}' is not a valid azureml:// URI: ${expected}.`);
  if (!uri.startsWith('azureml://')) throw bad('it must start with azureml://');
  const rest = uri.slice('azureml://'.length);
  const parts = rest.split('/');
  const pathAfter = (index: number) => decodeURIComponent(parts.slice(index).join('/'));

  if (parts[0] === 'jobs') {
    if (parts.length < 4 || parts[2] !== 'outputs' || !parts[1] || !parts[3]) {
      throw bad('expected azureml://jobs/<job>/outputs/<output>[/paths/<path>]');
    }
    if (parts.length > 4 && parts[4] !== 'paths') throw bad("expected 'paths' after the output name");
    return { kind: 'job-output', job: parts[1], output: parts[3], path: parts.length > 5 ? pathAfter(5) : '' };
  }
  if (parts[0] === 'datastores') {
    if (!parts[1] || parts[2] !== 'paths') throw bad('expected azureml://datastores/<datastore>/paths/<path>');
    return { kind: 'datastore', datastore: parts[1], path: pathAfter(3) };
  }
  if (parts[0] === 'subscriptions') {
    const [, s, rgWord, rg, wsWord, ws, dsWord, ds, pathsWord] = parts;
    if (
      !s ||
      rgWord?.toLowerCase() !== 'resourcegroups' ||
      !rg ||
      wsWord !== 'workspaces' ||
      !ws ||
      dsWord !== 'datastores' ||
      !ds ||
      pathsWord !== 'paths'
    ) {
      throw bad('expected azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<ws>/datastores/<ds>/paths/<path>');
    }
    return { kind: 'datastore', workspace: { subscriptionId: s, resourceGroup: rg, workspace: ws }, datastore: ds, path: pathAfter(9) };
  }
  if (parts[0] === 'registries') {
    const [, registry, assetType, name, which, value] = parts;
    const types = ['models', 'environments', 'components', 'data'];
    if (!registry || !types.includes(assetType) || !name || !['versions', 'labels'].includes(which) || !value || parts.length > 6) {
      throw bad(`expected azureml://registries/<registry>/<${types.join('|')}>/<name>/versions/<version> (or labels/<label>)`);
    }
    return which === 'versions'
      ? { kind: 'registry-asset', registry, assetType, name, version: value }
      : { kind: 'registry-asset', registry, assetType, name, label: value };
  }
  throw bad('expected jobs/…, datastores/…, subscriptions/…/datastores/… or registries/…');
}

/** The long datastore form, as azure-ai-ml sends it to the service (`resolve_short_datastore_url`). */
export function longDatastoreUri(ws: WorkspaceRef, datastore: string, path: string): string {
  return `azureml://subscriptions/${ws.subscriptionId}/resourcegroups/${ws.resourceGroup}/workspaces/${ws.workspace}/datastores/${datastore}/paths/${path}`;
}
