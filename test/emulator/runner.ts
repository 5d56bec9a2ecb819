// Runs jobs for real. A command job fetches its code snapshot and inputs from Azurite, expands its
// bindings, runs `bash -c <command>` in the code folder with the environment Azure ML gives a job
// (MLflow tracking, run id and token, the emulator's CA for Python), streams its output to
// user_logs/std_log.txt in the artifact store, and uploads its outputs. Pipelines run their steps as
// child jobs in dependency order; sweeps run a bounded number of trials and keep the best.
import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { issueAccessToken } from './entra.js';
import { sleep, type Faults } from './faults.js';
import { resolveAssetRef } from './assets.js';
import { expand, parseIsoDuration, searchSpaceOfNode, TERMINAL, type JobRecord, type JobStore, type Props } from './jobs.js';
import { LocationError, resolveLocation, type BlobLocation } from './locations.js';
import type { Storage } from './storage.js';
import { dataPlaneBase, newGuid, type World } from './world.js';

class JobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class Runner {
  private running = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly world: World,
    private readonly storage: Storage,
    private readonly jobs: JobStore,
    private readonly faults: Faults,
  ) {
    jobs.onCreated = (job) => this.start(job);
  }

  start(job: JobRecord): void {
    if (this.stopping) return;
    const p = this.run(job).catch((e) => {
      this.world.log(`job ${job.name}: runner error: ${(e as Error).stack ?? e}`);
      this.jobs.setStatus(job, 'Failed', { code: 'SystemError', message: `The emulator failed to run the job: ${(e as Error).message}` });
    });
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const job of this.jobs.all()) if (!TERMINAL.has(job.status)) this.jobs.requestCancel(job);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running]), new Promise<void>((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
  }

  private async step(job: JobRecord, status: 'Queued' | 'Preparing' | 'Running' | 'Finalizing'): Promise<boolean> {
    if (job.cancelRequested || TERMINAL.has(job.status)) return false;
    this.jobs.setStatus(job, status);
    if (this.world.settings.jobStepDelayMs > 0 && status !== 'Running') await sleep(this.world.settings.jobStepDelayMs);
    return !(job.cancelRequested || TERMINAL.has(job.status));
  }

  private finishCanceled(job: JobRecord): void {
    if (!TERMINAL.has(job.status)) this.jobs.setStatus(job, 'Canceled');
  }

  private async run(job: JobRecord): Promise<void> {
    if (job.jobType === 'Command') return this.runCommand(job);
    if (job.jobType === 'Pipeline') return this.runPipeline(job);
    return this.runSweep(job);
  }

  // --------------------------------------------------------------------------------------------
  // Logs

  private logBlob(job: JobRecord, name: string): string {
    return `ExperimentRun/dcid.${job.name}/${name}`;
  }

  private async openLog(job: JobRecord, dir: string, name: string): Promise<{ file: string; stream: WriteStream; flush: () => Promise<void>; stop: () => Promise<void> }> {
    const file = path.join(dir, ...name.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    const stream = createWriteStream(file);
    const blob = this.logBlob(job, name);
    job.logFiles.set(name, blob);
    const ws = job.ws;
    let flushing: Promise<void> = Promise.resolve();
    const flush = () => {
      flushing = flushing.then(async () => {
        try {
          const data = await readFile(file);
          await this.storage.put(ws.storage.accountName, ws.storage.artifactContainer, blob, data);
        } catch (e) {
          this.world.log(`job ${job.name}: log upload failed: ${(e as Error).message}`);
        }
      });
      return flushing;
    };
    await flush();
    const timer = setInterval(() => void flush(), this.world.settings.logFlushMs);
    const stop = async () => {
      clearInterval(timer);
      await new Promise<void>((r) => stream.end(r));
      await flush();
    };
    return { file, stream, flush, stop };
  }

  // --------------------------------------------------------------------------------------------
  // Command jobs

  private resolve(job: JobRecord, uri: string): BlobLocation {
    return resolveLocation(this.world, job.ws, uri, this.jobs.outputLocation);
  }

  private async runCommand(job: JobRecord): Promise<void> {
    const p = job.properties;
    const dir = await mkdtemp(path.join(this.world.tmpDir, `job-${job.name.slice(0, 40)}-`));
    const log = await this.openLog(job, dir, 'user_logs/std_log.txt');
    const write = (line: string) => log.stream.write(`${line}\n`);
    try {
      if (!(await this.step(job, 'Queued'))) return this.finishCanceled(job);
      if (!(await this.step(job, 'Preparing'))) return this.finishCanceled(job);

      // Code snapshot
      const codeDir = path.join(dir, 'code');
      await mkdir(codeDir, { recursive: true });
      if (p.codeId) {
        const code = resolveAssetRef(this.world, job.ws, 'codes', String(p.codeId));
        if (!code) throw new JobFailure('UserError', `Code asset '${String(p.codeId)}' no longer exists.`);
        const loc = this.resolveOrFail(job, String(code.version.properties.codeUri), 'the code snapshot');
        const got = await this.storage.download(loc.account, loc.container, loc.path, codeDir);
        if (got.files === 0) throw new JobFailure('UserError', `The code snapshot at '${String(code.version.properties.codeUri)}' is empty or missing.`);
      }

      // Inputs
      const values = new Map<string, string>();
      const env: Record<string, string> = {};
      for (const [name, input] of Object.entries((p.inputs ?? {}) as Record<string, Props>)) {
        if (input.jobInputType === 'literal') {
          values.set(`inputs.${name}`, String(input.value));
          continue;
        }
        if (input.mode === 'Direct') {
          values.set(`inputs.${name}`, String(input.uri));
          continue;
        }
        const loc = this.resolveOrFail(job, String(input.uri), `input '${name}'`);
        const dest = path.join(dir, 'inputs', name);
        const got = await this.storage.download(loc.account, loc.container, loc.path, dest);
        if (got.files === 0) throw new JobFailure('UserError', `Input '${name}': nothing found at '${String(input.uri)}'.`);
        const local = input.jobInputType === 'uri_file' || got.isFile ? got.localPath : dest;
        values.set(`inputs.${name}`, local);
        env[`AZURE_ML_INPUT_${name}`] = local;
      }

      // Outputs
      const outputDirs = new Map<string, { local: string; isFile: boolean }>();
      for (const [name, output] of Object.entries((p.outputs ?? {}) as Record<string, Props | null>)) {
        if (!output) continue;
        if (output.uri) job.outputs.set(name, this.resolveOrFail(job, String(output.uri), `output '${name}'`));
        const outDir = path.join(dir, 'outputs', name);
        await mkdir(outDir, { recursive: true });
        const isFile = output.jobOutputType === 'uri_file';
        const fileName = isFile ? path.posix.basename(String(output.uri ?? name).replace(/\/+$/, '')) || name : '';
        const local = isFile ? path.join(outDir, fileName) : outDir;
        outputDirs.set(name, { local, isFile });
        values.set(`outputs.${name}`, local);
        env[`AZURE_ML_OUTPUT_${name}`] = local;
      }
      for (const [k, v] of Object.entries((p.searchSpaceValues ?? {}) as Record<string, unknown>)) values.set(`search_space.${k}`, String(v));

      const injected = this.faults.takeJobFailure(job.name);
      if (injected !== undefined) {
        this.jobs.setStatus(job, 'Running');
        write(`Injected failure: ${injected}`);
        throw new JobFailure('SystemError', injected);
      }

      // Azure ML creates ./outputs and ./logs for every job; what lands there becomes the job's artifacts.
      for (const folder of ['outputs', 'logs']) await mkdir(path.join(codeDir, folder), { recursive: true });
      const command = expand(String(p.command), (expr) => values.get(expr));
      if (!(await this.step(job, 'Running'))) return this.finishCanceled(job);
      const exit = await this.execute(job, command, codeDir, { ...env, ...this.jobEnvironment(job, dir) }, log.stream);
      if (job.cancelRequested) return this.finishCanceled(job);
      if (exit.timedOut) throw new JobFailure('UserError', `The job exceeded its timeout of ${String(p.limits?.timeout)} and was stopped.`);
      if (exit.code !== 0) {
        await new Promise<void>((r) => log.stream.write('', () => r()));
        const tail = (await readFile(log.file, 'utf8')).split('\n').filter(Boolean).slice(-20).join('\n');
        const proc = String(p.command).trim().split(/\s+/)[0];
        throw new JobFailure(
          'UserError',
          `Execution failed. User process '${proc}' exited with status code ${exit.code ?? exit.signal}. Please check log file 'user_logs/std_log.txt' for error details. Error: ${tail}`,
        );
      }

      if (!(await this.step(job, 'Finalizing'))) return this.finishCanceled(job);
      for (const [name, out] of outputDirs) {
        const loc = job.outputs.get(name)!;
        if (out.isFile) {
          const exists = await stat(out.local).then((s) => s.isFile()).catch(() => false);
          if (exists) {
            const blob = loc.path.endsWith('/') || loc.path === '' ? `${loc.path}${path.basename(out.local)}` : loc.path;
            await this.storage.uploadFile(loc.account, loc.container, blob, out.local);
          }
        } else {
          await this.storage.uploadDir(loc.account, loc.container, loc.path, out.local);
        }
      }
      // Files a script leaves in ./outputs and ./logs become run artifacts, as in Azure ML.
      for (const folder of ['outputs', 'logs']) {
        await this.storage.uploadDir(job.ws.storage.accountName, job.ws.storage.artifactContainer, `ExperimentRun/dcid.${job.name}/${folder}`, path.join(codeDir, folder));
      }
      this.jobs.setStatus(job, 'Completed');
    } catch (e) {
      if (job.cancelRequested) return this.finishCanceled(job);
      const failure = e instanceof JobFailure ? e : new JobFailure('SystemError', (e as Error).message);
      write(`\n${failure.message}`);
      this.jobs.setStatus(job, 'Failed', { code: failure.code, message: failure.message });
    } finally {
      await log.stop();
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private resolveOrFail(job: JobRecord, uri: string, what: string): BlobLocation {
    try {
      return this.resolve(job, uri);
    } catch (e) {
      if (e instanceof LocationError) throw new JobFailure('UserError', `${what}: ${e.message}`);
      throw e;
    }
  }

  jobEnvironment(job: JobRecord, dir: string): Record<string, string> {
    const ws = job.ws;
    const token = issueAccessToken(this.world, 'https://management.azure.com', { lifetime: Math.max(this.world.settings.tokenLifetime, 24 * 3600) }).token;
    const tracking = dataPlaneBase(this.world, ws, 'mlflow');
    const env: Record<string, string> = {
      PATH: `${path.join(this.world.tmpDir, 'bin')}${path.delimiter}${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
      HOME: dir,
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TMPDIR: dir,
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      AZUREML_RUN_ID: job.name,
      AZUREML_ARM_SUBSCRIPTION: ws.subscriptionId,
      AZUREML_ARM_RESOURCEGROUP: ws.resourceGroup,
      AZUREML_ARM_WORKSPACE_NAME: ws.name,
      AZUREML_ARM_PROJECT_NAME: String(job.properties.experimentName ?? 'Default'),
      AZUREML_WORKSPACE_ID: ws.workspaceId,
      AZUREML_SERVICE_ENDPOINT: this.world.baseUrl,
      AZUREML_DISCOVERY_SERVICE_ENDPOINT: `${this.world.baseUrl}/discovery`,
      AZUREML_RUN_TOKEN: token,
      MLFLOW_TRACKING_URI: tracking,
      MLFLOW_RUN_ID: job.name,
      MLFLOW_EXPERIMENT_NAME: String(job.properties.experimentName ?? 'Default'),
      MLFLOW_TRACKING_TOKEN: token,
      SSL_CERT_FILE: this.world.caCertPath,
      REQUESTS_CA_BUNDLE: this.world.caCertPath,
      CURL_CA_BUNDLE: this.world.caCertPath,
    };
    if (job.parent) env.AZUREML_ROOT_RUN_ID = job.parent;
    for (const [k, v] of Object.entries((job.properties.environmentVariables ?? {}) as Record<string, unknown>)) env[k] = String(v);
    return env;
  }

  private execute(
    job: JobRecord,
    command: string,
    cwd: string,
    env: Record<string, string>,
    out: WriteStream,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }> {
    return new Promise((resolve) => {
      const child = spawn('bash', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let timedOut = false;
      const killGroup = (signal: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, signal);
        } catch {
          /* already gone */
        }
      };
      let killTimer: NodeJS.Timeout | undefined;
      const kill = () => {
        killGroup('SIGTERM');
        killTimer ??= setTimeout(() => killGroup('SIGKILL'), 3000);
      };
      job.kill = kill;
      const timeoutMs = job.properties.limits?.timeout ? parseIsoDuration(String(job.properties.limits.timeout)) : undefined;
      const timeout = timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            kill();
          }, timeoutMs)
        : undefined;
      child.stdout!.on('data', (c: Buffer) => out.write(c));
      child.stderr!.on('data', (c: Buffer) => out.write(c));
      child.on('error', (e) => out.write(`${e.message}\n`));
      child.on('close', (code, signal) => {
        if (timeout) clearTimeout(timeout);
        if (killTimer) clearTimeout(killTimer);
        killGroup('SIGKILL'); // anything the command left behind in its group
        job.kill = undefined;
        resolve({ code, signal, timedOut });
      });
    });
  }

  // --------------------------------------------------------------------------------------------
  // Pipelines

  private async runPipeline(job: JobRecord): Promise<void> {
    const dir = await mkdtemp(path.join(this.world.tmpDir, `pipeline-${job.name.slice(0, 40)}-`));
    const log = await this.openLog(job, dir, 'logs/azureml/executionlogs.txt');
    const say = (line: string) => log.stream.write(`[${new Date().toISOString()}] ${line}\n`);
    const p = job.properties;
    try {
      if (!(await this.step(job, 'Running'))) return this.finishCanceled(job);
      const steps = p.jobs as Record<string, Props>;
      // Normalization was validated at submission; redo it for the definitions.
      const defs: Record<string, Props> = {};
      for (const [name, step] of Object.entries(steps)) defs[name] = this.normalizeForRun(job, name, step);
      const order = this.jobs.topologicalOrder(undefined, job.ws, defs);
      const children = new Map<string, JobRecord>();
      for (const name of order) {
        const child = this.jobs.create(job.ws, newGuid(), defs[name].sweep ? 'Sweep' : 'Command', {}, job.createdBy, { parent: job.name, stepName: name });
        child.properties = { displayName: defs[name].displayName, experimentName: p.experimentName ?? 'Default' };
        children.set(name, child);
        job.children.push(child.name);
      }
      say(`Pipeline ${job.name}: ${order.length} steps in order ${order.join(', ')}`);
      for (const name of order) {
        const child = children.get(name)!;
        if (job.cancelRequested) {
          this.jobs.setStatus(child, 'Canceled');
          continue;
        }
        child.properties = this.childProperties(job, name, defs[name], children);
        child.outputs.clear();
        say(`Step ${name} (${child.name}): starting`);
        if (defs[name].sweep) {
          // A sweep node: its trials run the component with the sampled values as inputs; its outputs
          // are its best trial's (outputLocation falls back to best_child_run_id).
          const command = child.properties;
          child.properties = {
            jobType: 'Sweep',
            displayName: command.displayName,
            experimentName: command.experimentName,
            computeId: command.computeId,
            inputs: command.inputs,
            outputs: command.outputs,
            trial: { command: command.command, codeId: command.codeId, environmentId: command.environmentId, environmentVariables: command.environmentVariables },
            ...(defs[name].sweep as Props),
            properties: command.properties,
          };
          await this.runSweep(child, { samplesAsInputs: true });
        } else {
          for (const [outName, out] of Object.entries((child.properties.outputs ?? {}) as Record<string, Props>)) {
            const bound = typeof out?.bindTo === 'string' ? out.bindTo : undefined;
            child.outputs.set(outName, bound ? job.outputs.get(bound)! : { account: job.ws.storage.accountName, container: job.ws.storage.blobContainer, path: `azureml/${child.name}/${outName}/` });
          }
          await this.runCommand(child);
        }
        say(`Step ${name} (${child.name}): ${child.status}`);
        if (child.status !== 'Completed') {
          for (const rest of order.slice(order.indexOf(name) + 1)) this.jobs.setStatus(children.get(rest)!, 'Canceled');
          if (job.cancelRequested) return this.finishCanceled(job);
          // Azure's pipeline error names the failed node but not its error: that stays on the child run.
          this.jobs.setStatus(job, 'Failed', {
            code: 'UserError',
            message: `Pipeline has failed child jobs. Failed nodes: /${name}. For more details and logs, please go to the job detail page and check the child jobs.`,
          });
          return;
        }
      }
      if (job.cancelRequested) return this.finishCanceled(job);
      this.jobs.setStatus(job, 'Completed');
    } catch (e) {
      if (job.cancelRequested) return this.finishCanceled(job);
      this.jobs.setStatus(job, 'Failed', { code: 'SystemError', message: (e as Error).message });
    } finally {
      say(`Pipeline ${job.name}: ${job.status}`);
      await log.stop();
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private normalizeForRun(job: JobRecord, name: string, step: Props): Props {
    let spec: Props = {};
    const sweep = String(step.type ?? '').toLowerCase() === 'sweep';
    const componentId = sweep ? step.trial?.componentId : step.componentId;
    if (componentId) spec = (resolveAssetRef(this.world, job.ws, 'components', String(componentId))?.version.properties.componentSpec ?? {}) as Props;
    if (sweep) {
      // Validated at submission (JobStore.normalizeSweepStep); the trial is the component.
      const goal = String(step.objective?.goal ?? '').toLowerCase();
      const sampling = String((typeof step.sampling_algorithm === 'object' ? step.sampling_algorithm?.type : step.sampling_algorithm) ?? 'random').toLowerCase();
      step = {
        ...step,
        sweep: {
          searchSpace: searchSpaceOfNode(step.search_space),
          samplingAlgorithm: { samplingAlgorithmType: sampling === 'grid' ? 'Grid' : sampling === 'bayesian' ? 'Bayesian' : 'Random' },
          objective: { goal: goal === 'maximize' ? 'Maximize' : 'Minimize', primaryMetric: step.objective?.primary_metric },
          limits: { maxTotalTrials: step.limits?.max_total_trials },
        },
      };
    }
    return {
      sweep: step.sweep,
      command: step.command ?? spec.command,
      codeId: step.codeId ?? step.code ?? spec.code,
      environmentId: step.environmentId ?? step.environment ?? spec.environment,
      computeId: this.jobs.computeArmId(job.ws, String(step.computeId ?? step.compute ?? job.properties.settings?.default_compute ?? job.properties.settings?.defaultCompute ?? job.properties.computeId)),
      inputs: step.inputs ?? {},
      outputs: step.outputs ?? {},
      specOutputs: spec.outputs ?? {},
      specInputs: spec.inputs ?? {},
      environmentVariables: step.environmentVariables ?? step.environment_variables ?? spec.environment_variables ?? {},
      displayName: step.displayName ?? step.display_name ?? name,
    };
  }

  /** The command-job properties of a step, with its parent.* bindings resolved. */
  private childProperties(parent: JobRecord, stepName: string, def: Props, children: Map<string, JobRecord>): Props {
    const parentInputs = (parent.properties.inputs ?? {}) as Record<string, Props>;
    const inputs: Record<string, Props> = {};
    const bindingOf = (v: unknown): string | undefined => {
      const text = typeof v === 'string' ? v : v && typeof v === 'object' ? (v as Props).value ?? (v as Props).uri ?? (v as Props).path : undefined;
      const m = typeof text === 'string' ? /^\s*\$\{\{\s*([a-zA-Z0-9_.-]+)\s*\}\}\s*$/.exec(text) : null;
      return m?.[1];
    };
    // Component inputs the step leaves out take the component's default.
    for (const [name, spec] of Object.entries((def.specInputs ?? {}) as Record<string, Props>)) {
      if (!(name in (def.inputs as object)) && spec && typeof spec === 'object' && spec.default !== undefined) inputs[name] = { jobInputType: 'literal', value: String(spec.default) };
    }
    for (const [name, raw] of Object.entries(def.inputs as Record<string, unknown>)) {
      const ref = bindingOf(raw);
      if (ref) {
        const parts = ref.split('.');
        if (parts[1] === 'inputs') {
          inputs[name] = { ...parentInputs[parts[2]] };
        } else {
          const producer = children.get(parts[2])!;
          const producedType = ((def.inputs as Props)[name]?.job_input_type as string | undefined) ?? 'uri_folder';
          inputs[name] = { jobInputType: producedType === 'literal' ? 'uri_folder' : producedType, uri: `azureml://jobs/${producer.name}/outputs/${parts[4]}`, mode: 'ReadOnlyMount' };
        }
        continue;
      }
      if (raw !== null && typeof raw === 'object') {
        const o = raw as Props;
        const type = o.jobInputType ?? o.job_input_type ?? o.type ?? (o.uri || o.path ? 'uri_folder' : 'literal');
        inputs[name] = type === 'literal' ? { jobInputType: 'literal', value: String(o.value) } : { jobInputType: type, uri: o.uri ?? o.path, mode: o.mode };
      } else {
        inputs[name] = { jobInputType: 'literal', value: String(raw) };
      }
    }
    const outputs: Record<string, Props> = {};
    const declared = { ...(def.specOutputs as object), ...(def.outputs as object) } as Record<string, unknown>;
    for (const [name, raw] of Object.entries(declared)) {
      const ref = bindingOf(raw);
      if (ref && ref.startsWith('parent.outputs.')) {
        const parentOut = ref.split('.')[2];
        const parentDef = ((parent.properties.outputs ?? {}) as Record<string, Props>)[parentOut] ?? {};
        outputs[name] = { jobOutputType: parentDef.jobOutputType ?? 'uri_folder', mode: parentDef.mode ?? 'ReadWriteMount', bindTo: parentOut };
        continue;
      }
      const o = (raw ?? {}) as Props;
      outputs[name] = { jobOutputType: o.jobOutputType ?? o.job_output_type ?? o.type ?? 'uri_folder', mode: o.mode, ...(o.uri ? { uri: o.uri } : {}) };
    }
    return {
      jobType: 'Command',
      command: def.command,
      codeId: def.codeId,
      environmentId: def.environmentId,
      computeId: def.computeId,
      inputs,
      outputs,
      environmentVariables: def.environmentVariables,
      displayName: def.displayName,
      experimentName: parent.properties.experimentName ?? 'Default',
      properties: { 'azureml.pipeline': parent.name, 'azureml.nodeid': stepName },
    };
  }

  // --------------------------------------------------------------------------------------------
  // Sweeps

  /** `samplesAsInputs`: a pipeline's sweep node, whose search-space parameters are its trial component's inputs. */
  private async runSweep(job: JobRecord, options: { samplesAsInputs?: boolean } = {}): Promise<void> {
    const dir = await mkdtemp(path.join(this.world.tmpDir, `sweep-${job.name.slice(0, 40)}-`));
    const log = await this.openLog(job, dir, 'azureml-logs/hyperdrive.txt');
    const say = (line: string) => log.stream.write(`[${new Date().toISOString()}] ${line}\n`);
    const p = job.properties;
    try {
      if (!(await this.step(job, 'Running'))) return this.finishCanceled(job);
      const samples = sampleSearchSpace(p.searchSpace as Record<string, unknown[]>, p.samplingAlgorithm as Props, Math.min(Number(p.limits?.maxTotalTrials ?? this.world.settings.sweepTrialCap), this.world.settings.sweepTrialCap));
      say(`Sweep ${job.name}: ${samples.length} trials (${String(p.samplingAlgorithm.samplingAlgorithmType)})`);
      const goal = String(p.objective.goal);
      const metric = String(p.objective.primaryMetric);
      let best: { name: string; value: number } | undefined;
      for (const [i, sample] of samples.entries()) {
        if (job.cancelRequested) break;
        const trial = p.trial as Props;
        const child = this.jobs.create(
          job.ws,
          `${job.name}_${i}`,
          'Command',
          {
            jobType: 'Command',
            command: trial.command,
            codeId: trial.codeId,
            environmentId: trial.environmentId,
            environmentVariables: trial.environmentVariables,
            computeId: p.computeId,
            inputs: options.samplesAsInputs
              ? { ...(p.inputs as object), ...Object.fromEntries(Object.entries(sample).map(([k, v]) => [k, { jobInputType: 'literal', value: String(v) }])) }
              : p.inputs,
            outputs: p.outputs,
            experimentName: p.experimentName ?? 'Default',
            searchSpaceValues: sample,
            properties: { 'azureml.pipeline': job.name },
          },
          job.createdBy,
          { parent: job.name },
        );
        for (const [k, v] of Object.entries(sample)) child.params.set(k, String(v));
        job.children.push(child.name);
        say(`Trial ${child.name}: ${JSON.stringify(sample)}`);
        await this.runCommand(child);
        const points = child.metrics.get(metric);
        const value = points?.length ? points[points.length - 1].value : undefined;
        say(`Trial ${child.name}: ${child.status}${value === undefined ? '' : `, ${metric}=${value}`}`);
        if (child.status === 'Completed' && value !== undefined && (!best || (goal === 'Maximize' ? value > best.value : value < best.value))) {
          best = { name: child.name, value };
        }
      }
      if (job.cancelRequested) return this.finishCanceled(job);
      if (!best) {
        this.jobs.setStatus(job, 'Failed', { code: 'UserError', message: `No trial completed with the primary metric '${metric}'.` });
        return;
      }
      job.runProperties.best_child_run_id = best.name;
      job.runProperties.score = String(best.value);
      job.metrics.set(metric, [{ key: metric, value: best.value, timestamp: Date.now(), step: 0 }]);
      say(`Best trial: ${best.name} (${metric}=${best.value})`);
      this.jobs.setStatus(job, 'Completed');
    } catch (e) {
      if (job.cancelRequested) return this.finishCanceled(job);
      this.jobs.setStatus(job, 'Failed', { code: 'SystemError', message: (e as Error).message });
    } finally {
      await log.stop();
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

/** Deterministic samples of a sweep search space (grid: the cartesian product of choices). */
export function sampleSearchSpace(space: Record<string, unknown[]>, algorithm: Props, limit: number): Record<string, unknown>[] {
  const keys = Object.keys(space);
  const type = String(algorithm?.samplingAlgorithmType ?? 'Random');
  const choices = (spec: unknown[]): unknown[] => {
    const args = spec[1] as unknown[];
    return Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  };
  if (type === 'Grid') {
    let combos: Record<string, unknown>[] = [{}];
    for (const k of keys) combos = combos.flatMap((c) => choices(space[k]).map((v) => ({ ...c, [k]: v })));
    return combos.slice(0, Math.max(1, limit));
  }
  let seed = Number(algorithm?.seed ?? 42) >>> 0 || 42;
  const rand = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const draw = (spec: unknown[]): unknown => {
    const kind = String(spec[0]);
    const a = spec[1] as number[];
    switch (kind) {
      case 'choice': {
        const c = choices(spec);
        return c[Math.floor(rand() * c.length)];
      }
      case 'randint':
        return Math.floor(rand() * Number(a[0]));
      case 'uniform':
        return a[0] + rand() * (a[1] - a[0]);
      case 'quniform':
        return Math.round((a[0] + rand() * (a[1] - a[0])) / a[2]) * a[2];
      case 'loguniform':
        return Math.exp(a[0] + rand() * (a[1] - a[0]));
      case 'normal':
        return a[0] + a[1] * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      default:
        return a[0];
    }
  };
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < Math.max(1, limit); i++) out.push(Object.fromEntries(keys.map((k) => [k, draw(space[k])])));
  return out;
}
