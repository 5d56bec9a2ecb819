// Jobs through ARM: PUT (validated as the service validates command, pipeline and sweep bodies), GET,
// list, cancel and delete as LROs, plus the job records the runner, MLflow and run history share.
import { Ctx, HttpError, type Reply } from './http.js';
import { callerOf, mlError, page, systemData, type Caller, type Operations } from './arm-common.js';
import { methodNotAllowed, resolveAssetRef } from './assets.js';
import type { JwtClaims } from './jwt.js';
import type { BlobLocation } from './locations.js';
import { dataPlaneBase, getCi, now, workspaceArmId, type World, type Workspace } from './world.js';

export type JobStatus =
  | 'NotStarted'
  | 'Queued'
  | 'Preparing'
  | 'Running'
  | 'Finalizing'
  | 'CancelRequested'
  | 'Completed'
  | 'Failed'
  | 'Canceled';

export const TERMINAL: ReadonlySet<JobStatus> = new Set(['Completed', 'Failed', 'Canceled']);
export type JobType = 'Command' | 'Pipeline' | 'Sweep';

export interface MetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface JobRecord {
  ws: Workspace;
  name: string;
  jobType: JobType;
  /** The job's properties as the service stores them (request body, normalized). */
  properties: Props;
  status: JobStatus;
  createdAt: string;
  modifiedAt: string;
  createdBy: Caller;
  startTime?: string;
  endTime?: string;
  error?: { code: string; message: string };
  parent?: string;
  stepName?: string;
  children: string[];
  /** Where each output lands (filled when the job is created). */
  outputs: Map<string, BlobLocation>;
  /** Log files, name → blob in the workspace artifact container. */
  logFiles: Map<string, string>;
  metrics: Map<string, MetricPoint[]>;
  params: Map<string, string>;
  tags: Map<string, string>;
  runProperties: Record<string, string>;
  cancelRequested: boolean;
  kill?: () => void;
  done: Promise<void>;
  resolveDone: () => void;
  history: { status: JobStatus; time: string }[];
  hidden: boolean;
}

export const JOB_NAME = /^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/;
const INPUT_TYPES = ['literal', 'uri_file', 'uri_folder', 'mltable', 'custom_model', 'mlflow_model', 'triton_model'];
const OUTPUT_TYPES = ['uri_file', 'uri_folder', 'mltable', 'custom_model', 'mlflow_model', 'triton_model'];

export function isCuratedEnvironment(ref: string): boolean {
  const r = ref.replace(/^azureml:/, '');
  return /^AzureML-[^:/]+(:[^:/]+|@latest)?$/i.test(r) || /^azureml:\/\/registries\/azureml\/environments\//i.test(ref) || /^\/\/registries\/azureml\/environments\//i.test(r);
}

const BINDING = /\$\{\{\s*([a-zA-Z0-9_.-]+)\s*\}\}/g;
const OPTIONAL = /\[([^[\]]*\$\{\{[^}]+\}\}[^[\]]*)\]/g;

/** Names referenced outside optional `[...]` blocks (required) and inside them (optional). */
export function bindings(text: string): { required: string[]; optional: string[] } {
  const optional: string[] = [];
  const outside = text.replace(OPTIONAL, (_, inner: string) => {
    for (const m of inner.matchAll(BINDING)) optional.push(m[1]);
    return '';
  });
  const required = [...outside.matchAll(BINDING)].map((m) => m[1]);
  return { required, optional };
}

/** Expands `${{…}}` bindings; an optional `[...]` block is kept (without brackets) only if all its bindings resolve. */
export function expand(text: string, resolve: (expr: string) => string | undefined): string {
  const withOptional = text.replace(OPTIONAL, (_, inner: string) => {
    const refs = [...inner.matchAll(BINDING)].map((m) => m[1]);
    if (refs.some((r) => resolve(r) === undefined)) return '';
    return inner.replace(BINDING, (_m, r: string) => resolve(r)!);
  });
  return withOptional.replace(BINDING, (whole, r: string) => resolve(r) ?? whole);
}

export function parseIsoDuration(text: string): number | undefined {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, d, h, mi, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return ((d * 24 + h) * 60 + mi) * 60 * 1000 + s * 1000;
}

export class JobStore {
  private jobs = new Map<string, JobRecord>();
  /** Starts execution of a freshly created job (set by the runner). */
  onCreated: (job: JobRecord) => void = () => undefined;

  constructor(
    private readonly world: World,
    private readonly ops: Operations,
  ) {}

  private key(ws: Workspace, name: string): string {
    return `${ws.workspaceId}/${name.toLowerCase()}`;
  }

  get(ws: Workspace, name: string): JobRecord | undefined {
    return this.jobs.get(this.key(ws, name));
  }

  all(): JobRecord[] {
    return [...this.jobs.values()];
  }

  outputLocation = (ws: Workspace, job: string, output: string): BlobLocation | undefined => {
    const j = this.get(ws, job);
    if (!j) return undefined;
    if (output === 'artifacts') return { account: ws.storage.accountName, container: ws.storage.artifactContainer, path: `ExperimentRun/dcid.${j.name}` };
    if (j.jobType === 'Sweep' && !j.outputs.has(output)) {
      const best = j.runProperties.best_child_run_id;
      return best ? this.outputLocation(ws, best, output) : undefined;
    }
    return j.outputs.get(output);
  };

  /** Registers a job record (used for top-level jobs and for pipeline steps and sweep trials). */
  create(ws: Workspace, name: string, jobType: JobType, properties: Props, caller: Caller, extra: Partial<JobRecord> = {}): JobRecord {
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const t = now();
    const job: JobRecord = {
      ws,
      name,
      jobType,
      properties,
      status: 'NotStarted',
      createdAt: t,
      modifiedAt: t,
      createdBy: caller,
      children: [],
      outputs: new Map(),
      logFiles: new Map(),
      metrics: new Map(),
      params: new Map(),
      tags: new Map(Object.entries((properties.tags ?? {}) as Record<string, string>)),
      runProperties: {},
      cancelRequested: false,
      done,
      resolveDone,
      history: [{ status: 'NotStarted', time: t }],
      hidden: false,
      ...extra,
    };
    for (const [outName, out] of Object.entries((properties.outputs ?? {}) as Record<string, Props>)) {
      if (!out) continue;
      job.outputs.set(outName, {
        account: ws.storage.accountName,
        container: ws.storage.blobContainer,
        path: `azureml/${name}/${outName}/`,
      });
    }
    this.jobs.set(this.key(ws, name), job);
    return job;
  }

  setStatus(job: JobRecord, status: JobStatus, error?: { code: string; message: string }): void {
    if (TERMINAL.has(job.status)) return;
    job.status = status;
    job.modifiedAt = now();
    job.history.push({ status, time: job.modifiedAt });
    if (status === 'Running' && !job.startTime) job.startTime = job.modifiedAt;
    if (error) job.error = error;
    if (TERMINAL.has(status)) {
      job.endTime = job.modifiedAt;
      job.startTime ??= job.modifiedAt;
      job.resolveDone();
    }
  }

  trackingUri(ws: Workspace): string {
    return dataPlaneBase(this.world, ws, 'mlflow').replace(/^https:/, 'azureml:');
  }

  body(job: JobRecord): Props {
    const ws = job.ws;
    const p = job.properties;
    const properties: Props = {
      ...p,
      description: p.description ?? null,
      tags: Object.fromEntries(job.tags),
      properties: { ...(p.properties ?? {}), ...job.runProperties },
      displayName: p.displayName ?? job.name,
      experimentName: p.experimentName ?? 'Default',
      isArchived: p.isArchived ?? false,
      status: job.status,
      services: {
        ...(p.services ?? {}),
        Tracking: { jobServiceType: 'Tracking', port: null, endpoint: this.trackingUri(ws), status: null, errorMessage: null, properties: null },
        Studio: {
          jobServiceType: 'Studio',
          port: null,
          endpoint: `${this.world.baseUrl}/studio/runs/${job.name}?wsid=${workspaceArmId(ws)}&tid=${this.world.tenantId}`,
          status: null,
          errorMessage: null,
          properties: null,
        },
      },
    };
    delete properties.searchSpaceValues;
    properties.inputs = Object.fromEntries(Object.entries((p.inputs ?? {}) as Record<string, Props>).map(([k, v]) => [k, v && typeof v === 'object' ? { description: null, ...v } : v]));
    properties.outputs = Object.fromEntries(
      Object.entries((p.outputs ?? {}) as Record<string, Props | null>).map(([k, v]) => {
        if (!v || typeof v !== 'object') return [k, v];
        const { bindTo: _bound, ...rest } = v;
        void _bound;
        return [k, { description: null, uri: null, mode: 'ReadWriteMount', ...rest }];
      }),
    );
    if (job.jobType === 'Command') {
      properties.parameters = Object.fromEntries(
        Object.entries((p.inputs ?? {}) as Record<string, Props>)
          .filter(([, v]) => v?.jobInputType === 'literal')
          .map(([k, v]) => [k, v.value]),
      );
      properties.outputs = {
        ...properties.outputs,
        default: {
          description: null,
          jobOutputType: 'uri_folder',
          mode: 'ReadWriteMount',
          uri: `azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.${job.name}`,
        },
      };
    }
    return {
      id: `${workspaceArmId(ws)}/jobs/${job.name}`,
      name: job.name,
      type: 'Microsoft.MachineLearningServices/workspaces/jobs',
      properties,
      systemData: systemData({ at: job.createdAt, by: job.createdBy }, { at: job.modifiedAt, by: job.createdBy }),
    };
  }

  // ------------------------------------------------------------------------------------------
  // Validation, as the service does it before accepting a job

  private bad(ctx: Ctx, ws: Workspace, message: string, target?: string, inner = 'BadArgument'): HttpError {
    return mlError(ctx, 400, message, inner, { target, location: ws.location });
  }

  computeArmId(ws: Workspace, ref: string): string | undefined {
    const name = /\/computes\/([^/]+)$/i.exec(ref)?.[1] ?? ref.replace(/^azureml:/, '');
    const compute = getCi(ws.computes, name);
    if (!compute) return undefined;
    return String(compute.id);
  }

  private checkCompute(ctx: Ctx, ws: Workspace, ref: unknown, target: string): string {
    if (typeof ref !== 'string' || !ref) throw this.bad(ctx, ws, 'A compute target is required to run this job.', target);
    const id = this.computeArmId(ws, ref);
    if (!id) {
      const name = /\/computes\/([^/]+)$/i.exec(ref)?.[1] ?? ref;
      throw this.bad(ctx, ws, `Compute '${name}' was not found in workspace '${ws.name}'. Check the compute name, or create the compute before submitting the job.`, target, 'NotFoundError');
    }
    return id;
  }

  checkEnvironment(ctx: Ctx, ws: Workspace, ref: unknown, target: string): void {
    if (typeof ref !== 'string' || !ref) throw this.bad(ctx, ws, 'An environment is required to run this job.', target);
    if (isCuratedEnvironment(ref)) return;
    if (!resolveAssetRef(this.world, ws, 'environments', ref)) {
      throw this.bad(ctx, ws, `Environment '${ref}' was not found. Register the environment version, or use a curated environment.`, target, 'NotFoundError');
    }
  }

  checkCode(ctx: Ctx, ws: Workspace, ref: unknown, target: string): void {
    if (ref === undefined || ref === null) return;
    if (typeof ref !== 'string' || !resolveAssetRef(this.world, ws, 'codes', ref)) {
      throw this.bad(ctx, ws, `Code asset '${String(ref)}' was not found. Upload the code and register its version before submitting the job.`, target, 'NotFoundError');
    }
  }

  private checkInputs(ctx: Ctx, ws: Workspace, inputs: unknown, target: string): Record<string, Props> {
    if (inputs === undefined || inputs === null) return {};
    if (typeof inputs !== 'object') throw this.bad(ctx, ws, 'Job inputs must be an object.', target);
    for (const [name, input] of Object.entries(inputs as Record<string, Props>)) {
      if (!input || typeof input !== 'object') throw this.bad(ctx, ws, `Input '${name}' must be an object.`, `${target}.${name}`);
      if (!INPUT_TYPES.includes(input.jobInputType)) {
        throw this.bad(ctx, ws, `Input '${name}' has an unsupported jobInputType '${String(input.jobInputType)}'. Supported: ${INPUT_TYPES.join(', ')}.`, `${target}.${name}.jobInputType`);
      }
      if (input.jobInputType === 'literal') {
        if (input.value === undefined || input.value === null) throw this.bad(ctx, ws, `Literal input '${name}' has no value.`, `${target}.${name}.value`);
      } else {
        if (typeof input.uri !== 'string' || !input.uri) {
          // The service's wording (what @azure/arm-machinelearning 2.1.1 users meet: azure-sdk-for-js#29328).
          throw mlError(ctx, 400, 'Request is invalid and/or missing fields.', 'BadArgument', {
            target: `${target}.${name}.uri`,
            location: ws.location,
            details: [{ code: 'Required', message: `The Uri field of input '${name}' is required.`, target: `${target}.${name}.uri` }],
          });
        }
        if (input.uri.startsWith('azureml:') && !input.uri.startsWith('azureml://') && !resolveAssetRef(this.world, ws, 'data', input.uri)) {
          throw this.bad(ctx, ws, `Data asset '${input.uri}' of input '${name}' was not found.`, `${target}.${name}.uri`, 'NotFoundError');
        }
      }
    }
    return inputs as Record<string, Props>;
  }

  private checkOutputs(ctx: Ctx, ws: Workspace, outputs: unknown, target: string): Record<string, Props> {
    if (outputs === undefined || outputs === null) return {};
    if (typeof outputs !== 'object') throw this.bad(ctx, ws, 'Job outputs must be an object.', target);
    for (const [name, output] of Object.entries(outputs as Record<string, Props>)) {
      if (output === null) continue;
      if (typeof output !== 'object' || !OUTPUT_TYPES.includes(output.jobOutputType)) {
        throw this.bad(ctx, ws, `Output '${name}' has an unsupported jobOutputType '${String(output?.jobOutputType)}'. Supported: ${OUTPUT_TYPES.join(', ')}.`, `${target}.${name}.jobOutputType`);
      }
    }
    return outputs as Record<string, Props>;
  }

  private checkBindings(ctx: Ctx, ws: Workspace, command: string, allowed: { inputs: object; outputs: object; searchSpace?: object }, target: string): void {
    for (const ref of bindings(command).required) {
      const [scope, name, ...more] = ref.split('.');
      const pool = scope === 'inputs' ? allowed.inputs : scope === 'outputs' ? allowed.outputs : scope === 'search_space' ? allowed.searchSpace : undefined;
      if (!pool || !name || more.length > 0 || !(name in pool)) {
        throw this.bad(
          ctx,
          ws,
          `Invalid data binding expression '\${{${ref}}}' in the command: ${pool && name ? `'${name}' is not defined in the job's ${scope === 'search_space' ? 'search space' : scope}` : `'${scope}' is not a valid binding scope here`}.`,
          target,
        );
      }
    }
  }

  private validateCommand(ctx: Ctx, ws: Workspace, p: Props): Props {
    if (typeof p.command !== 'string' || !p.command.trim()) throw this.bad(ctx, ws, 'The command of a command job must not be empty.', 'properties.command');
    const computeId = this.checkCompute(ctx, ws, p.computeId, 'properties.computeId');
    this.checkEnvironment(ctx, ws, p.environmentId, 'properties.environmentId');
    this.checkCode(ctx, ws, p.codeId, 'properties.codeId');
    const inputs = this.checkInputs(ctx, ws, p.inputs, 'properties.inputs');
    const outputs = this.checkOutputs(ctx, ws, p.outputs, 'properties.outputs');
    this.checkBindings(ctx, ws, p.command, { inputs, outputs }, 'properties.command');
    if (p.limits?.timeout !== undefined && parseIsoDuration(String(p.limits.timeout)) === undefined) {
      throw this.bad(ctx, ws, `The timeout '${String(p.limits.timeout)}' is not an ISO 8601 duration.`, 'properties.limits.timeout');
    }
    return { ...p, computeId };
  }

  /** Normalizes one pipeline step (inline or through a component) into a command definition. */
  normalizeStep(ctx: Ctx, ws: Workspace, pipeline: Props, stepName: string, step: Props): Props {
    const target = `properties.jobs.${stepName}`;
    if (!step || typeof step !== 'object') throw this.bad(ctx, ws, `Step '${stepName}' must be an object.`, target);
    let spec: Props = {};
    if (step.componentId) {
      const component = resolveAssetRef(this.world, ws, 'components', String(step.componentId));
      if (!component) throw this.bad(ctx, ws, `Component '${String(step.componentId)}' of step '${stepName}' was not found.`, `${target}.componentId`, 'NotFoundError');
      spec = (component.version.properties.componentSpec ?? {}) as Props;
    }
    const type = String(step.type ?? step.jobType ?? spec.type ?? 'command').toLowerCase();
    if (type === 'sweep') return this.normalizeSweepStep(ctx, ws, pipeline, stepName, step);
    if (type !== 'command') throw this.bad(ctx, ws, `Step '${stepName}' is of type '${type}'; the emulator runs command and sweep steps only.`, `${target}.type`);
    const command = step.command ?? spec.command;
    if (typeof command !== 'string' || !command.trim()) throw this.bad(ctx, ws, `Step '${stepName}' has no command.`, `${target}.command`);
    const code = step.codeId ?? step.code ?? spec.code;
    const environment = step.environmentId ?? step.environment ?? spec.environment;
    const compute = step.computeId ?? step.compute ?? pipeline.settings?.default_compute ?? pipeline.settings?.defaultCompute ?? pipeline.computeId;
    const computeId = this.checkCompute(ctx, ws, compute, `${target}.computeId`);
    this.checkEnvironment(ctx, ws, environment, `${target}.environmentId`);
    this.checkCode(ctx, ws, code, `${target}.codeId`);
    const inputs: Record<string, unknown> = { ...((spec.inputs as object) ?? {}), ...((step.inputs as object) ?? {}) };
    const outputs: Record<string, unknown> = { ...((spec.outputs as object) ?? {}), ...((step.outputs as object) ?? {}) };
    this.checkBindings(ctx, ws, command, { inputs, outputs }, `${target}.command`);
    return {
      command,
      codeId: code ?? undefined,
      environmentId: environment,
      computeId,
      inputs: step.inputs ?? {},
      outputs: step.outputs ?? {},
      specInputs: spec.inputs ?? {},
      specOutputs: spec.outputs ?? {},
      environmentVariables: step.environmentVariables ?? step.environment_variables ?? spec.environment_variables ?? {},
      displayName: step.displayName ?? step.display_name ?? stepName,
    };
  }

  /**
   * A `type: sweep` pipeline node, in the shape azure-ai-ml sends it (snake_case, as the YAML has it):
   * `trial.componentId` (a command component), `search_space` ({type, values | min_value/max_value | …}),
   * `objective` {goal, primary_metric}, `sampling_algorithm` (a name or {type}), `limits`. Each
   * search-space parameter is bound to the trial component's input of the same name.
   */
  private normalizeSweepStep(ctx: Ctx, ws: Workspace, pipeline: Props, stepName: string, step: Props): Props {
    const target = `properties.jobs.${stepName}`;
    const trialId = step.trial?.componentId;
    if (typeof trialId !== 'string' || !trialId) throw this.bad(ctx, ws, `Sweep step '${stepName}' needs trial.componentId: the command component each trial runs.`, `${target}.trial`);
    const component = resolveAssetRef(this.world, ws, 'components', trialId);
    if (!component) throw this.bad(ctx, ws, `Component '${trialId}' of sweep step '${stepName}' was not found.`, `${target}.trial.componentId`, 'NotFoundError');
    const spec = (component.version.properties.componentSpec ?? {}) as Props;
    if (String(spec.type ?? 'command').toLowerCase() !== 'command') throw this.bad(ctx, ws, `The trial of sweep step '${stepName}' must be a command component.`, `${target}.trial.componentId`);
    const command = spec.command;
    if (typeof command !== 'string' || !command.trim()) throw this.bad(ctx, ws, `The trial component of sweep step '${stepName}' has no command.`, `${target}.trial`);
    const searchSpace = searchSpaceOfNode(step.search_space);
    if (!searchSpace) throw this.bad(ctx, ws, `Sweep step '${stepName}' needs a search_space whose parameters each have a type (choice, uniform, randint, …) and its values or bounds.`, `${target}.search_space`);
    const goal = String(step.objective?.goal ?? '').toLowerCase();
    const metric = step.objective?.primary_metric;
    if (!['maximize', 'minimize'].includes(goal) || typeof metric !== 'string' || !metric) {
      throw this.bad(ctx, ws, `Sweep step '${stepName}' needs an objective with a primary_metric and a goal of maximize or minimize.`, `${target}.objective`);
    }
    const sampling = String((typeof step.sampling_algorithm === 'object' ? step.sampling_algorithm?.type : step.sampling_algorithm) ?? 'random').toLowerCase();
    const samplingType = { random: 'Random', grid: 'Grid', bayesian: 'Bayesian' }[sampling];
    if (!samplingType) throw this.bad(ctx, ws, `The sampling_algorithm '${sampling}' of sweep step '${stepName}' is invalid: random, grid or bayesian.`, `${target}.sampling_algorithm`);
    const compute = step.computeId ?? step.compute ?? pipeline.settings?.default_compute ?? pipeline.settings?.defaultCompute ?? pipeline.computeId;
    const computeId = this.checkCompute(ctx, ws, compute, `${target}.computeId`);
    this.checkEnvironment(ctx, ws, spec.environment, `${target}.trial`);
    this.checkCode(ctx, ws, spec.code, `${target}.trial`);
    const inputs: Record<string, unknown> = { ...((spec.inputs as object) ?? {}), ...((step.inputs as object) ?? {}) };
    for (const k of Object.keys(searchSpace)) {
      if (!(k in ((spec.inputs as object) ?? {}))) throw this.bad(ctx, ws, `Search space parameter '${k}' of sweep step '${stepName}' is not an input of its trial component.`, `${target}.search_space.${k}`);
    }
    const outputs: Record<string, unknown> = { ...((spec.outputs as object) ?? {}), ...((step.outputs as object) ?? {}) };
    this.checkBindings(ctx, ws, command, { inputs, outputs }, `${target}.trial`);
    return {
      command,
      codeId: spec.code ?? undefined,
      environmentId: spec.environment,
      computeId,
      inputs: step.inputs ?? {},
      outputs: step.outputs ?? {},
      specInputs: spec.inputs ?? {},
      specOutputs: spec.outputs ?? {},
      environmentVariables: spec.environment_variables ?? {},
      displayName: step.displayName ?? step.display_name ?? stepName,
      sweep: {
        searchSpace,
        samplingAlgorithm: { samplingAlgorithmType: samplingType },
        objective: { goal: goal === 'maximize' ? 'Maximize' : 'Minimize', primaryMetric: metric },
        limits: { maxTotalTrials: step.limits?.max_total_trials ?? step.limits?.maxTotalTrials },
      },
    };
  }

  /** `${{parent.jobs.<step>.outputs.<o>}}` references of a step, for ordering and validation. */
  stepDependencies(step: Props): string[] {
    const deps = new Set<string>();
    const scan = (v: unknown) => {
      const text = typeof v === 'string' ? v : v && typeof v === 'object' ? String((v as Props).value ?? (v as Props).uri ?? (v as Props).path ?? '') : '';
      for (const m of text.matchAll(BINDING)) {
        const parts = m[1].split('.');
        if (parts[0] === 'parent' && parts[1] === 'jobs' && parts[2]) deps.add(parts[2]);
      }
    };
    for (const v of Object.values((step.inputs ?? {}) as object)) scan(v);
    return [...deps];
  }

  private validatePipeline(ctx: Ctx, ws: Workspace, p: Props): Props {
    if (!p.jobs || typeof p.jobs !== 'object' || Object.keys(p.jobs).length === 0) throw this.bad(ctx, ws, 'A pipeline job needs at least one step in jobs.', 'properties.jobs');
    const inputs = this.checkInputs(ctx, ws, p.inputs, 'properties.inputs');
    const outputs = this.checkOutputs(ctx, ws, p.outputs, 'properties.outputs');
    const steps = p.jobs as Record<string, Props>;
    const normalized: Record<string, Props> = {};
    for (const [name, step] of Object.entries(steps)) normalized[name] = this.normalizeStep(ctx, ws, p, name, step);
    // Every parent.* binding must name something that exists.
    for (const [name, step] of Object.entries(normalized)) {
      const refs: string[] = [];
      for (const v of [...Object.values(step.inputs as object), ...Object.values(step.outputs as object)]) {
        const text = typeof v === 'string' ? v : v && typeof v === 'object' ? String((v as Props).value ?? (v as Props).uri ?? '') : '';
        for (const m of text.matchAll(BINDING)) refs.push(m[1]);
      }
      for (const ref of refs) {
        const parts = ref.split('.');
        const ok =
          parts[0] === 'parent' &&
          ((parts[1] === 'inputs' && parts.length === 3 && parts[2] in inputs) ||
            (parts[1] === 'outputs' && parts.length === 3 && parts[2] in outputs) ||
            (parts[1] === 'jobs' && parts.length === 5 && parts[3] === 'outputs' && parts[2] in normalized && parts[2] !== name &&
              (parts[4] in (normalized[parts[2]].outputs as object) || parts[4] in (normalized[parts[2]].specOutputs as object))));
        if (!ok) throw this.bad(ctx, ws, `Invalid data binding expression '\${{${ref}}}' in step '${name}': it does not name a pipeline input, pipeline output or another step's output.`, `properties.jobs.${name}`);
      }
    }
    this.topologicalOrder(ctx, ws, normalized);
    return { ...p, computeId: p.computeId ? this.checkCompute(ctx, ws, p.computeId, 'properties.computeId') : p.computeId };
  }

  topologicalOrder(ctx: Ctx | undefined, ws: Workspace, steps: Record<string, Props>): string[] {
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, trail: string[]) => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        if (ctx) throw this.bad(ctx, ws, `The pipeline's steps depend on each other in a cycle: ${[...trail, name].join(' -> ')}.`, 'properties.jobs');
        throw new Error('cycle');
      }
      state.set(name, 'visiting');
      for (const dep of this.stepDependencies(steps[name])) visit(dep, [...trail, name]);
      state.set(name, 'done');
      order.push(name);
    };
    for (const name of Object.keys(steps)) visit(name, []);
    return order;
  }

  private validateSweep(ctx: Ctx, ws: Workspace, p: Props): Props {
    const trial = p.trial as Props | undefined;
    if (!trial || typeof trial !== 'object') throw this.bad(ctx, ws, 'A sweep job needs a trial definition.', 'properties.trial');
    if (typeof trial.command !== 'string' || !trial.command.trim()) throw this.bad(ctx, ws, 'The trial of a sweep job needs a command.', 'properties.trial.command');
    const computeId = this.checkCompute(ctx, ws, p.computeId, 'properties.computeId');
    this.checkEnvironment(ctx, ws, trial.environmentId, 'properties.trial.environmentId');
    this.checkCode(ctx, ws, trial.codeId, 'properties.trial.codeId');
    const inputs = this.checkInputs(ctx, ws, p.inputs, 'properties.inputs');
    const outputs = this.checkOutputs(ctx, ws, p.outputs, 'properties.outputs');
    if (!p.searchSpace || typeof p.searchSpace !== 'object' || Object.keys(p.searchSpace).length === 0) {
      throw this.bad(ctx, ws, 'A sweep job needs a non-empty searchSpace.', 'properties.searchSpace');
    }
    for (const [k, v] of Object.entries(p.searchSpace as Record<string, unknown>)) {
      if (!Array.isArray(v) || typeof v[0] !== 'string' || !Array.isArray(v[1])) {
        throw this.bad(ctx, ws, `Search space entry '${k}' must look like ["choice", [[…]]] or ["uniform", [min, max]].`, `properties.searchSpace.${k}`);
      }
    }
    if (!p.objective?.primaryMetric || !['Maximize', 'Minimize'].includes(p.objective?.goal)) {
      throw this.bad(ctx, ws, 'A sweep job needs an objective with a primaryMetric and a goal of Maximize or Minimize.', 'properties.objective');
    }
    if (!p.samplingAlgorithm?.samplingAlgorithmType) throw this.bad(ctx, ws, 'A sweep job needs a samplingAlgorithm.', 'properties.samplingAlgorithm');
    if (p.samplingAlgorithm.samplingAlgorithmType === 'Grid' && Object.values(p.searchSpace as Record<string, unknown[]>).some((v) => v[0] !== 'choice')) {
      throw this.bad(ctx, ws, 'Grid sampling supports choice parameters only.', 'properties.samplingAlgorithm');
    }
    this.checkBindings(ctx, ws, trial.command, { inputs, outputs, searchSpace: p.searchSpace }, 'properties.trial.command');
    return { ...p, computeId };
  }

  // ------------------------------------------------------------------------------------------
  // ARM handlers

  async handle(ctx: Ctx, ws: Workspace, rest: string[], claims: JwtClaims): Promise<Reply> {
    const caller = callerOf(claims);
    const invalid = (m: string) => this.bad(ctx, ws, m);
    if (rest.length === 1) {
      if (ctx.method !== 'GET') throw methodNotAllowed(ctx);
      const type = ctx.query('jobType')?.toLowerCase();
      const tag = ctx.query('tag');
      const view = (ctx.query('listViewType') ?? 'ActiveOnly').toLowerCase();
      const jobs = this.all()
        .filter((j) => j.ws === ws && !j.hidden && !j.parent)
        .filter((j) => !type || j.jobType.toLowerCase() === type)
        .filter((j) => !tag || (tag.includes('=') ? j.tags.get(tag.split('=')[0]) === tag.split('=').slice(1).join('=') : j.tags.has(tag)))
        .filter((j) => view === 'all' || (view === 'archivedonly' ? j.properties.isArchived === true : j.properties.isArchived !== true))
        .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
        .map((j) => this.body(j));
      return { status: 200, body: page(this.world.settings, ctx, jobs) };
    }
    const name = rest[1];
    const job = this.get(ws, name);
    const notFound = () => mlError(ctx, 404, `Job ${name} not found in workspace ${ws.name}.`, 'NotFoundError', { location: ws.location });
    if (rest.length === 3 && rest[2].toLowerCase() === 'cancel') {
      if (ctx.method !== 'POST') throw methodNotAllowed(ctx);
      if (!job || job.hidden) throw notFound();
      if (TERMINAL.has(job.status)) return { status: 200 };
      const op = this.ops.create(ws, 'jc');
      this.requestCancel(job);
      void job.done.then(() => op.finish('Succeeded'));
      return { status: 202, headers: this.ops.headers(op, true) };
    }
    if (rest.length !== 2) throw notFound();
    if (ctx.method === 'GET') {
      if (!job || job.hidden) throw notFound();
      return { status: 200, body: this.body(job) };
    }
    if (ctx.method === 'DELETE') {
      if (!job || job.hidden) return { status: 204 };
      const op = this.ops.create(ws, 'jd', () => ({ status: 200 }));
      this.requestCancel(job);
      void job.done.then(() => {
        job.hidden = true;
        op.finish('Succeeded');
      });
      return { status: 202, headers: this.ops.headers(op, true) };
    }
    if (ctx.method !== 'PUT') throw methodNotAllowed(ctx);
    if (!JOB_NAME.test(name)) throw invalid(`The job name '${name}' is invalid. It must start with a letter or digit and contain only letters, digits, '-' and '_'.`);
    const body = await ctx.json<{ properties?: Props }>(invalid);
    if (!body || typeof body !== 'object' || !body.properties || typeof body.properties !== 'object') throw invalid("The request body must contain 'properties'.");
    const p = body.properties;
    if (job && !job.hidden) {
      // Existing jobs accept changes to their descriptive fields only.
      const mutable = ['description', 'tags', 'properties', 'displayName', 'isArchived', 'status', 'services', 'parameters'];
      const strip = (o: Props) => JSON.stringify(Object.fromEntries(Object.entries(o).filter(([k, v]) => !mutable.includes(k) && v !== null && v !== undefined).sort()));
      const stored = { ...job.properties, computeId: job.properties.computeId };
      if (strip({ ...p, computeId: p.computeId ? this.computeArmId(ws, String(p.computeId)) ?? p.computeId : p.computeId }) !== strip(stored)) {
        throw mlError(ctx, 409, `Job ${name} already exists and only its description, tags, properties and display name can be updated.`, 'Conflict', { location: ws.location });
      }
      for (const k of ['description', 'displayName', 'isArchived']) if (p[k] !== undefined) job.properties[k] = p[k];
      if (p.tags) job.tags = new Map(Object.entries(p.tags as Record<string, string>));
      if (p.properties) job.properties.properties = { ...(job.properties.properties ?? {}), ...p.properties };
      job.modifiedAt = now();
      return { status: 200, body: this.body(job) };
    }
    let normalized: Props;
    const jobType = String(p.jobType ?? '');
    if (jobType === 'Command') normalized = this.validateCommand(ctx, ws, p);
    else if (jobType === 'Pipeline') normalized = this.validatePipeline(ctx, ws, p);
    else if (jobType === 'Sweep') normalized = this.validateSweep(ctx, ws, p);
    else if (['AutoML', 'Spark', 'Labeling'].includes(jobType)) throw invalid(`Jobs of type '${jobType}' are not supported by the emulator.`);
    else throw invalid(`The jobType '${jobType}' is invalid. Supported values are Command, Pipeline and Sweep.`);
    delete normalized.status;
    delete normalized.services;
    const created = this.create(ws, name, jobType as JobType, normalized, caller);
    const reply = { status: 201, body: this.body(created) };
    setImmediate(() => this.onCreated(created));
    return reply;
  }

  requestCancel(job: JobRecord): void {
    if (TERMINAL.has(job.status)) return;
    job.cancelRequested = true;
    if (job.status === 'NotStarted' || job.status === 'Queued') {
      this.setStatus(job, 'Canceled');
    } else {
      this.setStatus(job, 'CancelRequested');
      job.kill?.();
    }
    for (const child of job.children) {
      const c = this.get(job.ws, child);
      if (c) this.requestCancel(c);
    }
  }
}

/**
 * A pipeline sweep node's search space (YAML shape: {type: choice, values} / {type: uniform, min_value,
 * max_value} / {type: randint, upper} / {type: normal, mu, sigma} …) in the REST shape of a sweep job
 * (`["choice", [[…]]]`, `["uniform", [min, max]]`), or undefined when it is not one.
 */
export function searchSpaceOfNode(value: unknown): Record<string, unknown[]> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) return undefined;
  const out: Record<string, unknown[]> = {};
  for (const [k, raw] of Object.entries(value as Record<string, Props>)) {
    const type = String(raw?.type ?? '');
    const q = type.startsWith('q') ? [Number(raw.q)] : [];
    if (type === 'choice' && Array.isArray(raw.values) && raw.values.length) out[k] = ['choice', [raw.values]];
    else if (type === 'randint' && raw.upper !== undefined) out[k] = ['randint', [Number(raw.upper)]];
    else if (type.includes('normal') && raw.mu !== undefined && raw.sigma !== undefined) out[k] = [type, [Number(raw.mu), Number(raw.sigma), ...q]];
    else if (['uniform', 'loguniform', 'quniform', 'qloguniform'].includes(type) && raw.min_value !== undefined && raw.max_value !== undefined) {
      out[k] = [type, [Number(raw.min_value), Number(raw.max_value), ...q]];
    } else return undefined;
  }
  return out;
}
