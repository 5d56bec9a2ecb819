// The workspace data plane a job and its caller use: the MLflow REST subset (runs/get, log-metric,
// log-batch, log-parameter, set-tag, metrics/get-history), the run-history endpoints `az ml job stream`
// reads (runs/{id}, runs/{id}/details with logFiles SAS URLs, runs/{id}/children), the ones
// `az ml job download` reads (POST rundata: the run's outputs as asset ids; POST
// dataversion/batchGetResolvedUris: those ids as datastore URIs), and discovery.
import { Ctx, HttpError, matchPath, type Reply } from './http.js';
import { page, requireArmToken } from './arm-common.js';
import { ML_AUDIENCES } from './entra.js';
import type { JobRecord, JobStore, MetricPoint, Props } from './jobs.js';
import type { BlobLocation } from './locations.js';
import type { Storage } from './storage.js';
import { findWorkspace, workspaceArmId, type World, type Workspace } from './world.js';

const WS = '/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}';

function mlflowError(status: number, code: string, message: string): HttpError {
  return new HttpError(status, { error_code: code, message });
}

const MLFLOW_STATUS: Record<string, string> = {
  NotStarted: 'SCHEDULED',
  Queued: 'SCHEDULED',
  Preparing: 'SCHEDULED',
  Running: 'RUNNING',
  Finalizing: 'RUNNING',
  CancelRequested: 'RUNNING',
  Completed: 'FINISHED',
  Failed: 'FAILED',
  Canceled: 'KILLED',
};

export class DataPlane {
  constructor(
    private readonly world: World,
    private readonly jobs: JobStore,
    private readonly storage: Storage,
  ) {}

  private workspace(ctx: Ctx, m: Record<string, string>): Workspace {
    const ws = findWorkspace(this.world, m.s, m.rg, m.ws);
    if (!ws) throw new HttpError(404, { error: { code: 'ResourceNotFound', message: `Workspace ${m.ws} was not found in resource group ${m.rg}.` } });
    return ws;
  }

  async handle(ctx: Ctx): Promise<Reply | undefined> {
    const p = ctx.path;
    if (matchPath('/discovery', p) && ctx.method === 'GET') {
      const b = this.world.baseUrl;
      return { status: 200, body: { api: b, catalog: b, experimentation: b, gallery: b, history: b, hyperdrive: b, labeling: b, modelmanagement: b, pipelines: b, studio: `${b}/studio` } };
    }
    if (p.startsWith('/studio/') && ctx.method === 'GET') {
      return { status: 200, body: `<html><body>Azure ML emulator: ${p}</body></html>`, headers: { 'content-type': 'text/html; charset=utf-8' } };
    }
    const segs = p.split('/').filter(Boolean);
    if (segs[0] === 'mlflow' && segs[1] === 'v2.0') segs[1] = 'v1.0';
    if ((segs[0] === 'mlflow' || segs[0] === 'history' || segs[0] === 'data') && segs[1] === 'v1.0') {
      const rest = '/' + segs.slice(2).join('/');
      const m = matchPath(WS, '/' + segs.slice(2, 10).join('/'));
      if (!m) return undefined;
      requireArmToken(this.world, ctx, ML_AUDIENCES);
      const ws = this.workspace(ctx, m);
      const tail = '/' + segs.slice(10).join('/');
      void rest;
      if (segs[0] === 'data') return this.data(ctx, ws, tail);
      return segs[0] === 'mlflow' ? this.mlflow(ctx, ws, tail) : this.history(ctx, ws, tail);
    }
    return undefined;
  }

  // --------------------------------------------------------------------------------------------
  // MLflow

  private run(ws: Workspace, id: unknown): JobRecord {
    const job = typeof id === 'string' && id ? this.jobs.get(ws, id) : undefined;
    if (!job || job.hidden) throw mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${String(id)}' not found.`);
    return job;
  }

  private runInfo(job: JobRecord): Props {
    return {
      run_id: job.name,
      run_uuid: job.name,
      run_name: String(job.properties.displayName ?? job.name),
      experiment_id: String(job.properties.experimentName ?? 'Default'),
      user_id: job.createdBy.id,
      status: MLFLOW_STATUS[job.status],
      start_time: Date.parse(job.startTime ?? job.createdAt),
      ...(job.endTime ? { end_time: Date.parse(job.endTime) } : {}),
      artifact_uri: `azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.${job.name}`,
      lifecycle_stage: 'active',
    };
  }

  private async mlflow(ctx: Ctx, ws: Workspace, tail: string): Promise<Reply> {
    const body = async (): Promise<Props> => {
      if (ctx.method === 'GET') return Object.fromEntries(ctx.url.searchParams);
      return ctx.json<Props>((m) => mlflowError(400, 'MALFORMED_REQUEST', m));
    };
    const metric = (v: Props): MetricPoint => {
      if (typeof v.key !== 'string' || !v.key) throw mlflowError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'key'.");
      const value = Number(v.value);
      if (v.value === undefined || v.value === null || Number.isNaN(value)) throw mlflowError(400, 'INVALID_PARAMETER_VALUE', `Invalid value for metric '${v.key}'.`);
      return { key: v.key, value, timestamp: Number(v.timestamp ?? Date.now()), step: Number(v.step ?? 0) };
    };
    const add = (job: JobRecord, pt: MetricPoint) => {
      const list = job.metrics.get(pt.key) ?? [];
      list.push(pt);
      job.metrics.set(pt.key, list);
    };
    switch (tail) {
      case '/api/2.0/mlflow/runs/get': {
        const b = await body();
        const job = this.run(ws, b.run_id ?? b.run_uuid);
        const metrics = [...job.metrics.values()].map((pts) => pts.reduce((a, c) => (c.step > a.step || (c.step === a.step && c.timestamp >= a.timestamp) ? c : a)));
        return {
          status: 200,
          body: {
            run: {
              info: this.runInfo(job),
              data: {
                metrics,
                params: [...job.params].map(([key, value]) => ({ key, value })),
                tags: [...job.tags].map(([key, value]) => ({ key, value })),
              },
            },
          },
        };
      }
      case '/api/2.0/mlflow/runs/log-metric': {
        const b = await body();
        const job = this.run(ws, b.run_id ?? b.run_uuid);
        add(job, metric(b));
        return { status: 200, body: {} };
      }
      case '/api/2.0/mlflow/runs/log-batch': {
        const b = await body();
        const job = this.run(ws, b.run_id);
        const metrics = ((b.metrics ?? []) as Props[]).map(metric);
        for (const pt of metrics) add(job, pt);
        for (const prm of (b.params ?? []) as Props[]) job.params.set(String(prm.key), String(prm.value));
        for (const tag of (b.tags ?? []) as Props[]) job.tags.set(String(tag.key), String(tag.value));
        return { status: 200, body: {} };
      }
      case '/api/2.0/mlflow/runs/log-parameter': {
        const b = await body();
        const job = this.run(ws, b.run_id ?? b.run_uuid);
        job.params.set(String(b.key), String(b.value));
        return { status: 200, body: {} };
      }
      case '/api/2.0/mlflow/runs/set-tag': {
        const b = await body();
        const job = this.run(ws, b.run_id ?? b.run_uuid);
        job.tags.set(String(b.key), String(b.value));
        return { status: 200, body: {} };
      }
      case '/api/2.0/mlflow/metrics/get-history': {
        const b = await body();
        const job = this.run(ws, b.run_id ?? b.run_uuid);
        if (!b.metric_key) throw mlflowError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'metric_key'.");
        return { status: 200, body: { metrics: job.metrics.get(String(b.metric_key)) ?? [] } };
      }
      default:
        throw mlflowError(404, 'ENDPOINT_NOT_FOUND', `No MLflow endpoint ${ctx.method} ${tail} in the emulator.`);
    }
  }

  // --------------------------------------------------------------------------------------------
  // Run history

  private runDto(job: JobRecord): Props {
    return {
      runId: job.name,
      runUuid: job.name,
      parentRunId: job.parent ?? null,
      rootRunId: job.parent ?? job.name,
      experimentId: String(job.properties.experimentName ?? 'Default'),
      displayName: String(job.properties.displayName ?? job.name),
      status: job.status,
      createdUtc: job.createdAt,
      startTimeUtc: job.startTime ?? null,
      endTimeUtc: job.endTime ?? null,
      target: job.properties.computeId ? String(job.properties.computeId).split('/').pop() : null,
      runType: job.jobType === 'Pipeline' ? 'azureml.PipelineRun' : job.jobType === 'Sweep' ? 'hyperdrive' : 'azureml.scriptrun',
      properties: { ...(job.properties.properties ?? {}), ...job.runProperties },
      tags: Object.fromEntries(job.tags),
      error: job.error ? { error: { code: job.error.code, message: job.error.message } } : null,
      warnings: [],
    };
  }

  /**
   * The id of the anonymous data asset a job output is registered as. The shape
   * (`azureml_<run>_output_data_<output>`, version 1, in the workspace's location) is modelled on what
   * the service shows for job outputs; clients only pass it back to batchGetResolvedUris.
   */
  private outputAssetId(ws: Workspace, job: string, output: string): string {
    return `azureml://locations/${ws.location}/workspaces/${ws.workspaceId}/data/azureml_${job}_output_data_${output}/versions/1`;
  }

  private datastoreUri(ws: Workspace, loc: BlobLocation): string | undefined {
    const ds = [...ws.datastores.values()].find((d) => {
      const p = d.properties as Record<string, unknown>;
      return String(p.accountName) === loc.account && String(p.containerName) === loc.container;
    });
    if (!ds) return undefined;
    return `azureml://subscriptions/${ws.subscriptionId}/resourcegroups/${ws.resourceGroup}/workspaces/${ws.name}/datastores/${String(ds.name)}/paths/${loc.path}`;
  }

  /** POST rundata: the run with its outputs as typed asset references (what `jobs.download` reads first). */
  private async runData(ctx: Ctx, ws: Workspace): Promise<Reply> {
    const body = await ctx.json<Props>((m) => new HttpError(400, { error: { code: 'UserError', message: m } }));
    const id = typeof body?.runId === 'string' ? body.runId : '';
    const job = id ? this.jobs.get(ws, id) : undefined;
    if (!job || job.hidden) throw new HttpError(404, { error: { code: 'UserError', message: `Run ${id || '(none)'} was not found.`, innerError: { code: 'NotFoundError' } } });
    const declared = (job.properties.outputs ?? {}) as Record<string, Props | null>;
    const outputs: Record<string, { assetId: string; type: string }> = {};
    for (const [name] of job.outputs) {
      const type = String(declared[name]?.jobOutputType ?? 'uri_folder');
      outputs[name] = { assetId: this.outputAssetId(ws, job.name, name), type: type === 'uri_file' ? 'UriFile' : type === 'mltable' ? 'MLTable' : type === 'uri_folder' ? 'UriFolder' : type };
    }
    return {
      status: 200,
      body: {
        runMetadata: { ...this.runDto(job), outputs },
        runDefinition: body.selectRunDefinition ? { target: this.runDto(job).target, command: job.properties.command ?? null } : null,
        jobSpecification: body.selectJobSpecification ? { ...job.properties } : null,
      },
    };
  }

  /** The dataset data plane's batchGetResolvedUris: output asset ids → long datastore URIs. */
  private async data(ctx: Ctx, ws: Workspace, tail: string): Promise<Reply> {
    if (tail !== '/dataversion/batchGetResolvedUris' || ctx.method !== 'POST') {
      throw new HttpError(404, { error: { code: 'NotFound', message: `No data endpoint ${ctx.method} ${tail} in the emulator.` } });
    }
    const body = await ctx.json<Props>((m) => new HttpError(400, { error: { code: 'UserError', message: m } }));
    const values: Record<string, { uri: string; type: string }> = {};
    for (const id of (Array.isArray(body?.values) ? body.values : []) as unknown[]) {
      const m = typeof id === 'string' ? /\/data\/azureml_(.+)_output_data_([^/]+)\/versions\/1$/.exec(id) : null;
      const job = m ? this.jobs.get(ws, m[1]) : undefined;
      const loc = job?.outputs.get(m![2]);
      const uri = loc ? this.datastoreUri(ws, loc) : undefined;
      if (uri) values[id as string] = { uri, type: 'UriFolder' };
    }
    return { status: 200, body: { values } };
  }

  private async history(ctx: Ctx, ws: Workspace, tail: string): Promise<Reply> {
    if (tail === '/rundata' && ctx.method === 'POST') return this.runData(ctx, ws);
    const m = matchPath('/runs/{id}', tail) ?? matchPath('/runs/{id}/details', tail) ?? matchPath('/runs/{id}/children', tail);
    if (!m || ctx.method !== 'GET') throw new HttpError(404, { error: { code: 'NotFound', message: `No run-history endpoint ${ctx.method} ${tail} in the emulator.` } });
    const job = this.jobs.get(ws, m.id);
    if (!job || job.hidden) throw new HttpError(404, { error: { code: 'UserError', message: `Run ${m.id} was not found.`, innerError: { code: 'NotFoundError' } } });
    if (tail.endsWith('/children')) {
      const children = job.children.map((c) => this.jobs.get(ws, c)).filter((c): c is JobRecord => Boolean(c)).map((c) => this.runDto(c));
      // Run history's PaginatedRunList: the next page's token and link, null on the last page.
      const { value, nextLink } = page(this.world.settings, ctx, children, { token: '$continuationToken' });
      const token = nextLink ? new URL(nextLink).searchParams.get('$continuationToken') : null;
      return { status: 200, body: { value, continuationToken: token, nextLink: nextLink ?? null } };
    }
    if (tail.endsWith('/details')) {
      const logFiles: Record<string, string> = {};
      for (const [name, blob] of job.logFiles) {
        logFiles[name] = this.storage.sasUrl(ws.storage.accountName, ws.storage.artifactContainer, blob, this.world.blobProxyUrl);
      }
      return {
        status: 200,
        body: {
          ...this.runDto(job),
          logFiles,
          runDefinition: { target: this.runDto(job).target, command: job.properties.command ?? null },
          services: {},
          inputDatasets: [],
          outputDatasets: [],
          revision: job.history.length,
          jobCost: null,
          statusHistory: job.history,
          workspace: workspaceArmId(ws),
        },
      };
    }
    return { status: 200, body: this.runDto(job) };
  }
}
