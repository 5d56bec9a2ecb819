// `az ml` job YAML → the REST body of `PUT …/jobs/{name}` at api-version 2022-10-01, as azure-ai-ml
// builds it: snake_case keys to the REST names, `azureml:` references to ARM ids, local code and
// input paths uploaded (through the Resolver), modes and durations converted. Every mistake is a
// FileError naming the file, line and key, raised before anything is uploaded or submitted: the
// whole file is checked first (resolve: false), then converted with the resolver.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describeLocalAsset } from '../storage/asset-hash.js';
import { allowedKeys, checker, commandBindings, jobType, type Checker, type JobFile, type Path } from './job-yaml.js';

type Obj = Record<string, unknown>;

/** What needs Azure to turn a reference into an id (uploads, registrations, lookups). */
export interface Resolver {
  computeId(name: string): Promise<string>;
  environmentId(value: string | Obj, at: Path): Promise<string>;
  codeId(value: string, at: Path): Promise<string>;
  /** A local file or folder (relative to the YAML), uploaded; or a remote URI passed on. */
  inputUri(value: string, type: string, at: Path): Promise<string>;
}

export interface JobBody {
  name?: string;
  type: 'command' | 'pipeline' | 'sweep';
  body: { properties: Obj };
}

const INPUT_TYPES = ['uri_folder', 'uri_file', 'mltable', 'custom_model', 'mlflow_model', 'triton_model'];
const OUTPUT_TYPES = ['uri_folder', 'uri_file', 'mltable', 'custom_model', 'mlflow_model', 'triton_model'];
const INPUT_MODES: Record<string, string> = {
  ro_mount: 'ReadOnlyMount',
  mount: 'ReadOnlyMount',
  rw_mount: 'ReadWriteMount',
  download: 'Download',
  direct: 'Direct',
  eval_mount: 'EvalMount',
  eval_download: 'EvalDownload',
};
const OUTPUT_MODES: Record<string, string> = { rw_mount: 'ReadWriteMount', mount: 'ReadWriteMount', upload: 'Upload' };
const DISTRIBUTIONS: Record<string, string> = { pytorch: 'PyTorch', tensorflow: 'TensorFlow', mpi: 'Mpi' };
const IDENTITIES: Record<string, string> = { aml_token: 'AMLToken', managed: 'Managed', managed_identity: 'Managed', user_identity: 'UserIdentity' };
const BINDING = /^\$\{\{\s*([^}]+?)\s*\}\}$/;

/**
 * A resolver that resolves nothing: for the first, checking pass. It still looks at local code
 * folders (offline), so a missing or empty one fails before anything is uploaded or registered.
 */
function checkOnly(file: JobFile): Resolver {
  return {
    computeId: async (n) => n,
    environmentId: async () => 'check',
    codeId: async (value, at) => {
      await checkLocalCode(file, value, at);
      return 'check';
    },
    inputUri: async (v) => v,
  };
}

/** A local `code:` must exist and hold at least one file that .amlignore/.gitignore do not exclude. */
export async function checkLocalCode(file: JobFile, value: string, at: Path): Promise<void> {
  if (value.startsWith('/subscriptions/') || /^azureml:/.test(value) || /^[a-z]+:\/\//i.test(value)) return;
  const local = path.resolve(file.dir, value);
  if (!existsSync(local)) throw file.error(at, `names '${value}', which does not exist (looked for ${local}).`);
  const asset = await describeLocalAsset(local);
  if (asset.files.length === 0) {
    throw file.error(
      at,
      `names the folder '${value}', which has no files to upload (it is empty, or .amlignore/.gitignore exclude everything in it); expected a folder holding the job's code.`,
    );
  }
}

/** Checks the whole file, then converts it; nothing remote is touched if the file has a mistake. */
export async function jobBody(file: JobFile, resolver: Resolver, overrides: { experimentName?: string; displayName?: string; compute?: string } = {}): Promise<JobBody> {
  await convert(file, checkOnly(file), overrides);
  return convert(file, resolver, overrides);
}

async function convert(file: JobFile, resolver: Resolver, overrides: { experimentName?: string; displayName?: string; compute?: string }): Promise<JobBody> {
  const c = checker(file);
  const data = file.data();
  const type = jobType(file, data);
  c.keys(data, allowedKeys(type), []);
  const properties: Obj = {};
  const common = (key: string, restKey: string, value = data[key]) => {
    if (value !== undefined && value !== null) properties[restKey] = value;
  };
  common('display_name', 'displayName', overrides.displayName ?? data.display_name);
  common('experiment_name', 'experimentName', overrides.experimentName ?? data.experiment_name ?? 'Default');
  common('description', 'description');
  if (data.tags !== undefined) properties.tags = stringMap(c, data.tags, ['tags']);
  if (data.properties !== undefined) properties.properties = stringMap(c, data.properties, ['properties']);
  if (data.identity !== undefined) properties.identity = identity(c, data.identity);
  const compute = overrides.compute ?? (data.compute as string | undefined);
  const inputs = data.inputs === undefined ? undefined : await jobInputs(c, resolver, data.inputs, ['inputs'], false);
  const outputs = data.outputs === undefined ? undefined : jobOutputs(c, data.outputs, ['outputs']);
  if (inputs) properties.inputs = inputs;
  if (outputs) properties.outputs = outputs;

  if (type === 'command') {
    properties.jobType = 'Command';
    Object.assign(properties, await commandParts(c, resolver, data, [], { inputs: data.inputs, outputs: data.outputs }));
    if (!compute) throw file.error(['compute'], 'is required: the compute cluster to run on (azureml:<name>).');
    properties.computeId = await resolver.computeId(computeName(c, compute, ['compute']));
    if (data.limits !== undefined) properties.limits = commandLimits(c, data.limits, ['limits']);
  } else if (type === 'pipeline') {
    properties.jobType = 'Pipeline';
    const settings = data.settings === undefined ? {} : c.obj(data.settings, ['settings']);
    c.keys(settings, ['default_compute', 'default_datastore', 'continue_on_step_failure', 'force_rerun', 'default_environment'], ['settings']);
    const restSettings: Obj = { ...settings };
    if (settings.default_compute !== undefined) {
      restSettings.default_compute = await resolver.computeId(computeName(c, settings.default_compute, ['settings', 'default_compute']));
    }
    if (compute) properties.computeId = await resolver.computeId(computeName(c, compute, ['compute']));
    properties.settings = restSettings;
    properties.jobs = await pipelineSteps(c, resolver, data);
  } else {
    properties.jobType = 'Sweep';
    Object.assign(properties, await sweepParts(c, resolver, data));
    if (!compute) throw file.error(['compute'], 'is required: the compute cluster to run the trials on (azureml:<name>).');
    properties.computeId = await resolver.computeId(computeName(c, compute, ['compute']));
  }
  return { name: typeof data.name === 'string' ? data.name : undefined, type, body: { properties } };
}

function stringMap(c: Checker, value: unknown, at: Path): Record<string, string> {
  const o = c.obj(value, at);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function identity(c: Checker, value: unknown): Obj {
  const o = c.obj(value, ['identity']);
  const type = IDENTITIES[String(o.type)];
  if (!type) throw c.file.error(['identity', 'type'], `must be one of ${Object.keys(IDENTITIES).join(', ')}.`);
  return { identityType: type, ...(o.client_id ? { clientId: o.client_id } : {}), ...(o.object_id ? { objectId: o.object_id } : {}), ...(o.resource_id ? { resourceId: o.resource_id } : {}) };
}

/** `azureml:cpu-cluster`, `cpu-cluster` or a full ARM id → the compute's name (or id). */
function computeName(c: Checker, value: unknown, at: Path): string {
  const text = c.string(value, at, 'a compute name (azureml:<name>)');
  if (text === 'local') throw c.file.error(at, "'local' runs on your machine with az ml; this step submits to a compute cluster (azureml:<name>).");
  return text.replace(/^azureml:/, '');
}

/** Seconds (a number) or an ISO 8601 duration → ISO 8601. */
function duration(c: Checker, value: unknown, at: Path): string {
  if (typeof value === 'number' && value > 0) return `PT${Math.round(value)}S`;
  if (typeof value === 'string' && /^P(T?\d+(\.\d+)?[DHMS])+$/.test(value.replace(/(\d)([DHMS])(?=\d)/g, '$1$2'))) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return `PT${value}S`;
  throw c.file.error(at, `must be a number of seconds (got '${String(value)}').`);
}

function commandLimits(c: Checker, value: unknown, at: Path): Obj {
  const o = c.obj(value, at);
  c.keys(o, ['timeout'], at);
  return { jobLimitsType: 'Command', ...(o.timeout !== undefined ? { timeout: duration(c, o.timeout, [...at, 'timeout']) } : {}) };
}

async function jobInputs(c: Checker, resolver: Resolver, value: unknown, at: Path, inPipelineStep: boolean): Promise<Obj> {
  const o = c.obj(value, at);
  const result: Obj = {};
  for (const [name, input] of Object.entries(o)) {
    const where = [...at, name];
    if (input === null || typeof input !== 'object') {
      if (input === null || input === undefined) throw c.file.error(where, 'has no value.');
      // Literals are strings on the wire; booleans as Python spells them, as azure-ai-ml sends them.
      const text = typeof input === 'boolean' ? (input ? 'True' : 'False') : String(input);
      result[name] = { jobInputType: 'literal', value: text };
      continue;
    }
    if (Array.isArray(input)) throw c.file.error(where, 'must be a literal value or a mapping with type and path.');
    const spec = input as Obj;
    c.keys(spec, ['type', 'path', 'mode', 'description', 'value', 'optional', 'default'], where);
    const type = String(spec.type ?? 'uri_folder');
    if (type === 'literal' || type === 'string' || type === 'number' || type === 'integer' || type === 'boolean') {
      const v = spec.value ?? spec.default;
      if (v === undefined) throw c.file.error(where, 'needs a value.');
      result[name] = { jobInputType: 'literal', value: typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v) };
      continue;
    }
    if (!INPUT_TYPES.includes(type)) throw c.file.error([...where, 'type'], `must be one of ${INPUT_TYPES.join(', ')} (got '${type}').`);
    const pathValue = c.string(spec.path, [...where, 'path'], 'a local path, an azureml:// URI or an azureml:<data>:<version> reference');
    const mode = spec.mode === undefined ? undefined : INPUT_MODES[String(spec.mode)];
    if (spec.mode !== undefined && !mode) throw c.file.error([...where, 'mode'], `must be one of ${Object.keys(INPUT_MODES).join(', ')}.`);
    const uri = inPipelineStep && BINDING.test(pathValue) ? pathValue : await resolver.inputUri(pathValue, type, [...where, 'path']);
    result[name] = { jobInputType: type, uri, ...(mode ? { mode } : {}), ...(spec.description ? { description: spec.description } : {}) };
  }
  return result;
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
    if (!OUTPUT_TYPES.includes(type)) throw c.file.error([...where, 'type'], `must be one of ${OUTPUT_TYPES.join(', ')} (got '${type}').`);
    const mode = spec.mode === undefined ? undefined : OUTPUT_MODES[String(spec.mode)];
    if (spec.mode !== undefined && !mode) throw c.file.error([...where, 'mode'], `must be one of ${Object.keys(OUTPUT_MODES).join(', ')}.`);
    if (spec.path !== undefined && !String(spec.path).startsWith('azureml://')) {
      throw c.file.error([...where, 'path'], 'must be an azureml:// URI (outputs are written by the job, not uploaded).');
    }
    result[name] = { jobOutputType: type, ...(spec.path ? { uri: spec.path } : {}), ...(mode ? { mode } : {}), ...(spec.description ? { description: spec.description } : {}) };
  }
  return result;
}

/** command, code, environment, environment_variables, distribution, resources → REST, with bindings checked. */
async function commandParts(c: Checker, resolver: Resolver, data: Obj, at: Path, declared: { inputs: unknown; outputs: unknown; searchSpace?: unknown }): Promise<Obj> {
  const parts: Obj = {};
  const command = c.string(data.command, [...at, 'command'], 'the command to run');
  for (const b of commandBindings(command)) {
    const pool = b.scope === 'inputs' ? declared.inputs : b.scope === 'outputs' ? declared.outputs : b.scope === 'search_space' ? declared.searchSpace : undefined;
    if (!pool || typeof pool !== 'object' || !(b.name in (pool as Obj))) {
      throw c.file.error([...at, 'command'], `refers to \${{${b.scope}.${b.name}}}, but the job declares no ${b.scope === 'search_space' ? 'search space entry' : b.scope.replace(/s$/, '')} named '${b.name}'.`);
    }
  }
  parts.command = command;
  if (data.code !== undefined) parts.codeId = await resolver.codeId(c.string(data.code, [...at, 'code'], 'a local folder or an azureml: code reference'), [...at, 'code']);
  if (data.environment === undefined) throw c.file.error([...at, 'environment'], 'is required: azureml:<name>:<version>, azureml:<name>@latest, or an inline image.');
  const environment = data.environment;
  if (typeof environment === 'string') parts.environmentId = await resolver.environmentId(environment, [...at, 'environment']);
  else parts.environmentId = await resolver.environmentId(c.obj(environment, [...at, 'environment']), [...at, 'environment']);
  if (data.environment_variables !== undefined) parts.environmentVariables = stringMap(c, data.environment_variables, [...at, 'environment_variables']);
  if (data.distribution !== undefined) {
    const d = c.obj(data.distribution, [...at, 'distribution']);
    const type = DISTRIBUTIONS[String(d.type).toLowerCase()];
    if (!type) throw c.file.error([...at, 'distribution', 'type'], 'must be pytorch, tensorflow or mpi.');
    c.keys(d, ['type', 'process_count_per_instance', 'worker_count', 'parameter_server_count'], [...at, 'distribution']);
    parts.distribution = {
      distributionType: type,
      ...(d.process_count_per_instance !== undefined ? { processCountPerInstance: Number(d.process_count_per_instance) } : {}),
      ...(d.worker_count !== undefined ? { workerCount: Number(d.worker_count) } : {}),
      ...(d.parameter_server_count !== undefined ? { parameterServerCount: Number(d.parameter_server_count) } : {}),
    };
  }
  if (data.resources !== undefined) parts.resources = resources(c, data.resources, [...at, 'resources']);
  return parts;
}

function resources(c: Checker, value: unknown, at: Path): Obj {
  const r = c.obj(value, at);
  c.keys(r, ['instance_count', 'instance_type', 'shm_size', 'docker_args', 'properties'], at);
  return {
    ...(r.instance_count !== undefined ? { instanceCount: Number(r.instance_count) } : {}),
    ...(r.instance_type !== undefined ? { instanceType: String(r.instance_type) } : {}),
    ...(r.shm_size !== undefined ? { shmSize: String(r.shm_size) } : {}),
    ...(r.docker_args !== undefined ? { dockerArgs: String(r.docker_args) } : {}),
    ...(r.properties !== undefined ? { properties: r.properties } : {}),
  };
}

/** Inline command steps; `${{parent.…}}` bindings checked against the pipeline and its other steps. */
async function pipelineSteps(c: Checker, resolver: Resolver, data: Obj): Promise<Obj> {
  const steps = c.obj(data.jobs, ['jobs']);
  if (Object.keys(steps).length === 0) throw c.file.error(['jobs'], 'must hold at least one step.');
  const parentInputs = (data.inputs ?? {}) as Obj;
  const parentOutputs = (data.outputs ?? {}) as Obj;
  const result: Obj = {};
  for (const [name, raw] of Object.entries(steps)) {
    const at: Path = ['jobs', name];
    const step = c.obj(raw, at);
    c.keys(step, ['type', 'command', 'code', 'environment', 'environment_variables', 'compute', 'inputs', 'outputs', 'display_name', 'description', 'tags', 'distribution', 'resources', 'limits'], at);
    if ((step.type ?? 'command') !== 'command') throw c.file.error([...at, 'type'], 'must be command (inline command steps; components are not supported yet).');
    const checkBinding = (value: string, where: Path) => {
      const m = BINDING.exec(value);
      if (!m) return;
      const parts = m[1].split('.');
      const ok =
        parts[0] === 'parent' &&
        ((parts[1] === 'inputs' && parts.length === 3 && parts[2] in parentInputs) ||
          (parts[1] === 'outputs' && parts.length === 3 && parts[2] in parentOutputs) ||
          (parts[1] === 'jobs' && parts.length === 5 && parts[3] === 'outputs' && parts[2] in steps && parts[2] !== name &&
            parts[4] in (((steps[parts[2]] as Obj)?.outputs as Obj) ?? {})));
      if (!ok) throw c.file.error(where, `binds to \${{${m[1]}}}, which names no pipeline input, pipeline output or other step's output.`);
    };
    const inputs: Obj = {};
    for (const [k, v] of Object.entries((step.inputs ?? {}) as Obj)) {
      if (typeof v === 'string' && BINDING.test(v)) {
        checkBinding(v, [...at, 'inputs', k]);
        inputs[k] = { jobInputType: 'literal', value: v };
      } else {
        Object.assign(inputs, await jobInputs(c, resolver, { [k]: v }, [...at, 'inputs'], true));
      }
    }
    const outputs: Obj = {};
    for (const [k, v] of Object.entries((step.outputs ?? {}) as Obj)) {
      if (typeof v === 'string' && BINDING.test(v)) {
        checkBinding(v, [...at, 'outputs', k]);
        outputs[k] = { type: 'literal', value: v };
      } else {
        Object.assign(outputs, jobOutputs(c, { [k]: v }, [...at, 'outputs']));
      }
    }
    const parts = await commandParts(c, resolver, step, at, { inputs: step.inputs ?? {}, outputs: step.outputs ?? {} });
    result[name] = {
      type: 'command',
      name,
      ...(step.display_name ? { displayName: step.display_name } : {}),
      ...parts,
      ...(step.compute ? { computeId: await resolver.computeId(computeName(c, step.compute, [...at, 'compute'])) } : {}),
      inputs,
      outputs,
      ...(step.limits !== undefined ? { limits: commandLimits(c, step.limits, [...at, 'limits']) } : {}),
    };
  }
  return result;
}

const SEARCH_TYPES = ['choice', 'uniform', 'loguniform', 'normal', 'lognormal', 'quniform', 'qloguniform', 'qnormal', 'qlognormal', 'randint'];

async function sweepParts(c: Checker, resolver: Resolver, data: Obj): Promise<Obj> {
  const trial = c.obj(data.trial, ['trial']);
  c.keys(trial, ['command', 'code', 'environment', 'environment_variables', 'distribution', 'resources'], ['trial']);
  const space = c.obj(data.search_space, ['search_space']);
  if (Object.keys(space).length === 0) throw c.file.error(['search_space'], 'must define at least one parameter.');
  const searchSpace: Obj = {};
  for (const [k, v] of Object.entries(space)) {
    const at = ['search_space', k];
    const s = c.obj(v, at);
    const type = String(s.type);
    if (!SEARCH_TYPES.includes(type)) throw c.file.error([...at, 'type'], `must be one of ${SEARCH_TYPES.join(', ')}.`);
    if (type === 'choice') {
      if (!Array.isArray(s.values) || s.values.length === 0) throw c.file.error([...at, 'values'], 'must be a non-empty list.');
      searchSpace[k] = ['choice', [s.values]];
    } else if (type === 'randint') {
      searchSpace[k] = ['randint', [Number(s.upper)]];
    } else if (type.includes('normal')) {
      searchSpace[k] = [type, [Number(s.mu), Number(s.sigma), ...(type.startsWith('q') ? [Number(s.q)] : [])]];
    } else {
      if (s.min_value === undefined || s.max_value === undefined) throw c.file.error(at, 'needs min_value and max_value.');
      searchSpace[k] = [type, [Number(s.min_value), Number(s.max_value), ...(type.startsWith('q') ? [Number(s.q)] : [])]];
    }
  }
  const objective = c.obj(data.objective, ['objective']);
  const goal = String(objective.goal ?? '').toLowerCase();
  if (goal !== 'maximize' && goal !== 'minimize') throw c.file.error(['objective', 'goal'], 'must be maximize or minimize.');
  const sampling = typeof data.sampling_algorithm === 'string' ? { type: data.sampling_algorithm } : c.obj(data.sampling_algorithm ?? { type: 'random' }, ['sampling_algorithm']);
  const samplingType = { random: 'Random', grid: 'Grid', bayesian: 'Bayesian' }[String(sampling.type).toLowerCase()];
  if (!samplingType) throw c.file.error(['sampling_algorithm'], 'must be random, grid or bayesian.');
  const limits = data.limits === undefined ? {} : c.obj(data.limits, ['limits']);
  c.keys(limits, ['max_total_trials', 'max_concurrent_trials', 'timeout', 'trial_timeout'], ['limits']);
  const parts: Obj = {
    trial: await commandParts(c, resolver, trial, ['trial'], { inputs: data.inputs ?? {}, outputs: data.outputs ?? {}, searchSpace: space }),
    searchSpace,
    objective: { goal: goal === 'maximize' ? 'Maximize' : 'Minimize', primaryMetric: c.string(objective.primary_metric, ['objective', 'primary_metric'], 'the metric to optimise') },
    samplingAlgorithm: { samplingAlgorithmType: samplingType, ...(sampling.seed !== undefined ? { seed: Number(sampling.seed) } : {}) },
    limits: {
      jobLimitsType: 'Sweep',
      ...(limits.max_total_trials !== undefined ? { maxTotalTrials: Number(limits.max_total_trials) } : {}),
      ...(limits.max_concurrent_trials !== undefined ? { maxConcurrentTrials: Number(limits.max_concurrent_trials) } : {}),
      ...(limits.timeout !== undefined ? { timeout: duration(c, limits.timeout, ['limits', 'timeout']) } : {}),
      ...(limits.trial_timeout !== undefined ? { trialTimeout: duration(c, limits.trial_timeout, ['limits', 'trial_timeout']) } : {}),
    },
  };
  if (data.early_termination !== undefined) {
    const e = c.obj(data.early_termination, ['early_termination']);
    const type = { bandit: 'Bandit', median_stopping: 'MedianStopping', truncation_selection: 'TruncationSelection' }[String(e.type)];
    if (!type) throw c.file.error(['early_termination', 'type'], 'must be bandit, median_stopping or truncation_selection.');
    parts.earlyTermination = {
      policyType: type,
      ...(e.evaluation_interval !== undefined ? { evaluationInterval: Number(e.evaluation_interval) } : {}),
      ...(e.delay_evaluation !== undefined ? { delayEvaluation: Number(e.delay_evaluation) } : {}),
      ...(e.slack_factor !== undefined ? { slackFactor: Number(e.slack_factor) } : {}),
      ...(e.slack_amount !== undefined ? { slackAmount: Number(e.slack_amount) } : {}),
      ...(e.truncation_percentage !== undefined ? { truncationPercentage: Number(e.truncation_percentage) } : {}),
    };
  }
  return parts;
}
