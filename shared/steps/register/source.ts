// What the register step is asked to register, worked out before anything is sent: the model's name,
// version, type and metadata (inputs over an az ml model YAML), and its source — a job output, a
// datastore path or a local file or folder (hashed here as azure-ai-ml hashes it). Every mistake is an
// InputError or a file:line FileError.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAzureMlUri, UriError } from '../../azure/references.js';
import { JobFile } from '../../azureml/job-yaml.js';
import { InputError, UserError } from '../../platform/errors.js';
import type { Inputs } from '../../platform/inputs.js';
import type { Platform } from '../../platform/platform.js';
import { describeLocalAsset, type LocalAsset } from '../../storage/asset-hash.js';
import { parsePairs } from './parse.js';

export const MODEL_TYPES = ['custom_model', 'mlflow_model', 'triton_model'] as const;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,254}$/;
const YAML_KEYS = ['$schema', 'name', 'version', 'type', 'path', 'description', 'tags', 'properties', 'flavors'];

export type ModelSource =
  /** `azureml://jobs/<job>/outputs/<output>[/paths/<path>]`; `step` when the output is a pipeline step's. */
  | { kind: 'job'; job: string; output: string; step?: string; path: string }
  | { kind: 'datastore'; uri: string }
  | { kind: 'local'; display: string; asset: LocalAsset };

export interface ModelPlan {
  name: string;
  version?: string;
  type: string;
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  flavors?: Record<string, { data?: Record<string, string> }>;
  source: ModelSource;
}

type Obj = Record<string, unknown>;

function stringMap(file: JobFile, value: unknown, key: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw file.error([key], 'must be a mapping of names to values.');
  return Object.fromEntries(Object.entries(value as Obj).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

/** Reads the az ml model YAML (with `set` applied) into the fields it may hold. */
function readModelFile(platform: Platform, inputs: Inputs): { file: JobFile; data: Obj } | undefined {
  const display = inputs.path('model-file');
  if (!display) {
    if (inputs.lines('set').length) throw new InputError('set', `changes the model YAML, but '${platform.nameOf('model-file')}' names none.`);
    return undefined;
  }
  const absolute = path.resolve(platform.workspace, display);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) throw new InputError('model-file', `names '${display}', which cannot be read (looked for ${absolute}).`);
  const file = JobFile.load(absolute, display);
  for (const line of inputs.lines('set')) file.applySet(line);
  const data = file.data();
  for (const key of Object.keys(data)) {
    if (!YAML_KEYS.includes(key)) throw file.error([key], `is not a key a model YAML can have (expected one of ${YAML_KEYS.filter((k) => k !== '$schema').join(', ')}).`);
  }
  return { file, data };
}

async function localSource(display: string, absolute: string, fail: (problem: string) => UserError): Promise<ModelSource> {
  if (!existsSync(absolute)) throw fail(`names '${display}', which does not exist (looked for ${absolute}).`);
  const asset = await describeLocalAsset(absolute);
  if (asset.files.length === 0) throw fail(`names '${display}', a folder with no files to register (or every file in it is ignored by .amlignore/.gitignore).`);
  return { kind: 'local', display, asset };
}

/** A path or URI as the user gave it → a source; `fail` words the error for the input or YAML key it came from. */
async function sourceFromPath(value: string, base: string, fail: (problem: string) => UserError): Promise<ModelSource> {
  if (value.startsWith('azureml://')) {
    let uri;
    try {
      uri = parseAzureMlUri(value);
    } catch (error) {
      if (error instanceof UriError) throw fail(`is not a model location: ${error.message}`);
      throw error;
    }
    if (uri.kind === 'job-output') return { kind: 'job', job: uri.job, output: uri.output, path: uri.path };
    if (uri.kind === 'datastore') return { kind: 'datastore', uri: value };
    throw fail(`names a registry asset ('${value}'); registering from a registry is not supported yet.`);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw fail(`is '${value.replace(/\?.*$/, '')}'; registering from anything but a job output, an azureml:// datastore path or a local path is not supported yet.`);
  }
  return localSource(value, path.resolve(base, value), fail);
}

/** The model to register and where it comes from, from inputs over the model YAML. Sends nothing. */
export async function readModelPlan(platform: Platform, inputs: Inputs): Promise<ModelPlan> {
  const yaml = readModelFile(platform, inputs);
  const data = yaml?.data ?? {};
  const yamlString = (key: string): string | undefined => {
    const v = data[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' && typeof v !== 'number') throw yaml!.file.error([key], 'must be a single value.');
    return String(v);
  };

  const name = inputs.string('name') ?? yamlString('name');
  if (!name) throw new InputError('name', 'is required: the name of the model to register a version of (or give it as name in the model YAML).');
  if (!NAME.test(name)) throw new InputError('name', `must start with a letter or digit and hold only letters, digits, '-', '_' and '.' (got '${name}').`);
  const version = inputs.string('version') ?? yamlString('version');
  if (version !== undefined && !NAME.test(version)) throw new InputError('version', `must start with a letter or digit and hold only letters, digits, '-', '_' and '.' (got '${version}').`);
  const type = inputs.choice<string>('type') ?? yamlString('type') ?? 'custom_model';
  if (!(MODEL_TYPES as readonly string[]).includes(type)) throw yaml!.file.error(['type'], `must be one of ${MODEL_TYPES.join(', ')} (got '${type}').`);
  const flavors = data.flavors === undefined ? undefined : (data.flavors as ModelPlan['flavors']);
  if (flavors !== undefined && (typeof flavors !== 'object' || flavors === null || Array.isArray(flavors))) throw yaml!.file.error(['flavors'], 'must be a mapping of flavor names to their data.');

  const jobName = inputs.string('job-name');
  const outputName = inputs.string('output-name');
  const modelPath = inputs.string('model-path');
  if (outputName && !jobName) throw new InputError('output-name', `names an output, but '${platform.nameOf('job-name')}' names no job.`);

  let source: ModelSource;
  if (jobName) {
    if (!outputName && !modelPath?.startsWith('azureml://jobs/')) {
      throw new InputError('output-name', `is required with '${platform.nameOf('job-name')}': the job output that holds the model (e.g. model_output, or train.model_output for a pipeline step).`);
    }
    if (modelPath && /^[a-z][a-z0-9+.-]*:\/\//i.test(modelPath) && !modelPath.startsWith('azureml://jobs/')) {
      throw new InputError('model-path', `is '${modelPath}', but with '${platform.nameOf('job-name')}' it can only be a path inside the job's output.`);
    }
    if (modelPath?.startsWith('azureml://jobs/')) {
      source = await sourceFromPath(modelPath, platform.workspace, (p) => new InputError('model-path', p));
      if (source.kind === 'job' && source.job !== jobName) throw new InputError('model-path', `names job ${source.job}, but '${platform.nameOf('job-name')}' is ${jobName}.`);
    } else {
      if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$/.test(outputName!)) {
        throw new InputError('output-name', `must be an output name, or <step>.<output> for a pipeline step's output (got '${outputName}').`);
      }
      const [first, second] = outputName!.split('.');
      source = second ? { kind: 'job', job: jobName, step: first, output: second, path: modelPath ?? '' } : { kind: 'job', job: jobName, output: first, path: modelPath ?? '' };
    }
    if (data.path !== undefined) platform.info(`Using job ${jobName}'s output; the model YAML's path is not used.`);
  } else if (modelPath) {
    source = await sourceFromPath(modelPath, platform.workspace, (p) => new InputError('model-path', p));
  } else if (data.path !== undefined) {
    const p = yamlString('path')!;
    source = await sourceFromPath(p, yaml!.file.dir, (problem) => yaml!.file.error(['path'], problem));
  } else {
    throw new InputError(
      'job-name',
      `is required unless '${platform.nameOf('model-path')}' or a model YAML with a path says where the model is (the train step's job-name and an output-name, a datastore URI, or a local folder).`,
    );
  }

  return {
    name,
    version,
    type,
    description: inputs.string('description') ?? yamlString('description'),
    tags: { ...(yaml ? stringMap(yaml.file, data.tags, 'tags') : {}), ...parsePairs(inputs.lines('tags'), 'tags') },
    properties: { ...(yaml ? stringMap(yaml.file, data.properties, 'properties') : {}), ...parsePairs(inputs.lines('properties'), 'properties') },
    flavors,
    source,
  };
}
