// Waiting for an Azure ML job: polls its status (quickly at first, then backing off toward a minute,
// honouring Retry-After), prints status changes with elapsed time, streams new log lines, follows a
// pipeline's or sweep's children, cancels on abort and timeout.
import { loggableText } from '../azure/clients.js';
import { sleep } from '../platform/cancellation.js';
import { CancelledError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';
import { logsToStream, pollInterval, TERMINAL, type ChildRun, type JobClient } from './jobs.js';

/** Lines of the job's log kept for the failure message. */
const TAIL_LINES = 20;
/** Failed trials of a pipeline's sweep step named in the failure message. */
const MAX_TRIALS_REPORTED = 3;

export interface FailedStep {
  /** The step's name in the pipeline (its display name), or the trial's run id. */
  name: string;
  /** For a trial of a pipeline's sweep step: that step's name. */
  trialOf?: string;
  runId: string;
  status: string;
  error?: string;
  tail: string[];
  /** Failed trials of the same sweep step left out of the report. */
  more?: number;
}

export interface WaitResult {
  status: string;
  seconds: number;
  timedOut: boolean;
  error?: string;
  tail: string[];
  children: ChildRun[];
  /** A pipeline's steps or a sweep's trials that did not complete, with their own error and log tail. */
  failedSteps: FailedStep[];
}

/**
 * Polls the job (quickly at first, then backing off toward a minute, honouring Retry-After), prints
 * status changes with elapsed time, streams new log lines, and follows a pipeline's children. On
 * cancellation it cancels the remote job first; on timeout it cancels and reports.
 */
export async function waitForJob(
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

  const childTails = new Map<string, string[]>();
  /** New complete lines of one run's logs, each file in its own collapsible group. */
  const streamRun = async (runId: string, label: string | undefined, into: string[], print = options.streamLogs) => {
    const details = await jobs.details(runId);
    for (const [file, url] of logsToStream(details.logFiles ?? {})) {
      const key = `${runId}/${file}`;
      const from = offsets.get(key) ?? 0;
      const text = await jobs.readLog(url, from, options.signal);
      // Only complete lines: a partly written last line waits for the next poll.
      const end = text.lastIndexOf('\n') + 1;
      if (end === 0) continue;
      offsets.set(key, from + Buffer.byteLength(text.slice(0, end)));
      const lines = text.slice(0, end).replace(/\n$/, '').split('\n');
      if (print) {
        platform.startGroup(`${label ? `${label}: ` : ''}${file} (+${lines.length} lines)`);
        platform.beginToolOutput();
        for (const line of lines) platform.writeToolOutput(line, 'stdout');
        platform.endToolOutput();
        platform.endGroup();
      }
      into.push(...lines);
      into.splice(0, Math.max(0, into.length - TAIL_LINES));
    }
  };
  // Streaming is a courtesy: a failure to read the logs goes to the debug log and never fails the
  // step (the job's own status decides that); the next poll tries again. A pipeline's steps (and a
  // sweep's trials) are read too, each under its own name, once they have started.
  const stream = async () => {
    try {
      if (options.streamLogs) await streamRun(name, undefined, tail);
      for (const child of children) {
        if (!child.status || ['NotStarted', 'Queued'].includes(child.status)) continue;
        if (!childTails.has(child.runId)) childTails.set(child.runId, []);
        await streamRun(child.runId, child.displayName ?? child.runId, childTails.get(child.runId)!);
      }
    } catch (error) {
      platform.debug(`Could not read the job's logs this time (will try again): ${loggableText((error as Error).message)}`);
    }
  };
  const errorOf = async (runId: string): Promise<string | undefined> => {
    try {
      const e = (await jobs.details(runId)).error?.error;
      return e?.message ? `${e.code ? `${e.code}: ` : ''}${e.message}` : undefined;
    } catch {
      return undefined; // its status says enough
    }
  };
  const isFailed = (c: ChildRun) => c.status === 'Failed' || c.status === 'NotResponding';
  /**
   * A pipeline's failed steps with their error and log tail; for a failed sweep step also its failed
   * trials (the first few, the first with its log tail), since the sweep's own error names none.
   */
  const failedSteps = async (): Promise<FailedStep[]> => {
    const failed: FailedStep[] = [];
    for (const child of children.filter(isFailed)) {
      const stepName = child.displayName ?? child.runId;
      failed.push({ name: stepName, runId: child.runId, status: String(child.status), error: await errorOf(child.runId), tail: childTails.get(child.runId) ?? [] });
      if (jobType.jobType !== 'Pipeline') continue;
      let trials: ChildRun[] = [];
      try {
        trials = (await jobs.children(child.runId)).filter(isFailed);
      } catch {
        /* a step without children, or none readable: the step's own error stands */
      }
      for (const [i, trial] of trials.slice(0, MAX_TRIALS_REPORTED).entries()) {
        const tail: string[] = [];
        if (i === 0) await streamRun(trial.runId, undefined, tail, false).catch(() => undefined);
        failed.push({ name: trial.displayName ?? trial.runId, trialOf: stepName, runId: trial.runId, status: String(trial.status), error: await errorOf(trial.runId), tail });
      }
      if (trials.length > MAX_TRIALS_REPORTED) failed[failed.length - 1].more = trials.length - MAX_TRIALS_REPORTED;
    }
    return failed;
  };
  const jobType: { jobType?: string } = {};

  try {
    for (;;) {
      if (options.signal.aborted) throw new CancelledError(String(options.signal.reason));
      const job = await jobs.get(name, (s) => (retryAfter = s));
      const status = String(job.properties.status ?? 'Unknown');
      jobType.jobType = String(job.properties.jobType ?? '');
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
        // The children's last state (a step that failed between two polls) before reporting them.
        if (children.length && status !== 'Completed') {
          try {
            children = await jobs.children(name);
            await stream();
          } catch {
            /* what we have is reported */
          }
        }
        return { status, seconds: elapsed(), timedOut: false, error, tail, children, failedSteps: status === 'Completed' ? [] : await failedSteps() };
      }
      if (options.timeoutMs !== undefined && Date.now() - started >= options.timeoutMs) {
        platform.warning(`Job ${name} is still ${status} after ${formatSeconds(elapsed())}; cancelling it.`);
        await jobs.cancel(name);
        return { status: 'Canceled', seconds: elapsed(), timedOut: true, tail, children, failedSteps: [] };
      }
      const waitMs = Math.max(pollInterval(polls++), retryAfter) * 1000;
      retryAfter = 0;
      await sleep(Math.min(waitMs, options.timeoutMs !== undefined ? Math.max(options.timeoutMs - (Date.now() - started), 0) + 10 : waitMs), options.signal);
    }
  } catch (error) {
    // Whatever ends the wait early (the run cancelled, the service unreachable past every retry) leaves
    // no job running unwatched when cancel-on-abort is on.
    if (options.cancelOnAbort) {
      const why = error instanceof CancelledError ? 'this run was cancelled.' : `waiting for it failed: ${(error as Error).message}`;
      platform.warning(`Cancelling Azure ML job ${name} because ${why}`);
      await jobs.cancel(name).catch((e: Error) => platform.warning(`Could not cancel job ${name}: ${e.message}`));
    }
    throw error;
  }
}


export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

