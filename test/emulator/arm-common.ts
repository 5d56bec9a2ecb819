// What every ARM response shares: the error envelopes (ARM's own and the ML resource provider's),
// bearer-token checks with ARM's 401 wording, api-version checks, systemData, paging, and the
// long-running-operation bookkeeping behind Azure-AsyncOperation / Location.
import { randomUUID } from 'node:crypto';
import { Ctx, HttpError, type Reply } from './http.js';
import { ARM_AUDIENCES, v1Issuer } from './entra.js';
import { audiences, decodeJwt, nowSeconds, verifyJwtSignature, type JwtClaims } from './jwt.js';
import type { Settings, World, Workspace } from './world.js';

export const API_VERSION = '2022-10-01';
/**
 * Also served where the shapes are the same: what azure-ai-ml 1.4.0 (and so `az ml`) calls on the
 * workspace, compute, datastore, asset and job routes.
 */
export const SDK_API_VERSIONS = ['2022-10-01', '2022-10-01-preview', '2022-05-01', '2022-02-01-preview'];
export const PROVIDER = 'Microsoft.MachineLearningServices';

/** ARM's own error envelope: {error:{code, message, target?, details?}}. */
export function armError(status: number, code: string, message: string, extra: { target?: string; details?: unknown[]; headers?: Record<string, string> } = {}): HttpError {
  const error: Record<string, unknown> = { code, message };
  if (extra.target) error.target = extra.target;
  if (extra.details) error.details = extra.details;
  return new HttpError(status, { error }, extra.headers);
}

/**
 * The ML resource provider's envelope. Its top-level code is "UserError" / "SystemError" with the
 * specific reason in innerError.code, plus correlation and environment fields.
 */
export function mlError(
  ctx: Ctx,
  status: number,
  message: string,
  innerCode: string,
  opts: { code?: string; target?: string; details?: { code: string; message: string; target?: string }[]; location?: string } = {},
): HttpError {
  return new HttpError(status, {
    error: {
      code: opts.code ?? (status >= 500 ? 'SystemError' : 'UserError'),
      severity: null,
      message,
      messageFormat: null,
      messageParameters: null,
      referenceCode: null,
      detailsUri: null,
      target: opts.target ?? null,
      details: opts.details ?? [],
      innerError: { code: innerCode, innerError: null },
      debugInfo: null,
      additionalInfo: null,
    },
    correlation: { operation: ctx.correlationId.replace(/-/g, ''), request: ctx.requestId.replace(/-/g, '').slice(0, 16) },
    environment: opts.location ?? 'eastus',
    location: opts.location ?? 'eastus',
    time: new Date().toISOString(),
    componentName: 'managementfrontend',
    statusCode: status,
  });
}

/** .NET's invariant "M/d/yyyy h:mm:ss tt", as ARM prints times in its token errors. */
function dotnetTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

function unauthorized(world: World, code: string, message: string): HttpError {
  const escaped = message.replace(/"/g, "'");
  return armError(401, code, message, {
    headers: { 'www-authenticate': `Bearer authorization_uri="${world.baseUrl}/", error="invalid_token", error_description="${escaped}"` },
  });
}

/** Validates an Entra access token the way ARM does; returns its claims. */
export function requireArmToken(world: World, ctx: Ctx, allowed: string[] = ARM_AUDIENCES): JwtClaims {
  const header = ctx.header('authorization');
  if (!header) throw unauthorized(world, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw unauthorized(world, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.");
  const jwt = decodeJwt(m[1]);
  if (!jwt || !verifyJwtSignature(jwt, world.entraSigner.key)) {
    throw unauthorized(world, 'InvalidAuthenticationToken', 'The access token is invalid.');
  }
  const { claims } = jwt;
  if (claims.iss !== v1Issuer(world.tenantId) && claims.iss !== `${world.baseUrl}/${world.tenantId}/v2.0`) {
    throw unauthorized(
      world,
      'InvalidAuthenticationTokenTenant',
      `The access token is from the wrong issuer '${String(claims.iss)}'. It must match the tenant '${v1Issuer(world.tenantId)}' associated with this subscription. Please use the authority (URL) '${world.baseUrl}/${world.tenantId}' to get the token.`,
    );
  }
  const aud = audiences(claims);
  if (!aud.some((a) => allowed.includes(a))) {
    throw unauthorized(
      world,
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${aud.join(',')}'. It should exactly match with one of the allowed audiences ${allowed.map((a) => `'${a}'`).join(',')}.`,
    );
  }
  const now = nowSeconds();
  if (typeof claims.exp !== 'number' || claims.exp <= now) {
    throw unauthorized(
      world,
      'ExpiredAuthenticationToken',
      `The access token expiry UTC time '${dotnetTime(Number(claims.exp ?? 0))}' is earlier than current UTC time '${dotnetTime(now)}'.`,
    );
  }
  if (typeof claims.nbf === 'number' && claims.nbf > now + 300) {
    throw unauthorized(world, 'InvalidAuthenticationToken', `The access token is not yet valid. Valid from '${dotnetTime(claims.nbf)}'.`);
  }
  return claims;
}

/** The type name ARM reports for a path below the provider, e.g. "workspaces/onlineEndpoints/deployments". */
export function resourceTypeOf(providerSegments: string[]): string {
  const types: string[] = [];
  for (let i = 0; i < providerSegments.length; i += 2) types.push(providerSegments[i]);
  return types.join('/') || 'workspaces';
}

export function checkApiVersion(ctx: Ctx, type: string, location: string, accepted: string[] = [API_VERSION]): void {
  const v = ctx.query('api-version');
  if (v === undefined || v === '') {
    throw armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  if (!/^\d{4}-\d{2}-\d{2}(-preview|-beta|-alpha|-privatepreview)?$/i.test(v)) {
    throw armError(400, 'InvalidApiVersionParameter', `The api-version '${v}' is invalid. The supported versions are '${API_VERSION}'.`);
  }
  if (!accepted.includes(v)) {
    throw armError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${location}' and API version '${v}' for type '${type}'. The supported api-versions are '${accepted.join("', '")}'. The supported locations are 'eastus'.`,
    );
  }
}

export interface Caller {
  id: string;
  type: 'Application' | 'User';
}

export function callerOf(claims: JwtClaims): Caller {
  return { id: String(claims.appid ?? claims.oid ?? 'unknown'), type: claims.idtyp === 'user' ? 'User' : 'Application' };
}

export function systemData(created: { at: string; by: Caller }, modified: { at: string; by: Caller } = created) {
  return {
    createdAt: created.at,
    createdBy: created.by.id,
    createdByType: created.by.type,
    lastModifiedAt: modified.at,
    lastModifiedBy: modified.by.id,
    lastModifiedByType: modified.by.type,
  };
}

/**
 * The query parameter a list's `nextLink` carries its continuation in. ARM's own lists (resource groups)
 * use `$skiptoken`; the ML resource provider's lists (2022-10-01) take `$skip`, which the spec describes as
 * "Continuation token for pagination".
 */
export type PageToken = '$skip' | '$skiptoken' | '$continuationToken';

/**
 * Page sizes when neither the admin setting `listPageSize` nor the request's `count` says otherwise. The
 * services do not document theirs: datastores use the spec's `count` default (30), the rest 50.
 */
export const DEFAULT_PAGE_SIZE = 50;

/**
 * A page of a list with ARM's {value, nextLink}. The continuation token is opaque to clients (an offset
 * here); an empty one (`$skiptoken=` as a first call may send) is the first page. `nextLink` is the
 * request URL with the token replaced, and is absent on the last page, as ARM leaves it out.
 */
export function page<T>(
  settings: Settings,
  ctx: Ctx,
  items: T[],
  options: { token?: PageToken; defaultSize?: number; count?: boolean } = {},
): { value: T[]; nextLink?: string } {
  const token = options.token ?? '$skip';
  const raw = ctx.query(token) ?? '';
  if (raw !== '' && !/^\d+$/.test(raw)) {
    throw armError(400, 'InvalidSkipToken', `The continuation token '${raw}' in '${token}' is not valid. Use the nextLink of the previous page.`);
  }
  const skip = raw === '' ? 0 : Number(raw);
  const requested = options.count ? Number(ctx.query('count')) : NaN;
  const size = requested > 0 ? requested : settings.listPageSize > 0 ? settings.listPageSize : (options.defaultSize ?? DEFAULT_PAGE_SIZE);
  const out: { value: T[]; nextLink?: string } = { value: items.slice(skip, skip + size) };
  if (skip + size < items.length) {
    const next = new URL(ctx.url.toString());
    for (const key of [...next.searchParams.keys()]) if (key.toLowerCase() === token) next.searchParams.delete(key);
    next.searchParams.set(token, String(skip + size));
    out.nextLink = next.toString();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Long-running operations

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface Operation {
  id: string;
  location: string;
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
  /** Answer of the Location URL once done (e.g. the resource for PATCH, nothing for DELETE). */
  result?: () => Reply;
  /** Resolves when the operation reaches a terminal state. */
  done: Promise<void>;
  finish(status: Exclude<OperationStatus, 'InProgress'>, error?: { code: string; message: string }): void;
}

export class Operations {
  private ops = new Map<string, Operation>();

  constructor(private readonly world: World) {}

  create(ws: Workspace, kind: string, result?: () => Reply): Operation {
    const id = `${kind}:${randomUUID()}`;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const op: Operation = {
      id,
      location: ws.location,
      status: 'InProgress',
      startTime: new Date().toISOString(),
      result,
      done,
      finish: (status, error) => {
        if (op.status !== 'InProgress') return;
        op.status = status;
        op.error = error;
        op.endTime = new Date().toISOString();
        resolve();
      },
    };
    this.ops.set(id, op);
    return op;
  }

  get(id: string): Operation | undefined {
    return this.ops.get(id);
  }

  private base(op: Operation): string {
    return `${this.world.baseUrl}/subscriptions/${this.world.subscriptionId}/providers/${PROVIDER}/locations/${op.location}`;
  }

  statusUrl(op: Operation): string {
    return `${this.base(op)}/mfeOperationsStatus/${encodeURIComponent(op.id)}?api-version=${API_VERSION}`;
  }

  resultUrl(op: Operation): string {
    return `${this.base(op)}/mfeOperationResults/${encodeURIComponent(op.id)}?api-version=${API_VERSION}`;
  }

  /** Headers of a 201/202 that starts an LRO. */
  headers(op: Operation, withLocation: boolean): Record<string, string> {
    const h: Record<string, string> = { 'azure-asyncoperation': this.statusUrl(op), 'x-ms-async-operation-timeout': 'PT1H' };
    if (withLocation) h.location = this.resultUrl(op);
    if (this.world.settings.lroRetryAfter > 0) h['retry-after'] = String(this.world.settings.lroRetryAfter);
    return h;
  }

  statusReply(op: Operation): Reply {
    const body: Record<string, unknown> = {
      id: `/subscriptions/${this.world.subscriptionId}/providers/${PROVIDER}/locations/${op.location}/mfeOperationsStatus/${op.id}`,
      name: op.id,
      status: op.status,
      startTime: op.startTime,
    };
    if (op.endTime) body.endTime = op.endTime;
    if (op.error) body.error = op.error;
    const headers: Record<string, string> = {};
    if (op.status === 'InProgress' && this.world.settings.lroRetryAfter > 0) headers['retry-after'] = String(this.world.settings.lroRetryAfter);
    return { status: 200, body, headers };
  }

  resultReply(op: Operation): Reply {
    if (op.status === 'InProgress') {
      const headers: Record<string, string> = { location: this.resultUrl(op) };
      if (this.world.settings.lroRetryAfter > 0) headers['retry-after'] = String(this.world.settings.lroRetryAfter);
      return { status: 202, headers };
    }
    if (op.status === 'Failed' || op.status === 'Canceled') {
      const error = op.error ?? { code: op.status, message: `The operation ${op.status.toLowerCase()}.` };
      return { status: 400, body: { error } };
    }
    return op.result ? op.result() : { status: 200 };
  }
}
