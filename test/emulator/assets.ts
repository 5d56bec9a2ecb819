// Versioned assets of a workspace: codes, environments, data, models and components, each a container
// with versions (PUT/GET/list/DELETE), `latestVersion`/`nextVersion` on the container, tags and
// properties, and the provider's validation of the fields each kind needs.
import { Ctx, HttpError, type Reply } from './http.js';
import { callerOf, mlError, page, systemData, type Caller } from './arm-common.js';
import type { JwtClaims } from './jwt.js';
import { blobUrlLocation, type JobOutputLookup } from './locations.js';
import { ASSET_KINDS, getCi, now, workspaceArmId, type AssetContainer, type AssetKind, type AssetVersion, type World, type Workspace } from './world.js';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,254}$/;
// The spec puts no length cap on versions (anonymous components are GUIDs, environments MD5s).
const VERSION = /^[a-zA-Z0-9][a-zA-Z0-9\-_.]*$/;

interface Stored {
  createdBy: Caller;
  modifiedBy: Caller;
}
type Meta = Stored & { createdAt: string; modifiedAt: string };

const meta = new WeakMap<object, Meta>();

export function assetKind(segment: string): AssetKind | undefined {
  return ASSET_KINDS.find((k) => k.toLowerCase() === segment.toLowerCase());
}

export function assetVersionId(ws: Workspace, kind: AssetKind, name: string, version: string): string {
  return `${workspaceArmId(ws)}/${kind}/${name}/versions/${version}`;
}

/** Finds a version named by an ARM id, `azureml:<name>:<version>` or `azureml:<name>@latest`, in `ws`. */
export function resolveAssetRef(world: World, ws: Workspace, kind: AssetKind, ref: string): { ws: Workspace; version: AssetVersion; id: string } | undefined {
  const armId = new RegExp(
    `^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\\.MachineLearningServices/workspaces/([^/]+)/${kind}/([^/]+)/versions/([^/]+)$`,
    'i',
  ).exec(ref.replace(/^azureml:/, ''));
  let target = ws;
  let name: string;
  let version: string | undefined;
  if (armId) {
    const found = world.workspaces.find(
      (w) =>
        w.subscriptionId.toLowerCase() === armId[1].toLowerCase() &&
        w.resourceGroup.toLowerCase() === armId[2].toLowerCase() &&
        w.name.toLowerCase() === armId[3].toLowerCase(),
    );
    if (!found) return undefined;
    target = found;
    name = armId[4];
    version = armId[5];
  } else {
    const short = /^azureml:([^:@/]+)(?::([^:@/]+)|@latest)$/.exec(ref);
    if (!short) return undefined;
    name = short[1];
    version = short[2];
  }
  const container = getCi(target.assets[kind], name);
  if (!container) return undefined;
  const v = version ? container.versions.get(version) : latest(container);
  if (!v) return undefined;
  return { ws: target, version: v, id: assetVersionId(target, kind, container.name, v.version) };
}

function latest(c: AssetContainer): AssetVersion | undefined {
  let best: AssetVersion | undefined;
  for (const v of c.versions.values()) if (!best || v.createdAt >= best.createdAt) best = v;
  return best;
}

function nextVersion(c: AssetContainer): string {
  let max = 0;
  for (const v of c.versions.keys()) if (/^\d+$/.test(v)) max = Math.max(max, Number(v));
  return String(max + 1);
}

function containerBody(ws: Workspace, kind: AssetKind, c: AssetContainer) {
  const m = meta.get(c)!;
  const l = latest(c);
  return {
    id: `${workspaceArmId(ws)}/${kind}/${c.name}`,
    name: c.name,
    type: `Microsoft.MachineLearningServices/workspaces/${kind}`,
    properties: {
      description: c.properties.description ?? null,
      tags: c.properties.tags ?? {},
      properties: c.properties.properties ?? {},
      isArchived: c.properties.isArchived ?? false,
      latestVersion: l?.version ?? null,
      nextVersion: nextVersion(c),
    },
    systemData: systemData({ at: c.createdAt, by: m.createdBy }, { at: c.modifiedAt, by: m.modifiedBy }),
  };
}

export function versionBody(ws: Workspace, kind: AssetKind, containerName: string, v: AssetVersion) {
  const m = meta.get(v)!;
  return {
    id: assetVersionId(ws, kind, containerName, v.version),
    name: v.version,
    type: `Microsoft.MachineLearningServices/workspaces/${kind}/versions`,
    properties: v.properties,
    systemData: systemData({ at: v.createdAt, by: m.createdBy }, { at: v.modifiedAt, by: m.modifiedBy }),
  };
}

function badArgument(ctx: Ctx, ws: Workspace, message: string, target?: string): HttpError {
  return mlError(ctx, 400, message, 'BadArgument', { target, location: ws.location });
}

/**
 * Equal, or the same blob addressed through the other form of the storage URL: one account reached as
 * http://127.0.0.1:<port>/<account>/… (the datastore's endpoint) and as https://<account>.blob.core.windows.net/…
 * (what azure-ai-ml builds) — on Azure both clients would send the one public URL.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (JSON.stringify(a) === JSON.stringify(b)) return true;
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const [x, y] = [blobUrlLocation(a), blobUrlLocation(b)];
  return !!x && !!y && x.account === y.account && x.container === y.container && x.path.replace(/\/+$/, '') === y.path.replace(/\/+$/, '');
}

/** Fills the read-only and defaulted fields of a version the way the service returns them. */
function normalizeVersion(ctx: Ctx, ws: Workspace, kind: AssetKind, props: Record<string, unknown>, existing?: AssetVersion, jobOutput?: JobOutputLookup): Record<string, unknown> {
  const out: Record<string, unknown> = {
    description: props.description ?? null,
    tags: props.tags ?? {},
    properties: props.properties ?? {},
    isArchived: props.isArchived ?? false,
    isAnonymous: props.isAnonymous ?? false,
  };
  const required = (field: string) => {
    const v = props[field];
    if (v === undefined || v === null || v === '') {
      throw mlError(ctx, 400, 'One or more validation errors occurred.', 'BadArgument', {
        location: ws.location,
        details: [{ code: 'Required', message: `The ${field[0].toUpperCase()}${field.slice(1)} field is required.`, target: `properties.${field}` }],
      });
    }
    return v;
  };
  switch (kind) {
    case 'codes':
      out.codeUri = required('codeUri');
      break;
    case 'models': {
      const given = String(required('modelUri'));
      const fromJob = jobOutputModelUri(ctx, ws, given, jobOutput);
      out.modelUri = fromJob?.uri ?? given;
      out.modelType = props.modelType ?? 'CustomModel';
      // The service answers `flavors: {}` when none were given; azure-ai-ml's Model._from_rest_object
      // iterates it and fails on a missing one.
      out.flavors = props.flavors ?? {};
      if (props.jobName !== undefined) out.jobName = props.jobName;
      else if (fromJob) out.jobName = fromJob.job;
      break;
    }
    case 'data': {
      const dataType = String(required('dataType'));
      if (!['uri_file', 'uri_folder', 'mltable'].includes(dataType)) {
        throw badArgument(ctx, ws, `Unsupported dataType '${dataType}'. Supported values are uri_file, uri_folder, mltable.`, 'properties.dataType');
      }
      out.dataType = dataType;
      out.dataUri = required('dataUri');
      if (props.referencedUris !== undefined) out.referencedUris = props.referencedUris;
      break;
    }
    case 'environments':
      if (!props.image && !props.build) {
        throw badArgument(ctx, ws, 'An environment needs either an image or a build context.', 'properties.image');
      }
      out.environmentType = 'UserCreated';
      out.osType = props.osType ?? 'Linux';
      out.autoRebuild = props.autoRebuild ?? 'Disabled';
      for (const k of ['image', 'condaFile', 'build', 'inferenceConfig']) if (props[k] !== undefined) out[k] = props[k];
      break;
    case 'components':
      out.componentSpec = required('componentSpec');
      break;
  }
  if (existing) {
    // Versions are immutable apart from their description, tags, properties and archive flag.
    const key = { codes: 'codeUri', models: 'modelUri', data: 'dataUri', environments: 'image', components: 'componentSpec' }[kind];
    if (!sameValue(existing.properties[key], out[key])) {
      throw mlError(ctx, 409, `${kind === 'data' ? 'Data' : kind[0].toUpperCase() + kind.slice(1, -1)} version ${existing.name}:${existing.version} already exists and its ${key} cannot be changed. Assets are immutable; create a new version instead.`, 'Conflict', {
        location: ws.location,
      });
    }
  }
  return out;
}

/**
 * A model registered from `azureml://jobs/<job>/outputs/<output>[/paths/<p>]` is stored with the
 * datastore path that output was written to (long form), as the service does: azure-ai-ml's
 * `models.download` reads the datastore name and path out of the stored URI.
 */
function jobOutputModelUri(ctx: Ctx, ws: Workspace, uri: string, jobOutput?: JobOutputLookup): { uri: string; job: string } | undefined {
  const m = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)(?:\/paths\/(.*))?$/.exec(uri);
  if (!m || !jobOutput) return undefined;
  const [, job, output, rel] = m;
  const loc = jobOutput(ws, job, output);
  if (!loc) {
    throw mlError(ctx, 400, `Could not resolve the model path '${uri}': job '${job}' has no output '${output}' in workspace '${ws.name}'.`, 'ModelAssetPathNotFound', {
      target: 'properties.modelUri',
      location: ws.location,
    });
  }
  const datastore = [...ws.datastores.values()].find((d) => {
    const p = d.properties as Record<string, unknown>;
    return String(p.accountName) === loc.account && String(p.containerName) === loc.container;
  });
  if (!datastore) return undefined;
  const base = loc.path.replace(/\/+$/, '');
  const tail = rel ? `/${rel.replace(/^\/+/, '')}` : '/';
  return {
    job,
    uri: `azureml://subscriptions/${ws.subscriptionId}/resourcegroups/${ws.resourceGroup}/workspaces/${ws.name}/datastores/${String(datastore.name)}/paths/${base}${tail}`,
  };
}

export async function handleAssets(world: World, ctx: Ctx, ws: Workspace, rest: string[], claims: JwtClaims, jobOutput?: JobOutputLookup): Promise<Reply> {
  const kind = assetKind(rest[0])!;
  const store = ws.assets[kind];
  const caller = callerOf(claims);
  const notFound = (what: string) => mlError(ctx, 404, `Could not find ${what}.`, 'NotFoundError', { location: ws.location });
  const invalid = (m: string) => badArgument(ctx, ws, m);

  if (rest.length === 1) {
    if (ctx.method !== 'GET') throw methodNotAllowed(ctx);
    const view = (ctx.query('listViewType') ?? 'ActiveOnly').toLowerCase();
    const items = [...store.values()]
      .filter((c) => view === 'all' || (view === 'archivedonly' ? c.properties.isArchived === true : c.properties.isArchived !== true))
      .map((c) => containerBody(ws, kind, c));
    return { status: 200, body: page(world.settings, ctx, items, { count: kind === 'models' }) };
  }
  const name = rest[1];
  if (rest.length === 2) {
    const c = getCi(store, name);
    if (ctx.method === 'GET') {
      if (!c) throw notFound(`${kind} container ${name}`);
      return { status: 200, body: containerBody(ws, kind, c) };
    }
    if (ctx.method === 'PUT') {
      if (!NAME.test(name)) throw invalid(`The name '${name}' is invalid. Names start with a letter or digit and contain only letters, digits, '-', '_' and '.'.`);
      const body = await ctx.json<{ properties?: Record<string, unknown> }>(invalid);
      if (typeof body !== 'object' || body === null || typeof body.properties !== 'object' || body.properties === null) throw invalid("The request body must contain 'properties'.");
      const t = now();
      const props = { description: body.properties.description, tags: body.properties.tags, properties: body.properties.properties, isArchived: body.properties.isArchived };
      if (c) {
        c.properties = props;
        c.modifiedAt = t;
        meta.get(c)!.modifiedBy = caller;
        return { status: 200, body: containerBody(ws, kind, c) };
      }
      const created: AssetContainer = { name, properties: props, versions: new Map(), createdAt: t, modifiedAt: t };
      meta.set(created, { createdAt: t, modifiedAt: t, createdBy: caller, modifiedBy: caller });
      store.set(name.toLowerCase(), created);
      return { status: 201, body: containerBody(ws, kind, created) };
    }
    if (ctx.method === 'DELETE') {
      if (!c) return { status: 204 };
      store.delete(name.toLowerCase());
      return { status: 200 };
    }
    throw methodNotAllowed(ctx);
  }
  if (rest[2].toLowerCase() !== 'versions' || rest.length > 4) throw notFound(`the requested resource`);
  const c = getCi(store, name);
  if (rest.length === 3) {
    if (ctx.method !== 'GET') throw methodNotAllowed(ctx);
    if (!c) throw notFound(`${kind} container ${name}`);
    let versions = [...c.versions.values()];
    const view = (ctx.query('listViewType') ?? 'ActiveOnly').toLowerCase();
    versions = versions.filter((v) => view === 'all' || (view === 'archivedonly' ? v.properties.isArchived === true : v.properties.isArchived !== true));
    // `tags` and `properties` filters: comma-separated names, each optionally =value.
    for (const field of ['tags', 'properties'] as const) {
      const filter = ctx.query(field);
      if (!filter) continue;
      for (const pair of filter.split(',')) {
        const eq = pair.indexOf('=');
        const k = eq < 0 ? pair : pair.slice(0, eq);
        const val = eq < 0 ? undefined : pair.slice(eq + 1);
        versions = versions.filter((v) => {
          const t = (v.properties[field] ?? {}) as Record<string, string>;
          return val === undefined ? k in t : t[k] === val;
        });
      }
    }
    const order = (ctx.query('$orderBy') ?? 'createdtime desc').toLowerCase();
    versions.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    if (!order.endsWith('asc')) versions.reverse();
    const top = Number(ctx.query('$top'));
    if (top > 0) versions = versions.slice(0, top);
    return { status: 200, body: page(world.settings, ctx, versions.map((v) => versionBody(ws, kind, c.name, v))) };
  }
  const version = rest[3];
  const v = c?.versions.get(version);
  if (ctx.method === 'GET') {
    if (!c || !v) throw notFound(`${kind === 'data' ? 'data' : kind.slice(0, -1)} version ${name}:${version}`);
    return { status: 200, body: versionBody(ws, kind, c.name, v) };
  }
  if (ctx.method === 'DELETE') {
    if (!c || !v) return { status: 204 };
    c.versions.delete(version);
    return { status: 200 };
  }
  if (ctx.method === 'PUT') {
    if (!NAME.test(name)) throw invalid(`The name '${name}' is invalid. Names start with a letter or digit and contain only letters, digits, '-', '_' and '.'.`);
    if (!VERSION.test(version)) throw invalid(`The version '${version}' is invalid.`);
    const body = await ctx.json<{ properties?: Record<string, unknown> }>(invalid);
    if (typeof body !== 'object' || body === null || typeof body.properties !== 'object' || body.properties === null) throw invalid("The request body must contain 'properties'.");
    const props = normalizeVersion(ctx, ws, kind, body.properties, v, jobOutput);
    const t = now();
    let container = c;
    if (!container) {
      // The service creates the container with the first version (azure-ai-ml only PUTs versions).
      container = { name, properties: {}, versions: new Map(), createdAt: t, modifiedAt: t };
      meta.set(container, { createdAt: t, modifiedAt: t, createdBy: caller, modifiedBy: caller });
      store.set(name.toLowerCase(), container);
    }
    if (v) {
      v.properties = props;
      v.modifiedAt = t;
      meta.get(v)!.modifiedBy = caller;
      return { status: 200, body: versionBody(ws, kind, container.name, v) };
    }
    const created: AssetVersion = { name: container.name, version, properties: props, createdAt: t, modifiedAt: t };
    meta.set(created, { createdAt: t, modifiedAt: t, createdBy: caller, modifiedBy: caller });
    container.versions.set(version, created);
    container.modifiedAt = t;
    return { status: 201, body: versionBody(ws, kind, container.name, created) };
  }
  throw methodNotAllowed(ctx);
}

export function methodNotAllowed(ctx: Ctx): HttpError {
  return new HttpError(405, {
    error: { code: 'MethodNotAllowed', message: `The requested resource does not support http method '${ctx.method}'.` },
  });
}
