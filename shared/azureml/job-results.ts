// What a finished job left behind, as later steps need it: its metrics (a pipeline's steps' as
// `<step>.<metric>`, the names the train step reports) and the child job behind a pipeline step.
import { UserError } from '../platform/errors.js';
import type { ChildRun, JobClient } from './jobs.js';

/**
 * Final MLflow metrics of a job and, for a pipeline, of each step as `<step>.<metric>` (a pipeline logs
 * nothing itself). `children`: the job's child runs when the caller has them already.
 */
export async function jobMetrics(jobs: JobClient, name: string, children?: ChildRun[]): Promise<Record<string, number>> {
  const metrics = await jobs.metrics(name);
  for (const child of children ?? (await jobs.children(name))) {
    const step = child.displayName ?? child.runId;
    for (const [k, v] of Object.entries(await jobs.metrics(child.runId))) metrics[`${step}.${k}`] = v;
  }
  return metrics;
}

/** The child job that ran pipeline step `step` (by the step's name, as run history shows it). */
export async function stepJob(jobs: JobClient, pipeline: string, step: string): Promise<string> {
  const children = await jobs.children(pipeline);
  const found = children.find((c) => c.displayName === step) ?? children.find((c) => c.runId === step);
  if (found) return found.runId;
  const names = children.map((c) => c.displayName ?? c.runId);
  throw new UserError(
    names.length
      ? `Job ${pipeline} has no step '${step}' (its steps: ${names.join(', ')}).`
      : `Job ${pipeline} has no steps, so it has no output '${step}.…': name one of the job's own outputs.`,
  );
}
