import type { JobBase } from '@azure/arm-machinelearning';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CancelledError, InputError } from '../../platform/errors.js';
import type { Platform } from '../../platform/platform.js';
import { jobBody } from '../../azureml/job-body.js';
import { JobFile } from '../../azureml/job-yaml.js';
import { logsToStream, pollInterval, TERMINAL, type ChildRun, type JobClient } from '../../azureml/jobs.js';
import { AzureResolver } from '../../azureml/resolver.js';
import { openWorkspace } from '../../azureml/session.js';
import { code, table } from '../../reports/markdown.js';
import type { Step, StepContext, StepOutcome } from '../../platform/step.js';
import { trainDeclaration } from './declaration.js';

/** Lines of the job's log kept for the failure message. */
const TAIL_LINES = 20;

async function train(context: StepContext): Promise<StepOutcome> {
  const { platform, inputs, signal } = context;
  const attach = inputs.string('job-name');
  const jobFileInput = inputs.path('job-file');
  if (!attach && !jobFileInput) throw new InputError('job-file', `is required unless '${platform.nameOf('job-name')}' attaches to an existing job.`);
  if (attach && jobFileInput) platform.info(`Attaching to job ${attach}: '${platform.nameOf('job-file')}' is not submitted.`);
  // Read and check the YAML (and its overrides) before signing in: a mistake changes nothing remote.
  let file: JobFile | undefined;
  if (!attach) {
    file = JobFile.load(path.resolve(platform.workspace, jobFileInput!), jobFileInput!);
    for (const line of inputs.lines('set')) file.applySet(line);
  }
  const session = await openWorkspace(context);
  const { jobs } = session;

  let name: string;
  let job: JobBase;
  if (file) {
    const resolver = new AzureResolver(session.ml, session.ws, session.datastores, file, signal);
    const body = await jobBody(file, resolver, {
      experimentName: inputs.string('experiment-name'),
      displayName: inputs.string('display-name'),
      compute: inputs.string('compute'),
    });
    for (const u of resolver.uploads) {
      platform.info(u.uploaded ? `Uploaded ${u.what} ${u.source}: ${u.files} files, ${formatBytes(u.bytes)}.` : `${capitalise(u.what)} ${u.source} is unchanged since an earlier upload: nothing uploaded.`);
    }
    name = body.name ?? generatedName();
    job = await jobs.submit(name, body.body);
    platform.info(`Submitted ${body.type} job ${name} to workspace ${session.ws.workspace}.`);
  } else {
    name = attach!;
    job = await jobs.get(name);
    platform.info(`Attached to job ${name} (${job.properties.status}).`);
  }
  const studio = studioUrl(job);
  platform.setOutput('job-name', name);
  if (studio) platform.setOutput('studio-url', studio);

  if (!inputs.boolean('wait')) {
    platform.setOutput('status', String(job.properties.status ?? 'NotStarted'));
    platform.setOutput('metrics', '{}');
    platform.setOutput('outputs', JSON.stringify(outputUris(name, job)));
    await platform.appendSummary(`### ⏳ Azure ML job ${code(name)} submitted\n\n${studio ? `[Open in studio](${studio}) · ` : ''}Not waited for (wait: false); attach later with \`job-name: ${name}\`.\n`);
    return { status: 'succeeded', message: `Job ${name} submitted; not waiting for it.` };
  }

  const timeoutMinutes = inputs.integer('timeout');
  const result = await waitForJob(platform, jobs, name, {
    signal,
    streamLogs: inputs.boolean('stream-logs'),
    timeoutMs: timeoutMinutes ? timeoutMinutes * 60_000 : undefined,
    cancelOnAbort: inputs.boolean('cancel-on-abort'),
  });
  const status = result.status;
  let metrics: Record<string, number> = {};
  try {
    metrics = await jobs.metrics(name);
    // A pipeline logs nothing itself; its steps' metrics are reported as <step>.<metric>.
    for (const child of result.children) {
      const stepName = child.displayName ?? child.runId;
      for (const [k, v] of Object.entries(await jobs.metrics(child.runId))) metrics[`${stepName}.${k}`] = v;
    }
  } catch (error) {
    platform.warning(`Could not read the job's metrics: ${(error as Error).message}`);
  }
  const finalJob = await jobs.get(name);
  platform.setOutput('status', status);
  platform.setOutput('metrics', JSON.stringify(metrics));
  platform.setOutput('outputs', JSON.stringify(outputUris(name, finalJob)));
  await platform.appendSummary(summary(name, status, result.seconds, studio, metrics, result.children));

  if (result.timedOut) {
    return { status: 'failed', message: `Job ${name} did not finish within ${timeoutMinutes} minutes; it was cancelled.` };
  }
  if (status !== 'Completed') {
    const error = result.error ? ` ${result.error}` : '';
    // The service's error often quotes the log already; add the log's last lines only when it does not.
    const last = result.tail[result.tail.length - 1];
    const tail = result.tail.length && !(last && result.error?.includes(last)) ? `\nLast lines of its log:\n${result.tail.join('\n')}` : '';
    return { status: 'failed', message: `Job ${name} ended ${status}.${error}${tail}` };
  }
  const shown = Object.entries(metrics).map(([k, v]) => `${k}=${v}`).join(', ');
  return { status: 'succeeded', message: `Job ${name} completed in ${formatSeconds(result.seconds)}${shown ? `: ${shown}` : ''}.` };
}

interface WaitResult {
  status: string;
  seconds: number;
  timedOut: boolean;
  error?: string;
  tail: string[];
  children: ChildRun[];
}

/**
 * Polls the job (quickly at first, then backing off toward a minute, honouring Retry-After), prints
 * status changes with elapsed time, streams new log lines, and follows a pipeline's children. On
 * cancellation it cancels the remote job first; on timeout it cancels and reports.
 */
async function waitForJob(
  platform: Platform,
  jobs: JobClient,
  name: string,
  options: { signal: AbortSignal; streamLogs: boolean; timeoutMs?: number; cancelOnAbort: boolean },
): Promise<WaitResult> {
  const started = Date.now();
  const offsets = new Map<string, number>();
  const tail: string[] = [];
  let lastStatus = '';
  let children: ChildRun[] = [];
  const childStatus = new Map<string, string>();
  let retryAfter = 0;
  let polls = 0;
  const elapsed = () => (Date.now() - started) / 1000;

  const stream = async () => {
    if (!options.streamLogs) return;
    let details;
    try {
      details = await jobs.details(name);
    } catch (error) {
      platform.debug(`Run details not available yet: ${(error as Error).message}`);
      return;
    }
    for (const [file, url] of logsToStream(details.logFiles ?? {})) {
      const from = offsets.get(file) ?? 0;
      const response = await fetch(url, { headers: { Range: `bytes=${from}-` } });
      if (response.status === 416 || !response.ok) continue;
      const text = await response.text();
      // Only complete lines: a partly written last line waits for the next poll.
      const end = text.lastIndexOf('\n') + 1;
      if (end === 0) continue;
      offsets.set(file, from + Buffer.byteLength(text.slice(0, end)));
      const lines = text.slice(0, end).replace(/\n$/, '').split('\n');
      platform.startGroup(`${file} (+${lines.length} lines)`);
      platform.beginToolOutput();
      for (const line of lines) platform.writeToolOutput(line, 'stdout');
      platform.endToolOutput();
      platform.endGroup();
      tail.push(...lines);
      tail.splice(0, Math.max(0, tail.length - TAIL_LINES));
    }
  };

  try {
    for (;;) {
      if (options.signal.aborted) throw new CancelledError(String(options.signal.reason));
      const job = await jobs.get(name, (s) => (retryAfter = s));
      const status = String(job.properties.status ?? 'Unknown');
      if (status !== lastStatus) {
        platform.info(`[${formatSeconds(elapsed())}] ${name}: ${status}`);
        lastStatus = status;
      }
      if (job.properties.jobType === 'Pipeline' || job.properties.jobType === 'Sweep') {
        try {
          children = await jobs.children(name);
          for (const child of children) {
            if (childStatus.get(child.runId) !== child.status) {
              childStatus.set(child.runId, String(child.status));
              platform.info(`[${formatSeconds(elapsed())}]   ${child.displayName ?? child.runId}: ${child.status}`);
            }
          }
        } catch (error) {
          platform.debug(`Child runs not available: ${(error as Error).message}`);
        }
      }
      await stream();
      if (TERMINAL.includes(status)) {
        let error: string | undefined;
        if (status !== 'Completed') {
          try {
            const e = (await jobs.details(name)).error?.error;
            if (e?.message) error = `${e.code ? `${e.code}: ` : ''}${e.message}`;
          } catch {
            /* the status says enough */
          }
        }
        return { status, seconds: elapsed(), timedOut: false, error, tail, children };
      }
      if (options.timeoutMs !== undefined && Date.now() - started >= options.timeoutMs) {
        platform.warning(`Job ${name} is still ${status} after ${formatSeconds(elapsed())}; cancelling it.`);
        await jobs.cancel(name);
        return { status: 'Canceled', seconds: elapsed(), timedOut: true, tail, children };
      }
      const waitMs = Math.max(pollInterval(polls++), retryAfter) * 1000;
      retryAfter = 0;
      await sleep(Math.min(waitMs, options.timeoutMs !== undefined ? Math.max(options.timeoutMs - (Date.now() - started), 0) + 10 : waitMs), options.signal);
    }
  } catch (error) {
    if (error instanceof CancelledError && options.cancelOnAbort) {
      platform.warning(`Cancelling Azure ML job ${name} because this run was cancelled.`);
      await jobs.cancel(name).catch((e: Error) => platform.warning(`Could not cancel job ${name}: ${e.message}`));
    }
    throw error;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function generatedName(): string {
  return `mlops_${randomBytes(5).toString('hex')}`;
}

function studioUrl(job: JobBase): string | undefined {
  const services = job.properties.services as Record<string, { endpoint?: string }> | undefined;
  return services?.Studio?.endpoint;
}

function outputUris(name: string, job: JobBase): Record<string, string> {
  const outputs = (job.properties as { outputs?: Record<string, unknown> }).outputs ?? {};
  return Object.fromEntries(Object.keys(outputs).map((o) => [o, `azureml://jobs/${name}/outputs/${o}`]));
}

function summary(name: string, status: string, seconds: number, studio: string | undefined, metrics: Record<string, number>, children: ChildRun[]): string {
  const icon = status === 'Completed' ? '✅' : '❌';
  const parts = [`### ${icon} Azure ML job ${code(name)}: ${status}`, '', `Duration: ${formatSeconds(seconds)}${studio ? ` · [Open in studio](${studio})` : ''}`, ''];
  if (Object.keys(metrics).length) parts.push(table(['Metric', 'Value'], Object.entries(metrics).map(([k, v]) => [code(k), String(v)])), '');
  if (children.length) parts.push(table(['Step', 'Status'], children.map((c) => [c.displayName ?? c.runId, String(c.status)])), '');
  return parts.join('\n');
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const trainStep: Step = { declaration: trainDeclaration, run: train };
