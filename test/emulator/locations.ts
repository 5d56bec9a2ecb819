// Turns the storage references Azure ML accepts into (account, container, path) on Azurite:
//   azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<ws>/datastores/<ds>/paths/<p>
//   azureml://datastores/<ds>/paths/<p>                 (in the job's own workspace)
//   azureml://datastores/<ds>/<p>                       (the form of a job's `default` output)
//   azureml://jobs/<job>/outputs/<output>[/paths/<p>]
//   azureml:<data-name>:<version> and data-version ARM ids (through their dataUri)
//   http(s)://127.0.0.1:<port>/<account>/<container>/<p>       (Azurite path style, direct or proxied)
//   https://<account>.blob.core.windows.net/<container>/<p>    and wasbs://<container>@<account>.blob.core.windows.net/<p>
import { resolveAssetRef } from './assets.js';
import { findWorkspace, getCi, type World, type Workspace } from './world.js';

export interface BlobLocation {
  account: string;
  container: string;
  /** Blob name or prefix, no leading slash. */
  path: string;
}

export type JobOutputLookup = (ws: Workspace, job: string, output: string) => BlobLocation | undefined;

export class LocationError extends Error {}

export function datastoreLocation(ws: Workspace, datastore: string, p: string): BlobLocation {
  const ds = getCi(ws.datastores, datastore);
  if (!ds) throw new LocationError(`Datastore '${datastore}' was not found in workspace '${ws.name}'.`);
  const props = ds.properties as Record<string, unknown>;
  if (props.datastoreType !== 'AzureBlob') throw new LocationError(`Datastore '${datastore}' is not an Azure Blob datastore.`);
  return { account: String(props.accountName), container: String(props.containerName), path: p.replace(/^\/+/, '') };
}

function join(base: string, rel: string): string {
  const b = base.replace(/\/+$/, '');
  const r = rel.replace(/^\/+/, '');
  if (!r) return base;
  return b ? `${b}/${r}` : r;
}

/**
 * The blob an http(s) storage URL names, in either form the emulator's storage has: Azurite's path style
 * (http://127.0.0.1:<port>/<account>/<container>/<p>, what datastores name) and the public host name
 * (https://<account>.blob.core.windows.net/<container>/<p>, what azure-ai-ml builds). Undefined otherwise.
 */
export function blobUrlLocation(uri: string): BlobLocation | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const cloud = /^([a-z0-9]+)\.blob\./i.exec(url.hostname);
  if (cloud && segs[0]) return { account: cloud[1], container: segs[0], path: segs.slice(1).join('/') };
  if ((url.hostname === '127.0.0.1' || url.hostname === 'localhost') && segs.length >= 2) return { account: segs[0], container: segs[1], path: segs.slice(2).join('/') };
  return undefined;
}

export function resolveLocation(world: World, ws: Workspace, uri: string, jobOutput: JobOutputLookup, depth = 0): BlobLocation {
  if (depth > 5) throw new LocationError(`'${uri}' refers to itself.`);
  const fail = (why: string) => new LocationError(`Cannot resolve '${uri}': ${why}.`);
  if (uri.startsWith('azureml://')) {
    const parts = uri.slice('azureml://'.length).split('/');
    const decode = (s: string[]) => s.map(decodeURIComponent).join('/');
    if (parts[0] === 'subscriptions') {
      const [, s, , rg, , wsName, dsWord, ds, pathsWord] = parts;
      if (dsWord !== 'datastores' || pathsWord !== 'paths') throw fail('expected …/workspaces/<ws>/datastores/<ds>/paths/<path>');
      const target = findWorkspace(world, s, rg, wsName);
      if (!target) throw fail(`workspace '${wsName}' in resource group '${rg}' does not exist`);
      return datastoreLocation(target, ds, decode(parts.slice(9)));
    }
    if (parts[0] === 'datastores') {
      if (parts[2] === 'paths') return datastoreLocation(ws, parts[1], decode(parts.slice(3)));
      return datastoreLocation(ws, parts[1], decode(parts.slice(2)));
    }
    if (parts[0] === 'jobs') {
      if (parts[2] !== 'outputs' || !parts[3]) throw fail('expected azureml://jobs/<job>/outputs/<output>[/paths/<path>]');
      const loc = jobOutput(ws, parts[1], parts[3]);
      if (!loc) throw fail(`job '${parts[1]}' has no output '${parts[3]}'`);
      const rel = parts[4] === 'paths' ? decode(parts.slice(5)) : '';
      return { ...loc, path: rel ? join(loc.path, rel) : loc.path };
    }
    throw fail('unsupported azureml:// form');
  }
  if (uri.startsWith('azureml:') || /^\/subscriptions\//i.test(uri)) {
    const data = resolveAssetRef(world, ws, 'data', uri);
    if (!data) throw fail('no such data asset version');
    return resolveLocation(world, data.ws, String(data.version.properties.dataUri), jobOutput, depth + 1);
  }
  const wasbs = /^wasbs?:\/\/([^@]+)@([^.]+)\.blob\.[^/]+\/?(.*)$/i.exec(uri);
  if (wasbs) return { account: wasbs[2], container: wasbs[1], path: decodeURIComponent(wasbs[3]) };
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw fail('not a URI');
  }
  const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const cloud = /^([a-z0-9]+)\.blob\./i.exec(url.hostname);
  if (cloud) {
    if (!segs[0]) throw fail('no container in the URL');
    return { account: cloud[1], container: segs[0], path: segs.slice(1).join('/') };
  }
  if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') {
    if (segs.length < 2) throw fail('expected http://127.0.0.1:<port>/<account>/<container>/<path>');
    return { account: segs[0], container: segs[1], path: segs.slice(2).join('/') };
  }
  throw fail('not a storage location the emulator knows');
}
