import type { JobBase } from '@azure/arm-machinelearning';
import { createHash } from 'node:crypto';
import { longDatastoreUri, parseAzureMlUri } from '../../azure/references.js';
import { jobMetrics, stepJob } from '../../azureml/job-results.js';
import { modelId, ModelRegistry, type ModelVersion } from '../../azureml/models.js';
import { openWorkspaceAccess, type WorkspaceAccess } from '../../azureml/workspace.js';
import { InputError, UserError } from '../../platform/errors.js';
import type { Step, StepContext, StepOutcome } from '../../platform/step.js';
import { code, table } from '../../reports/markdown.js';
import { uploadAsset } from '../../storage/blob-engine.js';
import { registerDeclaration } from './declaration.js';
import { evaluateGates, isBetter, parseGates, parseTagSelector } from './parse.js';
import { readModelPlan, type ModelPlan, type ModelSource } from './source.js';

/** Property names this step writes on every version it registers (lineage, and what re-runs look up). */
export const LINEAGE = {
  source: 'mlops.source',
  sourceHash: 'mlops.source_hash',
  job: 'mlops.job',
  commit: 'mlops.commit',
  repository: 'mlops.repository',
  runUrl: 'mlops.run_url',
  metric: 'mlops.metric.',
} as const;

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The job-output source with a pipeline step resolved to the step's own job. */
async function resolveJobSource(session: WorkspaceAccess, source: Extract<ModelSource, { kind: 'job' }>): Promise<{ job: JobBase; uri: string; runJob: string }> {
  const job = await session.jobs.get(source.job);
  const status = String(job.properties.status);
  if (status !== 'Completed') {
    throw new UserError(
      ['Failed', 'Canceled', 'NotResponding', 'Paused'].includes(status)
        ? `Job ${source.job} ended ${status}; only a completed job's output is registered.`
        : `Job ${source.job} is still ${status}; wait for it to complete (the train step's wait: true) before registering its output.`,
    );
  }
  let owner = source.job;
  if (source.step) {
    owner = await stepJob(session.jobs, source.job, source.step);
  } else {
    const outputs = Object.keys((job.properties as { outputs?: Record<string, unknown> }).outputs ?? {});
    if (!outputs.includes(source.output)) {
      throw new UserError(`Job ${source.job} has no output '${source.output}'${outputs.length ? ` (its outputs: ${outputs.join(', ')})` : ''}.`);
    }
  }
  const sub = source.path.replace(/^\/+/, '');
  return { job, runJob: owner, uri: `azureml://jobs/${owner}/outputs/${source.output}${sub ? `/paths/${sub}` : ''}` };
}

function describeSource(source: ModelSource): string {
  if (source.kind === 'job') return `job ${source.job}, output ${source.step ? `${source.step}.` : ''}${source.output}${source.path ? `, path ${source.path}` : ''}`;
  if (source.kind === 'datastore') return source.uri;
  return `${source.display} (local, ${source.asset.files.length} file${source.asset.files.length === 1 ? '' : 's'})`;
}

async function championValue(session: WorkspaceAccess, champion: ModelVersion, metric: string): Promise<number | undefined> {
  const props = champion.properties.properties ?? {};
  for (const key of [`${LINEAGE.metric}${metric}`, metric]) {
    const v = props[key];
    if (v !== undefined && v !== null && v !== '' && !Number.isNaN(Number(v))) return Number(v);
  }
  // Not recorded on the version: the metric its training job logged, if it names one.
  const job = champion.properties.jobName ?? props[LINEAGE.job] ?? undefined;
  if (job) {
    const metrics = await jobMetrics(session.jobs, job).catch(() => ({}) as Record<string, number>);
    if (metrics[metric] !== undefined) return metrics[metric];
  }
  return undefined;
}

async function register(context: StepContext): Promise<StepOutcome> {
  const { platform, inputs, signal } = context;
  // Everything the user wrote is read and checked before signing in: a mistake sends nothing.
  const plan: ModelPlan = await readModelPlan(platform, inputs);
  const gates = parseGates(inputs.string('gates'));
  const compareMetric = inputs.string('compare-metric');
  const championTag = parseTagSelector(inputs.string('champion-tag'), 'champion-tag');
  if (plan.source.kind !== 'job') {
    const needsJob = gates.length ? 'gates' : compareMetric ? 'compare-metric' : championTag ? 'champion-tag' : undefined;
    if (needsJob) throw new InputError(needsJob, `reads the job's metrics, but the model's source (${describeSource(plan.source)}) is no job output: set '${platform.nameOf('job-name')}' and '${platform.nameOf('output-name')}'.`);
  }
  if (championTag && !compareMetric) throw new InputError('champion-tag', `chooses the champion to compare with, but '${platform.nameOf('compare-metric')}' names no metric.`);

  const session = await openWorkspaceAccess(context);
  const registry = new ModelRegistry(session.arm, session.ws);
  const { name } = plan;
  platform.setOutput('model-name', name);

  // Where the files are, as the service is given them, and the key that identifies this source.
  let modelUri: string;
  let sourceKey: string;
  let runJob: string | undefined;
  const source = plan.source;
  if (source.kind === 'job') {
    const resolved = await resolveJobSource(session, source);
    modelUri = resolved.uri;
    sourceKey = resolved.uri;
    runJob = resolved.runJob;
  } else if (source.kind === 'datastore') {
    const uri = parseAzureMlUri(source.uri);
    if (uri.kind !== 'datastore') throw new Error('unreachable');
    modelUri = longDatastoreUri(uri.workspace ?? session.ws, uri.datastore, uri.path);
    sourceKey = modelUri;
  } else {
    modelUri = ''; // known after the upload
    sourceKey = source.asset.assetPath;
  }
  const sourceHash = sha(sourceKey);

  const finish = async (version: ModelVersion | string, registered: boolean, summary: string, message: string): Promise<StepOutcome> => {
    const v = typeof version === 'string' ? version : version.name!;
    platform.setOutput('model-version', v);
    platform.setOutput('model-id', modelId(name, v));
    platform.setOutput('registered', String(registered));
    await platform.appendSummary(summary);
    return { status: 'succeeded', message };
  };

  // The same source registered before under this name: report it, register nothing.
  const earlier = (await registry.withProperty(name, LINEAGE.sourceHash, sourceHash)).find((v) => v.properties.properties?.[LINEAGE.source] === sourceKey);
  if (earlier) {
    const id = modelId(name, earlier.name!);
    return finish(
      earlier,
      false,
      `### ♻️ Model ${code(id)} already registered\n\nSource: ${describeSource(source)}. Nothing registered.\n`,
      `${id} is already registered from this source (${describeSource(source)}); nothing registered.`,
    );
  }
  if (plan.version && (await registry.version(name, plan.version))) {
    throw new UserError(`Model ${name} already has a version ${plan.version}, registered from another source; leave '${platform.nameOf('version')}' empty to take the next version, or choose another.`);
  }

  // Gates and the champion, on the job's metrics.
  let metrics: Record<string, number> = {};
  const lines: string[] = [];
  if (source.kind === 'job') {
    metrics = await jobMetrics(session.jobs, source.job);
    const { results, missing } = evaluateGates(gates, metrics);
    if (missing.length) {
      const logged = Object.keys(metrics);
      throw new InputError(
        'gates',
        `names ${missing.map((m) => `'${m}'`).join(', ')}, which job ${source.job} did not log (${logged.length ? `it logged ${logged.join(', ')}` : 'it logged no metrics'}).`,
      );
    }
    if (results.length) {
      lines.push(table(['Gate', 'Value', 'Result'], results.map((r) => [code(r.text), String(r.value), r.passed ? '✅ passed' : '❌ failed'])), '');
    }
    const failed = results.filter((r) => !r.passed);
    if (failed.length) {
      const why = failed.map((r) => `${r.metric} is ${r.value} (needs ${r.text})`).join('; ');
      platform.setOutput('registered', 'false');
      await platform.appendSummary([`### ⛔ Model ${code(name)} not registered: a gate failed`, '', ...lines].join('\n'));
      if (inputs.choice('on-gate-fail') === 'skip') {
        return { status: 'succeeded', message: `A gate failed, so nothing was registered (on-gate-fail: skip): ${why}.` };
      }
      return { status: 'failed', message: `A gate failed, so nothing was registered: ${why}.` };
    }
    if (compareMetric) {
      const challenger = metrics[compareMetric];
      if (challenger === undefined) {
        throw new InputError('compare-metric', `is '${compareMetric}', which job ${source.job} did not log (${Object.keys(metrics).join(', ') || 'it logged no metrics'}).`);
      }
      const champion = championTag ? await registry.newestWithTag(name, championTag.key, championTag.value) : await registry.latest(name);
      if (!champion) {
        platform.info(`No champion to compare with (${championTag ? `no version of ${name} is tagged ${championTag.key}${championTag.value === undefined ? '' : `=${championTag.value}`}` : `${name} has no versions yet`}).`);
      } else {
        const championId = modelId(name, champion.name!);
        const value = await championValue(session, champion, compareMetric);
        if (value === undefined) {
          platform.warning(`Champion ${championId} has no recorded ${compareMetric}; registering the challenger.`);
        } else {
          const better = isBetter(challenger, value, inputs.boolean('higher-is-better'));
          lines.push(table(['', compareMetric], [[`champion ${code(championId)}`, String(value)], ['challenger', String(challenger)]]), '');
          if (!better) {
            return finish(
              champion,
              false,
              [`### 🏆 Champion ${code(championId)} stays`, '', ...lines, `The challenger's ${compareMetric} ${challenger} is not better than ${value}; nothing registered.`, ''].join('\n'),
              `Not registered: the challenger's ${compareMetric} ${challenger} is not better than champion ${championId}'s ${value}.`,
            );
          }
          platform.info(`The challenger's ${compareMetric} ${challenger} beats champion ${championId}'s ${value}.`);
        }
      }
    }
  }

  const version = plan.version ?? (await registry.nextVersion(name));
  if (source.kind === 'local') {
    const store = await session.datastores.default(session.ws);
    const result = await uploadAsset(store.container, source.asset, { name, version }, { signal });
    platform.info(result.uploaded ? `Uploaded ${source.display}: ${source.asset.files.length} files, ${source.asset.totalBytes} bytes.` : `${source.display} is unchanged since an earlier upload: nothing uploaded.`);
    modelUri = longDatastoreUri(session.ws, store.name, source.asset.assetPath);
  }

  const provenance = platform.provenance();
  const lineage: Record<string, string> = { [LINEAGE.source]: sourceKey, [LINEAGE.sourceHash]: sourceHash };
  if (runJob) lineage[LINEAGE.job] = runJob;
  if (provenance.commit) lineage[LINEAGE.commit] = provenance.commit;
  if (provenance.repository) lineage[LINEAGE.repository] = provenance.repository;
  if (provenance.runUrl) lineage[LINEAGE.runUrl] = provenance.runUrl;
  for (const [k, v] of Object.entries(metrics)) lineage[`${LINEAGE.metric}${k}`] = String(v);

  const created = await registry.create(name, version, {
    modelUri,
    modelType: plan.type,
    description: plan.description,
    tags: plan.tags,
    properties: { ...plan.properties, ...lineage },
    ...(plan.flavors ? { flavors: plan.flavors as never } : {}),
    ...(runJob ? { jobName: runJob } : {}),
    isAnonymous: false,
  });
  const id = modelId(name, created.name ?? version);
  return finish(
    created.name ?? version,
    true,
    [`### ✅ Registered model ${code(id)}`, '', `Source: ${describeSource(source)}`, '', ...lines].join('\n'),
    `Registered ${id} from ${describeSource(source)}.`,
  );
}

export const registerStep: Step = { declaration: registerDeclaration, run: register };
