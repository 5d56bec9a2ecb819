// `az ml` job YAML → the REST body of `PUT …/jobs/{name}`, built as azure-ai-ml 1.4.0 (the SDK under
// `az ml`) builds it — checked field by field against bodies that SDK produced for the same YAMLs
// (test/fixtures/jobs/azureml-examples/golden): snake_case keys to the REST names, `azureml:`
// references to ARM ids, inline environments and pipeline steps registered as anonymous assets whose
// versions are azure-ai-ml's own content hashes, local code and inputs uploaded (through the
// Resolver). Every mistake is a FileError naming the file, line and key, raised before anything is
// uploaded or submitted: the whole file (and every file it names) is checked first with a resolver
// that touches nothing remote, then converted with the real one.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeLocalAsset } from '../storage/asset-hash.js';
import { checker, commandBindings, JobFile, jobType, allowedKeys, type Checker, type Path } from './job-yaml.js';
import {
  ANONYMOUS_COMPONENT,
  buildEnvironmentVersion,
  componentVersion,
  imageEnvironmentVersion,
  isoDuration,
  PyFloat,
  pyFloat,
  pyStr,
  pyYamlDump,
} from './python-compat.js';

type Obj = Record<string, unknown>;

export type AssetKind = 'data' | 'models' | 'environments' | 'components' | 'codes';

/** An inline environment, ready to register as `CliV2AnonymousEnvironment/<version>`. */
export interface AnonymousEnvironment {
  version: string;
  /** The version's REST properties (`build.contextUri` is filled in by the resolver after the upload). */
  properties: Obj;
  /** A local Docker build context to upload first. */
  buildContext?: string;
}

/** What needs Azure to turn a reference into an id (uploads, registrations, lookups). */
export interface Resolver {
  computeId(name: string): Promise<string>;
  datastoreId(name: string): Promise<string>;
  /** A versioned asset by name and version; no version = the latest. */
  assetId(kind: AssetKind, name: string, version: string | undefined, at: Path): Promise<string>;
  registerEnvironment(env: AnonymousEnvironment, at: Path): Promise<string>;
  /** A local code folder, uploaded and registered as an anonymous code version. */
  codeId(folder: string, at: Path, options: { component: boolean }): Promise<string>;
  /** azure-ai-ml's placeholder code of a component without `code:` (a one-line file). */
  placeholderCodeId(): Promise<string>;
  /** A local file or folder, uploaded: its `azureml://datastores/…` URI. */
  uploadInput(local: string, type: string, at: Path): Promise<string>;
  registerComponent(body: { properties: Obj }, version: string, at: Path): Promise<string>;
}

export interface JobBody {
  name?: string;
  type: 'command' | 'pipeline' | 'sweep';
  body: { properties: Obj };
}

export interface JobOverrides {
  experimentName?: string;
  displayName?: string;
  compute?: string;
  /** The job's name (the YAML's, or one generated): az ml shows it as the display name when none is set. */
  name?: string;
  /** Where `az ml` would run: an unset experiment is named after this folder. */
  cwd?: string;
}

const DATA_TYPES = ['uri_folder', 'uri_file', 'mltable', 'custom_model', 'mlflow_model', 'triton_model'];
const MODEL_TYPES = ['custom_model', 'mlflow_model', 'triton_model'];
const LITERAL_TYPES = ['string', 'number', 'integer', 'boolean'];
const INPUT_MODES: Record<string, string> = {
  ro_mount: 'ReadOnlyMount',
  mount: 'ReadOnlyMount',
  rw_mount: 'ReadWriteMount',
  download: 'Download',
  direct: 'Direct',
  eval_mount: 'EvalMount',
  eval_download: 'EvalDownload',
};
const OUTPUT_MODES: Record<string, string> = { rw_mount: 'ReadWriteMount', mount: 'ReadWriteMount', upload: 'Upload', direct: 'Direct' };
const DISTRIBUTIONS: Record<string, string> = { pytorch: 'PyTorch', tensorflow: 'TensorFlow', mpi: 'Mpi' };
const IDENTITIES: Record<string, string> = { aml_token: 'AMLToken', managed: 'Managed', managed_identity: 'Managed', user_identity: 'UserIdentity' };
const SERVICES: Record<string, string> = { jupyter_lab: 'JupyterLab', ssh: 'SSH', tensor_board: 'TensorBoard', vs_code: 'VSCode', custom: 'Custom' };
const BINDING = /^\$\{\{\s*([^}]+?)\s*\}\}$/;
const REMOTE = /^(azureml|https?|wasbs?|abfss?|adl|gs|s3):\/\//i;
const PLACEHOLDER_FILE = 'COMPONENT_PLACEHOLDER';

/**
 * The first, checking pass: resolves nothing remote, but still reads every local file and folder the
 * YAML names (code folders, inputs, environment and component files), so a missing or empty one fails
 * before anything is uploaded or registered.
 */
export function checkOnly(): Resolver {
  const ws = '/subscriptions/check/resourceGroups/check/providers/Microsoft.MachineLearningServices/workspaces/check';
  return {
    computeId: async (n) => `${ws}/computes/${n}`,
    datastoreId: async (n) => `${ws}/datastores/${n}`,
    assetId: async (kind, n, v) => `${ws}/${kind}/${n}/versions/${v ?? 'latest'}`,
    registerEnvironment: async (env) => `${ws}/environments/check/versions/${env.version}`,
    codeId: async () => `${ws}/codes/check/versions/1`,
    placeholderCodeId: async () => `${ws}/codes/check/versions/1`,
    uploadInput: async (local) => `azureml://datastores/check/paths/${path.basename(local)}`,
    registerComponent: async (_b, version) => `${ws}/components/${ANONYMOUS_COMPONENT}/versions/${version}`,
  };
}

/** How azure-ai-ml writes an uploaded input: the short datastore URI; a data folder with a trailing slash. */
export function uploadedInputUri(datastore: string, assetPath: string, isFolder: boolean, type: string): string {
  return `azureml://datastores/${datastore}/paths/${assetPath}${isFolder && !MODEL_TYPES.includes(type) ? '/' : ''}`;
}

/** A local `code:` must exist and hold at least one file that .amlignore/.gitignore do not exclude. */
export async function checkLocalCode(file: JobFile, value: string, at: Path): Promise<string> {
  const local = path.resolve(file.dir, value);
  if (!existsSync(local)) throw file.error(at, `names '${value}', which does not exist (looked for ${local}).`);
  const asset = await describeLocalAsset(local);
  if (asset.files.length === 0) {
    throw file.error(
      at,
      `names the folder '${value}', which has no files to upload (it is empty, or .amlignore/.gitignore exclude everything in it); expected a folder holding the job's code.`,
    );
  }
  return local;
}

/**
 * The id of an `environment:` value as a job body carries it — curated and registry references as they are,
 * names resolved, inline and `file:` environments registered with azure-ai-ml's own hash. Deployments
 * resolve theirs the same way.
 */
export function environmentId(file: JobFile, resolver: Resolver, value: unknown, at: Path): Promise<string> {
  return new Converter(file, resolver, {}, false).environmentId(value, at);
}

/** Checks the whole file, then converts it; nothing remote is touched if the file has a mistake. */
export async function jobBody(file: JobFile, resolver: Resolver, overrides: JobOverrides = {}): Promise<JobBody> {
  // The checking pass runs in document order, so the first mistake reported is the first in the file;
  // the real pass resolves independent references concurrently.
  await new Converter(file, checkOnly(), overrides, false).convert();
  return new Converter(file, resolver, overrides, true).convert();
}

class Converter {
  private readonly c: Checker;
  /** Registrations already made in this conversion (same anonymous asset → one PUT). */
  private readonly registered = new Map<string, Promise<string>>();

  constructor(
    private readonly file: JobFile,
    private readonly resolver: Resolver,
    private readonly overrides: JobOverrides,
    private readonly concurrent: boolean,
  ) {
    this.c = checker(file);
  }

  /** Runs the given resolutions concurrently (real pass) or one after the other, in order (checking pass). */
  private async all<T extends unknown[]>(...work: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
    if (this.concurrent) return (await Promise.all(work.map((w) => w()))) as T;
    const out: unknown[] = [];
    for (const w of work) out.push(await w());
    return out as T;
  }

  async convert(): Promise<JobBody> {
    const { file, c, overrides } = this;
    const data = file.data();
    const type = jobType(file, data);
    c.keys(data, allowedKeys(type), []);
    const name = overrides.name ?? (typeof data.name === 'string' ? data.name : undefined);
    const p: Obj = {};
    const displayName = overrides.displayName ?? (data.display_name as string | undefined) ?? name;
    if (displayName !== undefined && displayName !== null) p.displayName = String(displayName);
    p.experimentName = overrides.experimentName ?? (data.experiment_name as string | undefined) ?? defaultExperiment(overrides.cwd);
    if (data.description !== undefined && data.description !== null) p.description = String(data.description);
    p.tags = data.tags === undefined ? {} : stringMap(c, data.tags, ['tags']);
    p.properties = data.properties === undefined ? {} : stringMap(c, data.properties, ['properties']);
    if (data.identity !== undefined) p.identity = identity(c, data.identity);
    const compute = overrides.compute ?? (data.compute as string | undefined);
    // A command job's inputs and its code and environment are resolved concurrently.
    // (In the checking pass: inputs, then outputs, then the command's parts, as always.)
    const [inputValues, commandValues] = await this.all(
      async () => {
        const values = data.inputs === undefined ? {} : await this.jobInputs(file, data.inputs, ['inputs']);
        p.outputs = data.outputs === undefined ? {} : jobOutputs(c, data.outputs, ['outputs']);
        return values;
      },
      async () => (type === 'command' ? this.commandParts(file, data, [], { inputs: data.inputs, outputs: data.outputs }) : undefined),
    );
    p.inputs = inputValues;
    p.isArchived = false;
    p.status = 'NotStarted';
    p.services = data.services === undefined ? {} : services(c, data.services, ['services']);

    if (type === 'command') {
      p.jobType = 'Command';
      Object.assign(p, commandValues);
      if (!compute) throw file.error(['compute'], 'is required: the compute cluster to run on (azureml:<name>).');
      p.computeId = await this.resolver.computeId(computeName(c, compute, ['compute']));
      if (data.limits !== undefined) p.limits = commandLimits(c, data.limits, ['limits']);
    } else if (type === 'pipeline') {
      p.jobType = 'Pipeline';
      p.settings = await this.settings(data.settings);
      if (compute) p.computeId = await this.resolver.computeId(computeName(c, compute, ['compute']));
      p.jobs = await this.pipelineSteps(data);
    } else {
      p.jobType = 'Sweep';
      Object.assign(p, await this.sweepParts(data));
      if (!compute) throw file.error(['compute'], 'is required: the compute cluster to run the trials on (azureml:<name>).');
      p.computeId = await this.resolver.computeId(computeName(c, compute, ['compute']));
    }
    return { name, type, body: { properties: p } };
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs and outputs

  /** Job-level inputs (camelCase REST): literals as Python prints them, data references resolved. */
  private async jobInputs(file: JobFile, value: unknown, at: Path): Promise<Obj> {
    const c = checker(file);
    const o = c.obj(value, at);
    // Inputs are resolved (looked up, uploaded) concurrently: they do not depend on each other.
    const entries = Object.entries(o).map(([name, input]) => async (): Promise<[string, unknown]> => {
      const where = [...at, name];
      const literal = literalOf(c, input, where);
      if (literal !== undefined) return [name, { jobInputType: 'literal', value: literal }];
      const spec = input as Obj;
      const { type, uri, mode } = await this.dataInput(file, spec, where);
      return [name, { jobInputType: type, uri, ...(mode ? { mode } : {}), ...(spec.description ? { description: String(spec.description) } : {}) }];
    });
    return Object.fromEntries(await this.all(...entries));
  }

  /** A data input mapping (type, path, mode): its type, resolved URI and REST mode. */
  private async dataInput(file: JobFile, spec: Obj, where: Path): Promise<{ type: string; uri: string; mode?: string }> {
    const c = checker(file);
    c.keys(spec, ['type', 'path', 'mode', 'description', 'optional', 'datastore'], where);
    const type = String(spec.type ?? 'uri_folder');
    if (!DATA_TYPES.includes(type)) throw file.error([...where, 'type'], `must be one of ${[...DATA_TYPES, ...LITERAL_TYPES].join(', ')} (got '${type}').`);
    const mode = spec.mode === undefined ? undefined : INPUT_MODES[String(spec.mode)];
    if (spec.mode !== undefined && !mode) throw file.error([...where, 'mode'], `must be one of ${Object.keys(INPUT_MODES).join(', ')}.`);
    const value = c.string(spec.path, [...where, 'path'], 'a local path, an azureml:// URI or an azureml:<name>:<version> / azureml:<name>@latest reference');
    return { type, uri: await this.inputUri(file, value, type, [...where, 'path']), mode };
  }

  /** `azureml:<name>:<version>` / `@latest` → the asset's ARM id; remote URIs as they are; local paths uploaded. */
  private async inputUri(file: JobFile, value: string, type: string, at: Path): Promise<string> {
    if (REMOTE.test(value) || value.startsWith('/subscriptions/')) return value;
    if (/^runs:\//.test(value)) throw file.error(at, `names an MLflow run (${value}); runs:/ model inputs are not supported yet.`);
    const ref = assetRef(value);
    if (ref) return this.resolver.assetId(MODEL_TYPES.includes(type) ? 'models' : 'data', ref.name, ref.version, at);
    if (value.startsWith('azureml:')) throw file.error(at, `must be azureml:<name>:<version> or azureml:<name>@latest (got '${value}').`);
    const local = path.resolve(file.dir, value);
    if (!existsSync(local)) throw file.error(at, `names '${value}', which does not exist (looked for ${local}).`);
    const isFile = statSync(local).isFile();
    if (type === 'uri_file' && !isFile) throw file.error(at, `names the folder '${value}', but a uri_file input must be a file.`);
    if ((type === 'uri_folder' || type === 'mltable') && isFile) throw file.error(at, `names the file '${value}', but a ${type} input must be a folder.`);
    return this.resolver.uploadInput(local, type, at);
  }

  // ---------------------------------------------------------------------------------------------
  // Command parts (command jobs, sweep trials)

  private async commandParts(file: JobFile, data: Obj, at: Path, declared: { inputs: unknown; outputs: unknown; searchSpace?: unknown }): Promise<Obj> {
    const c = checker(file);
    const parts: Obj = {};
    const command = c.string(data.command, [...at, 'command'], 'the command to run');
    checkCommandBindings(c, command, at, declared);
    parts.command = command;
    // The code upload and the environment lookup (or registration) are independent: run them together.
    const [codeValue, environmentValue] = await this.all(
      async () => (data.code === undefined ? undefined : this.code(file, data.code, [...at, 'code'], false)),
      () => this.environment(file, data.environment, [...at, 'environment']),
    );
    if (codeValue !== undefined) parts.codeId = codeValue;
    parts.environmentId = environmentValue;
    parts.environmentVariables = data.environment_variables === undefined ? {} : stringMap(c, data.environment_variables, [...at, 'environment_variables']);
    if (data.distribution !== undefined) parts.distribution = distribution(c, data.distribution, [...at, 'distribution']);
    if (data.resources !== undefined) parts.resources = resources(c, data.resources, [...at, 'resources']);
    return parts;
  }

  private async code(file: JobFile, value: unknown, at: Path, component: boolean): Promise<string> {
    const text = checker(file).string(value, at, 'a local folder or an azureml:<name>:<version> code reference');
    if (text.startsWith('/subscriptions/')) return text;
    if (text.startsWith('git+')) throw file.error(at, `names a git repository (${text}); code from git is not supported yet.`);
    const ref = assetRef(text);
    if (ref) {
      if (!ref.version) throw file.error(at, `must name a code version (azureml:<name>:<version>); code@latest is not supported yet.`);
      return this.resolver.assetId('codes', ref.name, ref.version, at);
    }
    if (REMOTE.test(text)) throw file.error(at, `names a remote location (${text}); code must be a local folder or a registered code version.`);
    const local = await checkLocalCode(file, text, at);
    return this.once(`code:${component}:${local}`, () => this.resolver.codeId(local, at, { component }));
  }

  private once(key: string, make: () => Promise<string>): Promise<string> {
    let found = this.registered.get(key);
    if (!found) {
      found = make();
      this.registered.set(key, found);
    }
    return found;
  }

  /** The environment's id for a job body: curated and registry references as they are, names resolved, inline ones registered. */
  environmentId(value: unknown, at: Path): Promise<string> {
    return this.environment(this.file, value, at);
  }

  private async environment(file: JobFile, value: unknown, at: Path): Promise<string> {
    if (value === undefined || value === null) throw file.error(at, 'is required: azureml:<name>:<version>, azureml:<name>@latest, or an inline image.');
    if (typeof value === 'string') {
      const text = value.trim();
      if (text.startsWith('file:')) {
        const envFile = path.resolve(file.dir, text.slice(5));
        if (!existsSync(envFile)) throw file.error(at, `names ${text.slice(5)}, which does not exist (looked for ${envFile}).`);
        const loaded = JobFile.load(envFile, path.relative(path.dirname(file.file), envFile) ? path.join(path.dirname(file.display), path.relative(path.dirname(file.file), envFile)) : file.display);
        return this.inlineEnvironment(loaded, loaded.data(), []);
      }
      if (text.startsWith('/subscriptions/') || text.startsWith('azureml://registries/')) return text;
      const bare = text.replace(/^azureml:/, '');
      // Curated environments live in the service's registry; it expands the short form itself.
      if (/^AzureML-/.test(bare)) return `azureml:${bare}`;
      const ref = assetRef(`azureml:${bare}`);
      if (!ref) throw file.error(at, `must be azureml:<name>:<version>, azureml:<name>@latest, a curated azureml:AzureML-… environment or an inline image (got '${text}').`);
      return this.resolver.assetId('environments', ref.name, ref.version, at);
    }
    return this.inlineEnvironment(file, checker(file).obj(value, at), at);
  }

  /** An inline (anonymous) environment, versioned with azure-ai-ml's own content hash. */
  private async inlineEnvironment(file: JobFile, spec: Obj, at: Path): Promise<string> {
    const c = checker(file);
    c.keys(spec, ['$schema', 'name', 'version', 'description', 'tags', 'properties', 'image', 'conda_file', 'build', 'os_type', 'inference_config', 'datastore'], at);
    const hasImage = spec.image !== undefined && spec.image !== null;
    if (hasImage === (spec.build !== undefined)) throw file.error(at, 'needs either image (a Docker image) or build (a Docker build context), not both.');
    const properties: Obj = {};
    let env: AnonymousEnvironment;
    let conda: string | undefined;
    if (spec.conda_file !== undefined) {
      let condaData: unknown = spec.conda_file;
      if (typeof spec.conda_file === 'string') {
        const condaPath = path.resolve(file.dir, spec.conda_file);
        if (!existsSync(condaPath)) throw file.error([...at, 'conda_file'], `names ${spec.conda_file}, which does not exist (looked for ${condaPath}).`);
        condaData = JobFile.load(condaPath, path.join(path.dirname(file.display), spec.conda_file)).data();
      }
      // azure-ai-ml sends (and hashes) the conda file as PyYAML dumps it, keys sorted.
      conda = pyYamlDump(condaData);
    }
    if (hasImage) {
      const image = c.string(spec.image, [...at, 'image'], 'a Docker image');
      properties.image = image;
      if (conda) properties.condaFile = conda;
      env = { version: imageEnvironmentVersion(image, conda), properties };
    } else {
      if (conda) throw file.error([...at, 'conda_file'], 'goes with image, not with build (put the conda file in the build context).');
      const build = c.obj(spec.build, [...at, 'build']);
      c.keys(build, ['path', 'dockerfile_path'], [...at, 'build']);
      const context = c.string(build.path, [...at, 'build', 'path'], 'the Docker build context folder');
      if (REMOTE.test(context)) {
        throw file.error([...at, 'build', 'path'], `names a remote build context (${context}); only a local folder is supported yet.`);
      }
      const local = path.resolve(file.dir, context);
      if (!existsSync(local) || !statSync(local).isDirectory()) throw file.error([...at, 'build', 'path'], `names '${context}', which is not a folder (looked for ${local}).`);
      const asset = await describeLocalAsset(local);
      if (asset.files.length === 0) throw file.error([...at, 'build', 'path'], `names the folder '${context}', which has no files to upload.`);
      const dockerfile = build.dockerfile_path === undefined ? undefined : c.string(build.dockerfile_path, [...at, 'build', 'dockerfile_path']);
      const dockerPath = path.join(local, dockerfile ?? 'Dockerfile');
      if (!existsSync(dockerPath)) throw file.error([...at, 'build', dockerfile ? 'dockerfile_path' : 'path'], `has no ${dockerfile ?? 'Dockerfile'} (looked for ${dockerPath}).`);
      properties.build = { contextUri: context, ...(dockerfile ? { dockerfilePath: dockerfile } : {}) };
      env = { version: buildEnvironmentVersion(asset.hash, dockerfile), properties, buildContext: local };
    }
    if (spec.os_type !== undefined) properties.osType = String(spec.os_type);
    if (spec.tags !== undefined) properties.tags = stringMap(c, spec.tags, [...at, 'tags']);
    properties.isAnonymous = true;
    if (spec.inference_config !== undefined) throw file.error([...at, 'inference_config'], 'is for deployments; an inline job environment with inference_config is not supported yet.');
    if (spec.description !== undefined) properties.description = String(spec.description);
    if (spec.properties !== undefined) properties.properties = stringMap(c, spec.properties, [...at, 'properties']);
    properties.isArchived = false;
    return this.once(`env:${env.version}`, () => this.resolver.registerEnvironment(env, at));
  }

  // ---------------------------------------------------------------------------------------------
  // Pipelines

  private async settings(value: unknown): Promise<Obj> {
    const { c } = this;
    const settings = value === undefined || value === null ? {} : c.obj(value, ['settings']);
    c.keys(settings, ['default_compute', 'default_datastore', 'continue_on_step_failure', 'force_rerun', 'default_environment', 'on_init', 'on_finalize'], ['settings']);
    const out: Obj = { _source: 'YAML.JOB' };
    for (const [k, v] of Object.entries(settings)) {
      if (k === 'default_compute') out[k] = await this.resolver.computeId(computeName(c, v, ['settings', k]));
      else if (k === 'default_datastore') {
        const name = c.string(v, ['settings', k], 'a datastore name (azureml:<name>)').replace(/^azureml:/, '');
        out[k] = name.startsWith('/subscriptions/') ? name : await this.resolver.datastoreId(name);
      } else if (k === 'continue_on_step_failure' || k === 'force_rerun') out[k] = bool(c, v, ['settings', k]);
      else throw c.file.error(['settings', k], 'is not supported yet.');
    }
    return out;
  }

  /** Every step registered as an anonymous component (or naming a registered one) and sent by componentId, as az ml does. */
  private async pipelineSteps(data: Obj): Promise<Obj> {
    const { c } = this;
    const steps = c.obj(data.jobs, ['jobs']);
    if (Object.keys(steps).length === 0) throw c.file.error(['jobs'], 'must hold at least one step.');
    const result: Obj = {};
    for (const [name, raw] of Object.entries(steps)) {
      const at: Path = ['jobs', name];
      const step = c.obj(raw, at);
      const type = String(step.type ?? 'command');
      if (type === 'command') result[name] = await this.commandStep(data, name, step, at);
      else if (type === 'sweep') result[name] = await this.sweepStep(data, name, step, at);
      else if (['pipeline', 'parallel', 'spark', 'automl', 'import', 'data_transfer'].includes(type)) {
        throw c.file.error([...at, 'type'], `is '${type}': ${type} steps are not supported yet (command and sweep steps are).`);
      } else throw c.file.error([...at, 'type'], `must be command or sweep (got '${type}').`);
    }
    return result;
  }

  private checkBinding(data: Obj, stepName: string, value: string, where: Path): string[] | undefined {
    const m = BINDING.exec(value);
    if (!m) return undefined;
    const steps = data.jobs as Obj;
    const parts = m[1].split('.');
    const ok =
      parts[0] === 'parent' &&
      ((parts[1] === 'inputs' && parts.length === 3 && parts[2] in ((data.inputs as Obj) ?? {})) ||
        (parts[1] === 'outputs' && parts.length === 3 && parts[2] in ((data.outputs as Obj) ?? {})) ||
        (parts[1] === 'jobs' && parts.length === 5 && parts[3] === 'outputs' && parts[2] in steps && parts[2] !== stepName && this.stepHasOutput(steps[parts[2]] as Obj, parts[4])));
    if (!ok) throw this.c.file.error(where, `binds to \${{${m[1]}}}, which names no pipeline input, pipeline output or other step's output.`);
    return parts;
  }

  /** A step's outputs: its own, or (for a step from a component file, a sweep's trial) the component's. */
  private stepHasOutput(step: Obj, output: string): boolean {
    if (step && typeof step.outputs === 'object' && step.outputs !== null && output in (step.outputs as Obj)) return true;
    const ref = typeof step?.component === 'string' ? step.component : typeof step?.trial === 'string' ? step.trial : undefined;
    if (ref && !ref.startsWith('azureml:')) {
      const local = path.resolve(this.file.dir, ref.replace(/^file:/, ''));
      if (existsSync(local)) {
        const spec = JobFile.load(local, ref).data();
        return typeof spec.outputs === 'object' && spec.outputs !== null && output in (spec.outputs as Obj);
      }
    }
    // A registered component's outputs are known to the service only: accept, it checks.
    return Boolean(ref?.startsWith('azureml:'));
  }

  /** A step's inputs (snake_case REST): bindings and literals as literal values, data resolved. */
  private async stepInputs(data: Obj, stepName: string, step: Obj, at: Path): Promise<{ rest: Obj; types: Record<string, Obj> }> {
    const { c } = this;
    const rest: Obj = {};
    const types: Record<string, Obj> = {};
    const inputs = step.inputs === undefined || step.inputs === null ? {} : c.obj(step.inputs, [...at, 'inputs']);
    for (const [k, v] of Object.entries(inputs)) {
      const where = [...at, 'inputs', k];
      if (typeof v === 'string' && BINDING.test(v)) {
        const parts = this.checkBinding(data, stepName, v, where)!;
        rest[k] = { job_input_type: 'literal', value: v };
        types[k] = { type: this.boundType(data, parts) };
        continue;
      }
      const literal = literalOf(c, v, where);
      if (literal !== undefined) {
        rest[k] = { job_input_type: 'literal', value: literal };
        types[k] = { default: literal, type: literalType(v) };
        continue;
      }
      const spec = v as Obj;
      if (typeof spec.path === 'string' && BINDING.test(spec.path)) {
        const parts = this.checkBinding(data, stepName, spec.path, [...where, 'path'])!;
        rest[k] = { job_input_type: 'literal', value: spec.path };
        types[k] = { type: String(spec.type ?? this.boundType(data, parts)) };
        continue;
      }
      const input = await this.dataInput(c.file, spec, where);
      rest[k] = { job_input_type: input.type, uri: input.uri, ...(input.mode ? { mode: input.mode } : {}) };
      types[k] = { type: input.type };
    }
    return { rest, types };
  }

  /** The type azure-ai-ml gives an inline step's input bound to a pipeline input or another step's output. */
  private boundType(data: Obj, parts: string[]): string {
    if (parts[1] === 'inputs') {
      const input = ((data.inputs as Obj) ?? {})[parts[2]];
      if (input !== null && typeof input === 'object' && !(input instanceof PyFloat)) {
        const t = String((input as Obj).type ?? 'uri_folder');
        return t === 'literal' ? 'string' : t;
      }
      return literalType(input);
    }
    return 'uri_folder';
  }

  private stepOutputs(data: Obj, stepName: string, step: Obj, at: Path): { rest: Obj; types: Record<string, Obj> } {
    const { c } = this;
    const rest: Obj = {};
    const types: Record<string, Obj> = {};
    const outputs = step.outputs === undefined || step.outputs === null ? {} : c.obj(step.outputs, [...at, 'outputs']);
    for (const [k, v] of Object.entries(outputs)) {
      const where = [...at, 'outputs', k];
      if (v === null || v === undefined) {
        types[k] = { type: 'uri_folder' };
        continue;
      }
      if (typeof v === 'string' && BINDING.test(v)) {
        const parts = this.checkBinding(data, stepName, v, where)!;
        if (parts[1] !== 'outputs') throw c.file.error(where, `binds to ${v}; a step output can only be bound to a pipeline output (\${{parent.outputs.<name>}}).`);
        rest[k] = { type: 'literal', value: v };
        const parent = ((data.outputs as Obj) ?? {})[parts[2]];
        const p = parent && typeof parent === 'object' ? (parent as Obj) : {};
        types[k] = { ...(p.mode !== undefined ? { mode: String(p.mode) } : {}), type: String(p.type ?? 'uri_folder') };
        continue;
      }
      const spec = c.obj(v, where);
      c.keys(spec, ['type', 'path', 'mode', 'description'], where);
      const out = jobOutputs(c, { [k]: spec }, [...at, 'outputs'])[k] as Obj;
      rest[k] = { job_output_type: out.jobOutputType, ...(out.uri ? { uri: out.uri } : {}), ...(out.mode ? { mode: out.mode } : {}) };
      types[k] = { type: String(out.jobOutputType) };
    }
    return { rest, types };
  }

  private async commandStep(data: Obj, name: string, step: Obj, at: Path): Promise<Obj> {
    const { c } = this;
    const common = ['type', 'name', 'display_name', 'description', 'tags', 'compute', 'inputs', 'outputs', 'environment_variables', 'distribution', 'resources', 'limits', 'services', 'properties'];
    const inline = ['command', 'code', 'environment'];
    if (step.component !== undefined) {
      for (const key of Object.keys(step)) {
        if (inline.includes(key)) throw c.file.error([...at, key], `is set by the step's component; remove it here or drop component: (a step is either inline or a component).`);
      }
      c.keys(step, [...common, 'component'], at);
    } else c.keys(step, [...common, ...inline], at);
    if (step.name !== undefined && step.name !== name) throw c.file.error([...at, 'name'], `must be the step's key ('${name}') when given (got '${String(step.name)}').`);
    if (step.limits !== undefined) throw c.file.error([...at, 'limits'], 'is not supported yet on a pipeline step.');
    if (step.services !== undefined) throw c.file.error([...at, 'services'], 'is not supported yet on a pipeline step.');
    const inputs = await this.stepInputs(data, name, step, at);
    const outputs = this.stepOutputs(data, name, step, at);
    let componentId: string;
    let source: string;
    if (step.component !== undefined) {
      ({ id: componentId, source } = await this.componentReference(step.component, [...at, 'component'], inputs, outputs, step));
    } else {
      source = 'YAML.JOB';
      componentId = await this.inlineComponent(name, step, at, inputs.types, outputs.types);
    }
    const rest: Obj = { _source: source, componentId, name, type: 'command' };
    if (step.compute !== undefined) rest.computeId = await this.resolver.computeId(computeName(c, step.compute, [...at, 'compute']));
    if (step.display_name !== undefined) rest.display_name = String(step.display_name);
    if (step.tags !== undefined) rest.tags = stringMap(c, step.tags, [...at, 'tags']);
    if (step.environment_variables !== undefined) rest.environment_variables = stringMap(c, step.environment_variables, [...at, 'environment_variables']);
    if (step.distribution !== undefined) {
      const d = distribution(c, step.distribution, [...at, 'distribution']);
      rest.distribution = Object.fromEntries(Object.entries(d).map(([k, v]) => [snake(k), v]));
    }
    if (step.resources !== undefined) rest.resources = yamlResources(c, step.resources, [...at, 'resources']);
    if (Object.keys(inputs.rest).length) rest.inputs = inputs.rest;
    if (Object.keys(outputs.rest).length) rest.outputs = outputs.rest;
    return rest;
  }

  /** An inline command step as the anonymous component azure-ai-ml registers for it. */
  private async inlineComponent(name: string, step: Obj, at: Path, inputTypes: Record<string, Obj>, outputTypes: Record<string, Obj>): Promise<string> {
    const { c, file } = this;
    const command = c.string(step.command, [...at, 'command'], 'the command to run');
    checkCommandBindings(c, command, at, { inputs: inputTypes, outputs: outputTypes });
    const code = step.code === undefined ? await this.once('placeholder', () => this.resolver.placeholderCodeId()) : await this.code(file, step.code, [...at, 'code'], true);
    const environment = componentEnvironment(await this.environment(file, step.environment, [...at, 'environment']));
    const spec: Obj = {
      _source: 'YAML.JOB',
      code: `azureml:${code}`,
      command,
      ...(step.description !== undefined ? { description: String(step.description) } : {}),
      display_name: name,
      ...(step.distribution !== undefined ? { distribution: yamlMap(c, step.distribution, [...at, 'distribution']) } : {}),
      environment,
      ...(Object.keys(inputTypes).length ? { inputs: inputTypes } : {}),
      is_deterministic: true,
      name: ANONYMOUS_COMPONENT,
      ...(Object.keys(outputTypes).length ? { outputs: outputTypes } : {}),
      ...(step.resources !== undefined ? { resources: yamlResources(c, step.resources, [...at, 'resources']) } : {}),
      ...(step.tags !== undefined ? { tags: stringMap(c, step.tags, [...at, 'tags']) } : {}),
      type: 'command',
      version: '1',
    };
    return this.registerComponent(spec, at);
  }

  private registerComponent(spec: Obj, at: Path): Promise<string> {
    const version = componentVersion(spec);
    const body = {
      properties: {
        componentSpec: spec,
        ...(spec.description !== undefined ? { description: spec.description } : {}),
        isAnonymous: true,
        isArchived: false,
        properties: {},
        tags: (spec.tags as Obj | undefined) ?? {},
      },
    };
    return this.once(`component:${version}`, () => this.resolver.registerComponent(body, version, at));
  }

  /** `component:` / `trial:` of a step: a local component file (registered anonymously) or azureml:<name>:<version> / @latest. */
  private async componentReference(
    value: unknown,
    at: Path,
    inputs?: { types: Record<string, Obj> },
    outputs?: { types: Record<string, Obj> },
    step?: Obj,
  ): Promise<{ id: string; source: string }> {
    const { c } = this;
    if (value !== null && typeof value === 'object') throw c.file.error(at, 'is an inline component definition; inline component definitions are not supported yet (put it in a file and write component: ./file.yml).');
    const text = c.string(value, at, 'a component file (./component.yml) or azureml:<name>:<version>');
    if (text.startsWith('/subscriptions/')) return { id: text, source: 'REMOTE.WORKSPACE.COMPONENT' };
    if (text.startsWith('azureml://registries/')) return { id: text, source: 'REMOTE.REGISTRY' };
    const ref = assetRef(text);
    if (ref) return { id: await this.resolver.assetId('components', ref.name, ref.version, at), source: 'REMOTE.WORKSPACE.COMPONENT' };
    if (text.startsWith('azureml:')) throw c.file.error(at, `must be azureml:<name>:<version> or azureml:<name>@latest (got '${text}').`);
    const local = path.resolve(this.file.dir, text.replace(/^file:/, ''));
    if (!existsSync(local)) throw c.file.error(at, `names '${text}', which does not exist (looked for ${local}).`);
    const display = path.join(path.dirname(this.file.display), path.relative(this.file.dir, local));
    const component = JobFile.load(local, display);
    // azure-ai-ml marks a component named with file: as coming from the job's YAML.
    const source = text.startsWith('file:') ? 'YAML.JOB' : 'YAML.COMPONENT';
    const spec = await this.componentFile(component, source);
    // The step's inputs and outputs must be the component's.
    for (const [kind, given] of [['inputs', inputs?.types], ['outputs', outputs?.types]] as const) {
      for (const k of Object.keys(given ?? {})) {
        if (!(k in ((spec[kind] as Obj) ?? {}))) throw c.file.error([...at.slice(0, -1), kind, k], `is not one of the ${kind} of component ${display} (${Object.keys((spec[kind] as Obj) ?? {}).join(', ') || 'none'}).`);
      }
    }
    void step;
    return { id: await this.registerComponent(spec, at), source };
  }

  /** A command component file, as azure-ai-ml dumps it into the anonymous component's spec. */
  private async componentFile(file: JobFile, source: string): Promise<Obj> {
    const c = checker(file);
    const data = file.data();
    c.keys(data, ['$schema', 'type', 'name', 'version', 'display_name', 'description', 'tags', 'is_deterministic', 'inputs', 'outputs', 'command', 'code', 'environment', 'environment_variables', 'distribution', 'resources', 'properties'], []);
    const type = String(data.type ?? 'command');
    if (type !== 'command') throw file.error(['type'], `is '${type}': only command components are supported yet.`);
    const inputs: Obj = {};
    for (const [k, v] of Object.entries(data.inputs === undefined || data.inputs === null ? {} : c.obj(data.inputs, ['inputs']))) {
      const where = ['inputs', k];
      const spec = c.obj(v, where);
      c.keys(spec, ['type', 'default', 'optional', 'description', 'min', 'max', 'enum', 'mode'], where);
      const t = String(spec.type ?? '');
      if (![...LITERAL_TYPES, ...DATA_TYPES].includes(t)) throw file.error([...where, 'type'], `must be one of ${[...LITERAL_TYPES, ...DATA_TYPES].join(', ')} (got '${t}').`);
      inputs[k] = {
        ...(spec.default !== undefined ? { default: typedDefault(c, t, spec.default, [...where, 'default']) } : {}),
        ...(spec.description !== undefined ? { description: String(spec.description) } : {}),
        ...(spec.optional !== undefined ? { optional: bool(c, spec.optional, [...where, 'optional']) } : {}),
        type: t,
      };
    }
    const outputs: Obj = {};
    for (const [k, v] of Object.entries(data.outputs === undefined || data.outputs === null ? {} : c.obj(data.outputs, ['outputs']))) {
      const spec = v === null ? {} : c.obj(v, ['outputs', k]);
      c.keys(spec, ['type', 'description', 'mode'], ['outputs', k]);
      outputs[k] = { ...(spec.description !== undefined ? { description: String(spec.description) } : {}), type: String(spec.type ?? 'uri_folder') };
    }
    const command = c.string(data.command, ['command'], 'the command to run');
    checkCommandBindings(c, command, [], { inputs, outputs });
    const code = data.code === undefined ? await this.once('placeholder', () => this.resolver.placeholderCodeId()) : await this.code(file, data.code, ['code'], true);
    const environment = componentEnvironment(await this.environment(file, data.environment, ['environment']));
    return {
      ...(data.$schema !== undefined ? { $schema: String(data.$schema) } : {}),
      _source: source,
      code: `azureml:${code}`,
      command,
      ...(data.description !== undefined ? { description: String(data.description) } : {}),
      ...(data.display_name !== undefined ? { display_name: String(data.display_name) } : {}),
      ...(data.distribution !== undefined ? { distribution: yamlMap(c, data.distribution, ['distribution']) } : {}),
      environment,
      ...(data.environment_variables !== undefined ? { environment_variables: stringMap(c, data.environment_variables, ['environment_variables']) } : {}),
      ...(Object.keys(inputs).length ? { inputs } : {}),
      is_deterministic: data.is_deterministic === undefined ? true : bool(c, data.is_deterministic, ['is_deterministic']),
      name: ANONYMOUS_COMPONENT,
      ...(Object.keys(outputs).length ? { outputs } : {}),
      ...(data.resources !== undefined ? { resources: yamlResources(c, data.resources, ['resources']) } : {}),
      ...(data.tags !== undefined ? { tags: stringMap(c, data.tags, ['tags']) } : {}),
      type: 'command',
      version: '1',
    };
  }

  /** A `type: sweep` step: its trial a component (file or registered), its settings sent as written (snake_case), as az ml does. */
  private async sweepStep(data: Obj, name: string, step: Obj, at: Path): Promise<Obj> {
    const { c } = this;
    c.keys(step, ['type', 'name', 'display_name', 'description', 'tags', 'compute', 'inputs', 'outputs', 'trial', 'search_space', 'objective', 'sampling_algorithm', 'limits', 'early_termination'], at);
    if (step.name !== undefined && step.name !== name) throw c.file.error([...at, 'name'], `must be the step's key ('${name}') when given (got '${String(step.name)}').`);
    const space = searchSpace(c, step.search_space, [...at, 'search_space']);
    void space;
    const objective = c.obj(step.objective, [...at, 'objective']);
    c.keys(objective, ['goal', 'primary_metric'], [...at, 'objective']);
    goal(c, objective.goal, [...at, 'objective', 'goal']);
    c.string(objective.primary_metric, [...at, 'objective', 'primary_metric'], 'the metric to optimise');
    samplingAlgorithm(c, step.sampling_algorithm, [...at, 'sampling_algorithm']);
    if (step.limits !== undefined) sweepLimits(c, step.limits, [...at, 'limits']);
    if (step.early_termination !== undefined) earlyTermination(c, step.early_termination, [...at, 'early_termination']);
    const inputs = await this.stepInputs(data, name, step, at);
    const outputs = this.stepOutputs(data, name, step, at);
    if (step.trial === undefined) throw c.file.error([...at, 'trial'], 'is required: the component each trial runs (./train.yml or azureml:<name>:<version>).');
    const trial = await this.componentReference(step.trial, [...at, 'trial'], inputs, outputs, step);
    const rest: Obj = {
      _source: trial.source,
      name,
      type: 'sweep',
      trial: { componentId: trial.id },
      search_space: plain(step.search_space),
      objective: plain(step.objective),
      sampling_algorithm: plain(step.sampling_algorithm ?? 'random'),
    };
    if (step.limits !== undefined) rest.limits = plain(step.limits);
    if (step.early_termination !== undefined) rest.early_termination = plain(step.early_termination);
    if (step.compute !== undefined) rest.computeId = await this.resolver.computeId(computeName(c, step.compute, [...at, 'compute']));
    if (step.display_name !== undefined) rest.display_name = String(step.display_name);
    if (step.tags !== undefined) rest.tags = stringMap(c, step.tags, [...at, 'tags']);
    if (Object.keys(inputs.rest).length) rest.inputs = inputs.rest;
    if (Object.keys(outputs.rest).length) rest.outputs = outputs.rest;
    return rest;
  }

  // ---------------------------------------------------------------------------------------------
  // Sweep jobs

  private async sweepParts(data: Obj): Promise<Obj> {
    const { c, file } = this;
    const trial = c.obj(data.trial, ['trial']);
    c.keys(trial, ['command', 'code', 'environment', 'environment_variables', 'distribution', 'resources'], ['trial']);
    const space = searchSpace(c, data.search_space, ['search_space']);
    const objective = c.obj(data.objective, ['objective']);
    c.keys(objective, ['goal', 'primary_metric'], ['objective']);
    const sampling = samplingAlgorithm(c, data.sampling_algorithm, ['sampling_algorithm']);
    const limits = data.limits === undefined ? {} : sweepLimits(c, data.limits, ['limits']);
    const parts: Obj = {
      trial: await this.commandParts(file, trial, ['trial'], { inputs: data.inputs ?? {}, outputs: data.outputs ?? {}, searchSpace: data.search_space }),
      searchSpace: space,
      objective: { goal: goal(c, objective.goal, ['objective', 'goal']), primaryMetric: c.string(objective.primary_metric, ['objective', 'primary_metric'], 'the metric to optimise') },
      samplingAlgorithm: sampling,
      limits: { jobLimitsType: 'Sweep', ...limits },
    };
    if (data.early_termination !== undefined) parts.earlyTermination = earlyTermination(c, data.early_termination, ['early_termination']);
    return parts;
  }
}

// -------------------------------------------------------------------------------------------------
// Pure helpers

function defaultExperiment(cwd: string | undefined): string {
  // to_rest_job_object: Path("./").resolve().stem without spaces, else "Default".
  const stem = cwd ? path.basename(path.resolve(cwd)).replace(/\.[^.]*$/, '').replace(/ /g, '') : '';
  return stem || 'Default';
}

/** `azureml:<name>:<version>` / `azureml:<name>@latest` → name and version (undefined = latest). */
function assetRef(value: string): { name: string; version?: string } | undefined {
  const m = /^azureml:([a-zA-Z0-9][a-zA-Z0-9\-_.]*)(?::([a-zA-Z0-9][a-zA-Z0-9\-_.]*)|@latest)$/.exec(value);
  return m ? { name: m[1], version: m[2] } : undefined;
}

function componentEnvironment(id: string): string {
  return id.startsWith('/subscriptions/') ? `azureml:${id}` : id;
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
}

/** A YAML value with PyFloat markers turned back into numbers, for parts az ml sends as written. */
function plain(value: unknown): unknown {
  if (value instanceof PyFloat) return value.value;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function yamlMap(c: Checker, value: unknown, at: Path): Obj {
  return plain(c.obj(value, at)) as Obj;
}

function stringMap(c: Checker, value: unknown, at: Path): Record<string, string> {
  const o = c.obj(value, at);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === null ? '' : pyStr(v)]));
}

function bool(c: Checker, value: unknown, at: Path): boolean {
  if (typeof value === 'boolean') return value;
  throw c.file.error(at, `expected true or false, got '${pyStr(value)}'.`);
}

function identity(c: Checker, value: unknown): Obj {
  const o = c.obj(value, ['identity']);
  c.keys(o, ['type', 'client_id', 'object_id', 'resource_id'], ['identity']);
  const type = IDENTITIES[String(o.type)];
  if (!type) throw c.file.error(['identity', 'type'], `must be one of ${Object.keys(IDENTITIES).join(', ')}.`);
  return { identityType: type, ...(o.client_id ? { clientId: o.client_id } : {}), ...(o.object_id ? { objectId: o.object_id } : {}), ...(o.resource_id ? { resourceId: o.resource_id } : {}) };
}

function services(c: Checker, value: unknown, at: Path): Obj {
  const o = c.obj(value, at);
  const out: Obj = {};
  for (const [name, raw] of Object.entries(o)) {
    const where = [...at, name];
    const s = c.obj(raw, where);
    c.keys(s, ['type', 'job_service_type', 'port', 'nodes', 'properties', 'log_dir', 'ssh_public_keys'], where);
    const typeKey = s.type !== undefined ? 'type' : 'job_service_type';
    const type = SERVICES[String(s[typeKey])];
    if (!type) throw c.file.error([...where, typeKey], `must be one of ${Object.keys(SERVICES).filter((k) => k !== 'custom').join(', ')} (got '${String(s[typeKey])}').`);
    if (s.nodes !== undefined) throw c.file.error([...where, 'nodes'], 'is not supported yet (services run on the head node).');
    const properties: Record<string, string> = s.properties === undefined ? {} : stringMap(c, s.properties, [...where, 'properties']);
    if (s.log_dir !== undefined) properties.logDir = String(s.log_dir);
    if (s.ssh_public_keys !== undefined) properties.sshPublicKeys = String(s.ssh_public_keys);
    out[name] = { jobServiceType: type, ...(s.port !== undefined ? { port: integer(c, s.port, [...where, 'port']) } : {}), ...(Object.keys(properties).length ? { properties } : {}) };
  }
  return out;
}

/** `azureml:cpu-cluster`, `cpu-cluster` or a full ARM id → the compute's name (or id). */
function computeName(c: Checker, value: unknown, at: Path): string {
  const text = c.string(value, at, 'a compute name (azureml:<name>)');
  if (text === 'local') throw c.file.error(at, "'local' runs on your machine with az ml; this step submits to a compute cluster (azureml:<name>).");
  return text.replace(/^azureml:/, '');
}

function describe(value: unknown): string {
  return value instanceof PyFloat ? pyFloat(value.value) : typeof value === 'object' && value !== null ? JSON.stringify(plain(value)) : String(value);
}

function integer(c: Checker, value: unknown, at: Path): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw c.file.error(at, `expected an integer, got '${describe(value)}'.`);
}

function number(c: Checker, value: unknown, at: Path): number {
  if (value instanceof PyFloat) return value.value;
  if (typeof value === 'number') return value;
  throw c.file.error(at, `expected a number, got '${describe(value)}'.`);
}

/** Seconds (a number) → isodate's ISO 8601 (PT1H); an ISO 8601 duration as it is. */
function duration(c: Checker, value: unknown, at: Path): string {
  if (value instanceof PyFloat && value.value > 0) return isoDuration(value.value);
  if (typeof value === 'number' && value > 0) return isoDuration(value);
  if (typeof value === 'string' && /^P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/.test(value)) return value;
  throw c.file.error(at, `expected a number of seconds, got '${describe(value)}'.`);
}

function commandLimits(c: Checker, value: unknown, at: Path): Obj {
  const o = c.obj(value, at);
  c.keys(o, ['timeout'], at);
  return { jobLimitsType: 'Command', ...(o.timeout !== undefined ? { timeout: duration(c, o.timeout, [...at, 'timeout']) } : {}) };
}

/** A literal input (a scalar, or a mapping with a literal type) as the string az ml sends; undefined for data inputs. */
function literalOf(c: Checker, input: unknown, where: Path): string | undefined {
  if (input === null || input === undefined) throw c.file.error(where, 'has no value.');
  if (input instanceof PyFloat || typeof input !== 'object') return pyStr(input);
  if (Array.isArray(input)) throw c.file.error(where, 'must be a literal value or a mapping with type and path.');
  const spec = input as Obj;
  const type = String(spec.type ?? 'uri_folder');
  if (type === 'literal' || LITERAL_TYPES.includes(type)) {
    c.keys(spec, ['type', 'value', 'default', 'description', 'optional'], where);
    const v = spec.value ?? spec.default;
    if (v === undefined || v === null) throw c.file.error(where, 'needs a value.');
    if (type === 'integer') return String(integer(c, v, [...where, spec.value !== undefined ? 'value' : 'default']));
    if (type === 'number') return pyFloat(number(c, v, [...where, spec.value !== undefined ? 'value' : 'default']));
    if (type === 'boolean') return pyStr(bool(c, v, [...where, spec.value !== undefined ? 'value' : 'default']));
    return pyStr(v);
  }
  return undefined;
}

function literalType(value: unknown): string {
  if (typeof value === 'boolean') return 'boolean';
  if (value instanceof PyFloat) return 'number';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return 'string';
}

/** A component input's default, as azure-ai-ml dumps it for the declared type ("1024.0" for a number). */
function typedDefault(c: Checker, type: string, value: unknown, at: Path): string {
  if (type === 'number') {
    const n = value instanceof PyFloat ? value.value : typeof value === 'number' ? value : Number(value);
    if (Number.isNaN(n) || typeof value === 'boolean') throw c.file.error(at, `expected a number, got '${describe(value)}'.`);
    return pyFloat(n);
  }
  if (type === 'integer') return String(integer(c, typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value, at));
  if (type === 'boolean') {
    if (typeof value === 'boolean') return pyStr(value);
    if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true' ? 'True' : 'False';
    throw c.file.error(at, `expected true or false, got '${describe(value)}'.`);
  }
  return pyStr(value);
}

function jobOutputs(c: Checker, value: unknown, at: Path): Obj {
  const o = c.obj(value, at);
  const result: Obj = {};
  for (const [name, output] of Object.entries(o)) {
    const where = [...at, name];
    if (output === null || output === undefined) {
      result[name] = { jobOutputType: 'uri_folder' };
      continue;
    }
    const spec = c.obj(output, where);
    c.keys(spec, ['type', 'path', 'mode', 'description'], where);
    const type = String(spec.type ?? 'uri_folder');
    if (!DATA_TYPES.includes(type)) throw c.file.error([...where, 'type'], `must be one of ${DATA_TYPES.join(', ')} (got '${type}').`);
    const mode = spec.mode === undefined ? undefined : OUTPUT_MODES[String(spec.mode)];
    if (spec.mode !== undefined && !mode) throw c.file.error([...where, 'mode'], `must be one of ${Object.keys(OUTPUT_MODES).join(', ')}.`);
    if (spec.path !== undefined && !String(spec.path).startsWith('azureml://')) {
      throw c.file.error([...where, 'path'], 'must be an azureml:// URI (outputs are written by the job, not uploaded).');
    }
    result[name] = { jobOutputType: type, ...(spec.path ? { uri: spec.path } : {}), ...(mode ? { mode } : {}), ...(spec.description ? { description: spec.description } : {}) };
  }
  return result;
}

function checkCommandBindings(c: Checker, command: string, at: Path, declared: { inputs: unknown; outputs: unknown; searchSpace?: unknown }): void {
  for (const b of commandBindings(command)) {
    const pool = b.scope === 'inputs' ? declared.inputs : b.scope === 'outputs' ? declared.outputs : b.scope === 'search_space' ? declared.searchSpace : undefined;
    if (!pool || typeof pool !== 'object' || !(b.name in (pool as Obj))) {
      throw c.file.error([...at, 'command'], `refers to \${{${b.scope}.${b.name}}}, but the job declares no ${b.scope === 'search_space' ? 'search space entry' : b.scope.replace(/s$/, '')} named '${b.name}'.`);
    }
  }
}

function distribution(c: Checker, value: unknown, at: Path): Obj {
  const d = c.obj(value, at);
  const type = DISTRIBUTIONS[String(d.type).toLowerCase()];
  if (!type) throw c.file.error([...at, 'type'], 'must be pytorch, tensorflow or mpi.');
  const allowed = type === 'TensorFlow' ? ['type', 'worker_count', 'parameter_server_count'] : ['type', 'process_count_per_instance'];
  c.keys(d, allowed, at);
  const out: Obj = { distributionType: type };
  if (type === 'TensorFlow') {
    if (d.worker_count !== undefined) out.workerCount = integer(c, d.worker_count, [...at, 'worker_count']);
    out.parameterServerCount = d.parameter_server_count === undefined ? 0 : integer(c, d.parameter_server_count, [...at, 'parameter_server_count']);
  } else if (d.process_count_per_instance !== undefined) {
    out.processCountPerInstance = integer(c, d.process_count_per_instance, [...at, 'process_count_per_instance']);
  }
  return out;
}

function checkResources(c: Checker, value: unknown, at: Path): Obj {
  const r = c.obj(value, at);
  c.keys(r, ['instance_count', 'instance_type', 'shm_size', 'docker_args', 'properties'], at);
  if (r.instance_count !== undefined) integer(c, r.instance_count, [...at, 'instance_count']);
  if (r.instance_type !== undefined) c.string(r.instance_type, [...at, 'instance_type']);
  if (r.shm_size !== undefined && !/^\d+[bkmg]?$/i.test(pyStr(r.shm_size))) throw c.file.error([...at, 'shm_size'], `expected a size such as 2g or 512m, got '${describe(r.shm_size)}'.`);
  return r;
}

function resources(c: Checker, value: unknown, at: Path): Obj {
  const r = checkResources(c, value, at);
  return {
    ...(r.instance_count !== undefined ? { instanceCount: r.instance_count } : {}),
    ...(r.instance_type !== undefined ? { instanceType: String(r.instance_type) } : {}),
    properties: r.properties === undefined ? {} : plain(c.obj(r.properties, [...at, 'properties'])),
    ...(r.shm_size !== undefined ? { shmSize: pyStr(r.shm_size) } : {}),
    ...(r.docker_args !== undefined ? { dockerArgs: pyStr(r.docker_args) } : {}),
  };
}

function yamlResources(c: Checker, value: unknown, at: Path): Obj {
  return plain(checkResources(c, value, at)) as Obj;
}

const SEARCH_TYPES = ['choice', 'uniform', 'loguniform', 'normal', 'lognormal', 'quniform', 'qloguniform', 'qnormal', 'qlognormal', 'randint'];

function searchSpace(c: Checker, value: unknown, at: Path): Obj {
  const space = c.obj(value, at);
  if (Object.keys(space).length === 0) throw c.file.error(at, 'must define at least one parameter.');
  const out: Obj = {};
  for (const [k, v] of Object.entries(space)) {
    const where = [...at, k];
    const s = c.obj(v, where);
    const type = String(s.type);
    if (!SEARCH_TYPES.includes(type)) throw c.file.error([...where, 'type'], `must be one of ${SEARCH_TYPES.join(', ')}.`);
    const need = (key: string) => {
      if (s[key] === undefined) throw c.file.error(where, `is a ${type} parameter and needs ${key}.`);
      return number(c, s[key], [...where, key]);
    };
    const q = type.startsWith('q') ? [need('q')] : [];
    if (type === 'choice') {
      c.keys(s, ['type', 'values'], where);
      if (!Array.isArray(s.values) || s.values.length === 0) throw c.file.error([...where, 'values'], 'must be a non-empty list.');
      out[k] = ['choice', [plain(s.values)]];
    } else if (type === 'randint') {
      c.keys(s, ['type', 'upper'], where);
      if (s.upper === undefined) throw c.file.error(where, 'is a randint parameter and needs upper.');
      out[k] = ['randint', [integer(c, s.upper, [...where, 'upper'])]];
    } else if (type.includes('normal')) {
      c.keys(s, ['type', 'mu', 'sigma', ...(q.length ? ['q'] : [])], where);
      out[k] = [type, [need('mu'), need('sigma'), ...q]];
    } else {
      c.keys(s, ['type', 'min_value', 'max_value', ...(q.length ? ['q'] : [])], where);
      const min = need('min_value');
      const max = need('max_value');
      if (min > max) throw c.file.error([...where, 'min_value'], `must not be greater than max_value (${min} > ${max}).`);
      out[k] = [type, [min, max, ...q]];
    }
  }
  return out;
}

function goal(c: Checker, value: unknown, at: Path): string {
  const text = String(value ?? '');
  // az ml sends the goal as written; the service reads it case-insensitively.
  if (!/^(maximize|minimize)$/i.test(text)) throw c.file.error(at, `must be maximize or minimize (got '${text}').`);
  return text;
}

function samplingAlgorithm(c: Checker, value: unknown, at: Path): Obj {
  const spec = typeof value === 'string' ? { type: value } : c.obj(value ?? { type: 'random' }, at);
  const type = { random: 'Random', grid: 'Grid', bayesian: 'Bayesian' }[String(spec.type).toLowerCase()];
  if (!type) throw c.file.error(typeof value === 'string' ? at : [...at, 'type'], `must be random, grid or bayesian (got '${String(spec.type)}').`);
  if (typeof value !== 'string') c.keys(spec, type === 'Random' ? ['type', 'seed', 'rule', 'logbase'] : ['type'], at);
  return {
    samplingAlgorithmType: type,
    ...(spec.seed !== undefined ? { seed: integer(c, spec.seed, [...at, 'seed']) } : {}),
    ...(spec.rule !== undefined ? { rule: String(spec.rule) } : {}),
    ...(spec.logbase !== undefined ? { logbase: pyStr(spec.logbase) } : {}),
  };
}

function sweepLimits(c: Checker, value: unknown, at: Path): Obj {
  const limits = c.obj(value, at);
  c.keys(limits, ['max_total_trials', 'max_concurrent_trials', 'timeout', 'trial_timeout'], at);
  return {
    ...(limits.max_concurrent_trials !== undefined ? { maxConcurrentTrials: integer(c, limits.max_concurrent_trials, [...at, 'max_concurrent_trials']) } : {}),
    ...(limits.max_total_trials !== undefined ? { maxTotalTrials: integer(c, limits.max_total_trials, [...at, 'max_total_trials']) } : {}),
    ...(limits.timeout !== undefined ? { timeout: duration(c, limits.timeout, [...at, 'timeout']) } : {}),
    ...(limits.trial_timeout !== undefined ? { trialTimeout: duration(c, limits.trial_timeout, [...at, 'trial_timeout']) } : {}),
  };
}

function earlyTermination(c: Checker, value: unknown, at: Path): Obj {
  const e = c.obj(value, at);
  const type = { bandit: 'Bandit', median_stopping: 'MedianStopping', truncation_selection: 'TruncationSelection' }[String(e.type)];
  if (!type) throw c.file.error([...at, 'type'], 'must be bandit, median_stopping or truncation_selection.');
  c.keys(e, ['type', 'evaluation_interval', 'delay_evaluation', 'slack_factor', 'slack_amount', 'truncation_percentage'], at);
  return {
    policyType: type,
    ...(e.evaluation_interval !== undefined ? { evaluationInterval: integer(c, e.evaluation_interval, [...at, 'evaluation_interval']) } : {}),
    ...(e.delay_evaluation !== undefined ? { delayEvaluation: integer(c, e.delay_evaluation, [...at, 'delay_evaluation']) } : {}),
    ...(e.slack_factor !== undefined ? { slackFactor: number(c, e.slack_factor, [...at, 'slack_factor']) } : {}),
    ...(e.slack_amount !== undefined ? { slackAmount: number(c, e.slack_amount, [...at, 'slack_amount']) } : {}),
    ...(e.truncation_percentage !== undefined ? { truncationPercentage: integer(c, e.truncation_percentage, [...at, 'truncation_percentage']) } : {}),
  };
}

export { PLACEHOLDER_FILE };
export const PLACEHOLDER_TEXT = 'command_component: code_placeholder';
