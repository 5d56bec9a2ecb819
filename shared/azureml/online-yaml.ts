// `az ml` online endpoint and deployment YAML (managed and Kubernetes) → the REST bodies of
// `PUT …/onlineEndpoints/{ep}` and `PUT …/onlineEndpoints/{ep}/deployments/{d}` at api-version
// 2022-10-01, as azure-ai-ml builds them (`_to_rest_object`): snake_case keys to REST names, milliseconds
// and seconds to ISO 8601 durations, instance_count to sku.capacity, `azureml:` references to ARM ids,
// local code uploaded through the Resolver. The step's inputs (model, code, environment, …) are applied
// to the same documents as overrides, so a file from the repository and a model from an earlier step
// combine; a mistake in a value that came from an input names the input, one from a file names the file,
// line and key. Like job YAML, everything is checked offline first (nothing is uploaded or created if
// the check fails), then converted with the Azure resolver.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar } from 'yaml';
import { FileError, InputError, UserError } from '../platform/errors.js';
import { checkLocalCode, checkOnly as checkJob, environmentId } from './job-body.js';
import { checker, JobFile, type Checker, type Path } from './job-yaml.js';

type Obj = Record<string, unknown>;

export type Target = 'managed' | 'kubernetes';

/** `target` input values, with the retired services' names as aliases of their successors. */
export const TARGETS: Record<string, Target> = { managed: 'managed', kubernetes: 'kubernetes', aci: 'managed', aks: 'kubernetes' };

export const ENDPOINT_KEYS = ['$schema', 'name', 'description', 'tags', 'auth_mode', 'identity', 'public_network_access', 'compute', 'kind', 'properties', 'traffic', 'mirror_traffic'];
export const DEPLOYMENT_KEYS = [
  '$schema', 'name', 'type', 'endpoint_name', 'description', 'tags', 'properties', 'model', 'code_configuration', 'environment',
  'environment_variables', 'instance_type', 'instance_count', 'app_insights_enabled', 'scale_settings', 'request_settings',
  'liveness_probe', 'readiness_probe', 'egress_public_network_access', 'model_mount_path', 'resources', 'data_collector',
];

const AUTH_MODES: Record<string, 'Key' | 'AMLToken' | 'AADToken'> = { key: 'Key', aml_token: 'AMLToken', aad_token: 'AADToken' };
const ENABLED: Record<string, string> = { enabled: 'Enabled', disabled: 'Disabled' };

/** What resolves references of a deployment: the job Resolver's code and environment, and models. */
export interface OnlineResolver {
  /** The code folder, uploaded as a code version. */
  codeId(folder: string, at: Path): Promise<string>;
  /** The environment, resolved as a job's (shared/azureml/job-body.ts `environmentId`). */
  environmentId(value: string | Record<string, unknown>, at: Path): Promise<string>;
  modelId(value: string, at: Path): Promise<string>;
}

/** A YAML document (from a file, or empty) with the step's inputs applied, remembering which key came from which input. */
export class OnlineFile {
  private readonly origins = new Map<string, string>();
  private readonly aliases = new Map<string, string>();

  constructor(
    readonly file: JobFile,
    /** Whether a user's file is behind it (false: built from inputs only). */
    readonly fromFile: boolean,
  ) {}

  /** Loads `display` (relative to the workspace), or starts an empty document named after the inputs. */
  static open(workspace: string, given: string | undefined, input: string, what: string): OnlineFile {
    if (given) return new OnlineFile(JobFile.load(path.resolve(workspace, given), given, input, what), true);
    return new OnlineFile(JobFile.parse('{}\n', path.join(workspace, '.inputs.yml'), 'the inputs', what), false);
  }

  /** Sets a top-level key from an input (when given); later errors about the key name the input. */
  override(key: string, input: string, value: unknown): void {
    if (value === undefined || value === '') return;
    this.file.doc.setIn([key], value);
    this.origins.set(key, input);
  }

  /** Sets a nested key from an input. */
  overrideIn(at: Path, input: string, value: unknown): void {
    if (value === undefined || value === '') return;
    const doc = this.file.doc;
    const parent = doc.getIn(at.slice(0, -1), true);
    if (parent === undefined || parent === null || (isScalar(parent) && parent.value === null)) doc.setIn(at.slice(0, -1), doc.createNode({}));
    else if (!isMap(parent)) throw this.error(at.slice(0, -1), 'must be a mapping.');
    doc.setIn(at, value);
    this.origins.set(at.join('.'), input);
  }

  /** Names the input that would set `at` when there is no file: a missing value is then that input's mistake. */
  alias(at: Path, input: string): void {
    this.aliases.set(at.join('.'), input);
  }

  /** An error at `at`: the input's when the value came (or would come) from one, otherwise the file's, with its line. */
  error(at: Path, problem: string): UserError {
    for (let n = at.length; n >= 1; n--) {
      const key = at.slice(0, n).join('.');
      const input = this.origins.get(key) ?? (this.fromFile ? undefined : this.aliases.get(key));
      if (input) return new InputError(input, n === at.length ? problem : `(${at.slice(n).join('.')}) ${problem}`);
    }
    if (!this.fromFile) return new UserError(`${at.join('.')}: ${problem}`);
    return this.file.error(at, problem);
  }

  data(): Obj {
    return this.file.data();
  }
}

// ------------------------------------------------------------------------------------------- endpoint

export interface EndpointSpec {
  name: string;
  target: Target;
  /** properties.compute as given (azureml:<name>, a name or an ARM id); Kubernetes only. */
  compute?: string;
  authMode: 'Key' | 'AMLToken' | 'AADToken';
  /** The PUT body without location (the workspace's location is added when the endpoint is created). */
  body: Obj;
}

export function endpointSpec(spec: OnlineFile, target: Target | undefined, computeId: (name: string) => string): EndpointSpec {
  const c = wrap(spec, 'an online endpoint');
  const data = spec.data();
  c.keys(data, ENDPOINT_KEYS, []);
  if (data.traffic !== undefined) throw spec.error(['traffic'], "is set by the deploy step (its 'traffic' input), not by the endpoint YAML; remove it.");
  if (data.mirror_traffic !== undefined) throw spec.error(['mirror_traffic'], 'is not supported yet (api-version 2022-10-01 has no mirror traffic).');
  const name = c.string(data.name, ['name'], 'the endpoint name');
  checkResourceName(spec, ['name'], name, 'An endpoint name');
  const compute = data.compute === undefined ? undefined : c.string(data.compute, ['compute'], 'a Kubernetes compute (azureml:<name>)');
  const resolved: Target = target ?? (compute ? 'kubernetes' : 'managed');
  if (resolved === 'managed' && compute) throw spec.error(['compute'], "is only for Kubernetes endpoints; with target 'managed' remove it (or set target: kubernetes).");
  const mode = String(data.auth_mode ?? 'key').toLowerCase();
  const authMode = AUTH_MODES[mode];
  if (!authMode) throw spec.error(['auth_mode'], `must be key, aml_token or aad_token (got '${String(data.auth_mode)}').`);
  const properties: Obj = { authMode };
  if (data.description !== undefined && data.description !== null) properties.description = String(data.description);
  if (data.properties !== undefined) properties.properties = stringMap(c, data.properties, ['properties']);
  if (data.public_network_access !== undefined) properties.publicNetworkAccess = choice(spec, data.public_network_access, ['public_network_access'], ENABLED);
  if (compute) properties.compute = computeId(compute.replace(/^azureml:/, ''));
  const body: Obj = { identity: identity(spec, c, data.identity), properties };
  if (data.tags !== undefined) body.tags = stringMap(c, data.tags, ['tags']);
  if (data.kind !== undefined) body.kind = String(data.kind);
  return { name, target: resolved, compute, authMode, body };
}

function identity(spec: OnlineFile, c: Checker, value: unknown): Obj {
  if (value === undefined) return { type: 'SystemAssigned' };
  const o = c.obj(value, ['identity']);
  c.keys(o, ['type', 'user_assigned_identities'], ['identity']);
  const types: Record<string, string> = { system_assigned: 'SystemAssigned', user_assigned: 'UserAssigned', 'system_assigned,user_assigned': 'SystemAssigned,UserAssigned', none: 'None' };
  const type = types[String(o.type).toLowerCase().replace(/\s/g, '')];
  if (!type) throw spec.error(['identity', 'type'], `must be one of ${Object.keys(types).join(', ')} (got '${String(o.type)}').`);
  const result: Obj = { type };
  if (o.user_assigned_identities !== undefined) {
    if (!Array.isArray(o.user_assigned_identities)) throw spec.error(['identity', 'user_assigned_identities'], 'must be a list of {resource_id: …}.');
    result.userAssignedIdentities = Object.fromEntries(
      o.user_assigned_identities.map((u, i) => [c.string((u as Obj | null)?.resource_id, ['identity', 'user_assigned_identities', i, 'resource_id'], 'the identity ARM id'), {}]),
    );
  }
  return result;
}

// ------------------------------------------------------------------------------------------- deployment

export interface DeploymentSpec {
  name?: string;
  endpointName?: string;
  target?: Target;
  model: string;
  body: { sku: Obj; tags?: Obj; properties: Obj };
}

/**
 * Converts the deployment document: first with a resolver that touches nothing remote (so every mistake
 * surfaces before anything is uploaded), then with the real one.
 */
export async function deploymentSpec(spec: OnlineFile, target: Target, resolver: OnlineResolver): Promise<DeploymentSpec> {
  await convertDeployment(spec, target, checkOnly(spec));
  return convertDeployment(spec, target, resolver);
}

/** Only the offline check: every key and value, local code folders and scoring scripts; nothing remote. */
export async function checkDeployment(spec: OnlineFile, target: Target): Promise<void> {
  await convertDeployment(spec, target, checkOnly(spec));
}

function checkOnly(spec: OnlineFile): OnlineResolver {
  return {
    modelId: async () => 'check',
    // The environment as the job converter's first pass checks it: local files read, nothing resolved.
    environmentId: (value, at) => environmentId(spec.file, checkJob(), value, at),
    codeId: async (value, at) => {
      await checkLocalCode(spec.file, value, at);
      return 'check';
    },
  };
}

/** The deployment's type as its YAML says (managed / kubernetes), if it says. */
export function deploymentType(spec: OnlineFile): Target | undefined {
  const type = spec.data().type;
  if (type === undefined || type === null) return undefined;
  const t = String(type).toLowerCase();
  if (t !== 'managed' && t !== 'kubernetes') throw spec.error(['type'], `must be managed or kubernetes (got '${String(type)}').`);
  return t;
}

async function convertDeployment(spec: OnlineFile, target: Target, resolver: OnlineResolver): Promise<DeploymentSpec> {
  const c = wrap(spec, 'an online deployment');
  const data = spec.data();
  c.keys(data, DEPLOYMENT_KEYS, []);
  const declared = deploymentType(spec);
  if (declared && declared !== target) {
    throw spec.error(['type'], `says ${declared}, but the deployment goes to a ${target} endpoint (target ${target}).`);
  }
  const kubernetes = target === 'kubernetes';
  if (data.data_collector !== undefined) throw spec.error(['data_collector'], 'is not supported yet (api-version 2022-10-01 has no data collector).');
  if (!kubernetes && data.resources !== undefined) throw spec.error(['resources'], 'is only for Kubernetes deployments; a managed deployment gets its CPU and memory from instance_type.');
  if (kubernetes && data.egress_public_network_access !== undefined) throw spec.error(['egress_public_network_access'], 'is only for managed deployments.');
  const name = data.name === undefined ? undefined : c.string(data.name, ['name'], 'the deployment name');
  if (name) checkResourceName(spec, ['name'], name, 'A deployment name');
  const endpointName = data.endpoint_name === undefined ? undefined : c.string(data.endpoint_name, ['endpoint_name'], 'the endpoint name');

  const properties: Obj = { endpointComputeType: kubernetes ? 'Kubernetes' : 'Managed' };
  if (data.description !== undefined && data.description !== null) properties.description = String(data.description);
  if (data.properties !== undefined) properties.properties = stringMap(c, data.properties, ['properties']);

  if (data.model === undefined || data.model === null) throw spec.error(['model'], 'is required: the registered model to deploy (azureml:<name>:<version>).');
  if (typeof data.model === 'object') {
    throw spec.error(['model'], 'is an inline model, which is not supported yet: register it first (the register step) and give model: azureml:<name>:<version>.');
  }
  const model = c.string(data.model, ['model'], 'a registered model (azureml:<name>:<version>)');
  if (!/^(azureml:[^:@/]+(:[^:@/]+|@latest)|\/subscriptions\/.+\/models\/[^/]+\/versions\/[^/]+|azureml:\/\/registries\/.+)$/i.test(model)) {
    throw spec.error(['model'], `must be azureml:<name>:<version>, azureml:<name>@latest, a model version ARM id or an azureml://registries/… id (got '${model}').`);
  }
  properties.model = await attributed(spec, ['model'], resolver.modelId(model, ['model']));

  if (data.code_configuration === undefined) {
    throw spec.error(['code_configuration'], 'is required: code (the folder with the scoring script) and scoring_script (no-code MLflow deployments are not supported yet).');
  }
  const cc = c.obj(data.code_configuration, ['code_configuration']);
  c.keys(cc, ['code', 'scoring_script'], ['code_configuration']);
  const code = c.string(cc.code, ['code_configuration', 'code'], 'the folder that holds the scoring script');
  const script = c.string(cc.scoring_script, ['code_configuration', 'scoring_script'], 'the scoring script, relative to code (e.g. score.py)');
  const local = localFolder(spec, code);
  if (local) {
    const scriptPath = path.resolve(local, script);
    if (existsSync(local) && (!existsSync(scriptPath) || !statSync(scriptPath).isFile())) {
      throw spec.error(['code_configuration', 'scoring_script'], `names '${script}', which is not a file in ${code} (looked for ${scriptPath}).`);
    }
  }
  properties.codeConfiguration = { codeId: await attributed(spec, ['code_configuration', 'code'], resolver.codeId(code, ['code_configuration', 'code'])), scoringScript: script };

  if (data.environment === undefined || data.environment === null) {
    throw spec.error(['environment'], 'is required: azureml:<name>:<version>, azureml:<name>@latest, a curated azureml:AzureML-… environment or an inline image.');
  }
  const environment = typeof data.environment === 'string' ? data.environment : c.obj(data.environment, ['environment']);
  properties.environmentId = await attributed(spec, ['environment'], resolver.environmentId(environment, ['environment']));
  if (data.environment_variables !== undefined) properties.environmentVariables = stringMap(c, data.environment_variables, ['environment_variables']);

  if (data.instance_type !== undefined) properties.instanceType = c.string(data.instance_type, ['instance_type'], 'an instance type');
  else if (!kubernetes) throw spec.error(['instance_type'], 'is required for a managed deployment: the VM size, e.g. Standard_DS3_v2.');
  const count = data.instance_count === undefined ? 1 : wholeNumber(spec, data.instance_count, ['instance_count'], 1, 'at least 1');
  if (data.app_insights_enabled !== undefined) properties.appInsightsEnabled = bool(spec, data.app_insights_enabled, ['app_insights_enabled']);
  if (data.egress_public_network_access !== undefined) properties.egressPublicNetworkAccess = choice(spec, data.egress_public_network_access, ['egress_public_network_access'], ENABLED);
  if (data.model_mount_path !== undefined) properties.modelMountPath = c.string(data.model_mount_path, ['model_mount_path'], 'a path');
  if (data.scale_settings !== undefined) properties.scaleSettings = scaleSettings(spec, c, data.scale_settings, kubernetes);
  if (data.request_settings !== undefined) properties.requestSettings = requestSettings(spec, c, data.request_settings);
  for (const [key, rest] of [['liveness_probe', 'livenessProbe'], ['readiness_probe', 'readinessProbe']] as const) {
    if (data[key] !== undefined) properties[rest] = probe(spec, c, data[key], [key]);
  }
  if (data.resources !== undefined) properties.containerResourceRequirements = containerResources(spec, c, data.resources);

  const body: DeploymentSpec['body'] = { sku: { name: 'Default', capacity: count }, properties };
  if (data.tags !== undefined) body.tags = stringMap(c, data.tags, ['tags']);
  return { name, endpointName, target, model, body };
}

/** A resolver's FileError about a value that came from an input is that input's error. */
async function attributed<T>(spec: OnlineFile, at: Path, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof FileError && error.file === spec.file.display) {
      const prefix = `${at.join('.')}: `;
      throw spec.error(at, error.problem.startsWith(prefix) ? error.problem.slice(prefix.length) : error.problem);
    }
    throw error;
  }
}

/** The local folder a `code:` value names, or undefined for a remote reference. */
function localFolder(spec: OnlineFile, value: string): string | undefined {
  if (value.startsWith('/subscriptions/') || /^azureml:/.test(value) || /^[a-z]+:\/\//i.test(value)) return undefined;
  return path.resolve(spec.file.dir, value);
}

function scaleSettings(spec: OnlineFile, c: Checker, value: unknown, kubernetes: boolean): Obj {
  const at: Path = ['scale_settings'];
  const o = c.obj(value, at);
  c.keys(o, ['type', 'min_instances', 'max_instances', 'polling_interval', 'target_utilization_percentage'], at);
  const type = String(o.type ?? 'default').toLowerCase();
  if (type === 'default') return { scaleType: 'Default' };
  if (type !== 'target_utilization') throw spec.error([...at, 'type'], `must be default or target_utilization (got '${String(o.type)}').`);
  if (!kubernetes) throw spec.error([...at, 'type'], 'target_utilization is for Kubernetes deployments; managed deployments autoscale through Azure Monitor autoscale rules.');
  return {
    scaleType: 'TargetUtilization',
    ...(o.min_instances !== undefined ? { minInstances: wholeNumber(spec, o.min_instances, [...at, 'min_instances'], 1, 'at least 1') } : {}),
    ...(o.max_instances !== undefined ? { maxInstances: wholeNumber(spec, o.max_instances, [...at, 'max_instances'], 1, 'at least 1') } : {}),
    ...(o.polling_interval !== undefined ? { pollingInterval: isoSeconds(wholeNumber(spec, o.polling_interval, [...at, 'polling_interval'], 1, 'at least 1 second')) } : {}),
    ...(o.target_utilization_percentage !== undefined ? { targetUtilizationPercentage: wholeNumber(spec, o.target_utilization_percentage, [...at, 'target_utilization_percentage'], 1, 'between 1 and 100', 100) } : {}),
  };
}

function requestSettings(spec: OnlineFile, c: Checker, value: unknown): Obj {
  const at: Path = ['request_settings'];
  const o = c.obj(value, at);
  c.keys(o, ['request_timeout_ms', 'max_concurrent_requests_per_instance', 'max_queue_wait_ms'], at);
  return {
    ...(o.request_timeout_ms !== undefined ? { requestTimeout: isoMilliseconds(wholeNumber(spec, o.request_timeout_ms, [...at, 'request_timeout_ms'], 1, 'a positive number of milliseconds')) } : {}),
    ...(o.max_concurrent_requests_per_instance !== undefined
      ? { maxConcurrentRequestsPerInstance: wholeNumber(spec, o.max_concurrent_requests_per_instance, [...at, 'max_concurrent_requests_per_instance'], 1, 'at least 1') }
      : {}),
    ...(o.max_queue_wait_ms !== undefined ? { maxQueueWait: isoMilliseconds(wholeNumber(spec, o.max_queue_wait_ms, [...at, 'max_queue_wait_ms'], 0, 'a number of milliseconds')) } : {}),
  };
}

function probe(spec: OnlineFile, c: Checker, value: unknown, at: Path): Obj {
  const o = c.obj(value, at);
  c.keys(o, ['initial_delay', 'period', 'timeout', 'success_threshold', 'failure_threshold'], at);
  const seconds = (key: string) => (o[key] === undefined ? {} : { [camel(key)]: isoSeconds(wholeNumber(spec, o[key], [...at, key], 0, 'a number of seconds')) });
  const count = (key: string) => (o[key] === undefined ? {} : { [camel(key)]: wholeNumber(spec, o[key], [...at, key], 1, 'at least 1') });
  return { ...seconds('initial_delay'), ...seconds('period'), ...seconds('timeout'), ...count('success_threshold'), ...count('failure_threshold') };
}

function containerResources(spec: OnlineFile, c: Checker, value: unknown): Obj {
  const o = c.obj(value, ['resources']);
  c.keys(o, ['requests', 'limits'], ['resources']);
  const part = (key: 'requests' | 'limits') => {
    const r = c.obj(o[key], ['resources', key]);
    c.keys(r, ['cpu', 'memory', 'nvidia.com/gpu', 'gpu'], ['resources', key]);
    const gpu = r['nvidia.com/gpu'] ?? r.gpu;
    return { ...(r.cpu !== undefined ? { cpu: String(r.cpu) } : {}), ...(r.memory !== undefined ? { memory: String(r.memory) } : {}), ...(gpu !== undefined ? { gpu: String(gpu) } : {}) };
  };
  return {
    ...(o.requests !== undefined ? { containerResourceRequests: part('requests') } : {}),
    ...(o.limits !== undefined ? { containerResourceLimits: part('limits') } : {}),
  };
}

// ------------------------------------------------------------------------------------------- helpers

/** A checker whose errors name the input a value came from. */
function wrap(spec: OnlineFile, noun: string): Checker {
  const base = checker(spec.file, noun);
  return {
    file: spec.file,
    obj(value, at) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw spec.error(at, 'must be a mapping.');
      return value as Obj;
    },
    keys: (value, allowed, at) => base.keys(value, allowed, at),
    string(value, at, what = 'a string') {
      if (typeof value !== 'string' || value.trim() === '') throw spec.error(at, `must be ${what}.`);
      return value;
    },
  };
}

const NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;

export function checkResourceName(spec: OnlineFile, at: Path, name: string, what: string): void {
  if (!NAME.test(name)) {
    throw spec.error(at, `'${name}' is not a valid name: ${what.toLowerCase()} has 3 to 32 characters, starts with a letter, ends with a letter or digit, and holds only letters, digits and '-'.`);
  }
}

function stringMap(c: Checker, value: unknown, at: Path): Record<string, string> {
  const o = c.obj(value, at);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function choice(spec: OnlineFile, value: unknown, at: Path, options: Record<string, string>): string {
  const found = options[String(value).toLowerCase()];
  if (!found) throw spec.error(at, `must be ${Object.keys(options).join(' or ')} (got '${String(value)}').`);
  return found;
}

function bool(spec: OnlineFile, value: unknown, at: Path): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw spec.error(at, `must be true or false (got '${String(value)}').`);
}

function wholeNumber(spec: OnlineFile, value: unknown, at: Path, min: number, range: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw spec.error(at, `must be a whole number, ${range} (got '${String(value)}').`);
  return n;
}

function camel(snake: string): string {
  return snake.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

/** Seconds → ISO 8601 as azure-ai-ml writes it (isodate: PT10S, PT1M30S, PT1H). */
export function isoSeconds(seconds: number): string {
  return isoMilliseconds(seconds * 1000);
}

export function isoMilliseconds(ms: number): string {
  let rest = ms / 1000;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  rest -= minutes * 60;
  const seconds = Math.round(rest * 1000) / 1000;
  const parts = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds || (!hours && !minutes) ? `${seconds}S` : ''}`;
  return `PT${parts}`;
}
