// Waiting for an Azure ML job: polls its status (quickly at first, then backing off toward a minute,
// honouring Retry-After), prints status changes with elapsed time, streams new log lines, follows a
// pipeline's or sweep's children, cancels on abort and timeout.
import { loggableText } from '../azure/clients.js';
import { CancelledError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';
import { logsToStream, pollInterval, TERMINAL, type ChildRun, type JobClient } from './jobs.js';

/** Lines of the job's log kept for the failure message. */
const TAIL_LINES = 20;

export interface WaitResult {
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

  // Streaming is a courtesy: a failure to read the logs goes to the debug log and never fails the
  // step (the job's own status decides that); the next poll tries again.
  const stream = async () => {
    if (!options.streamLogs) return;
    try {
      const details = await jobs.details(name);
      for (const [file, url] of logsToStream(details.logFiles ?? {})) {
        const from = offsets.get(file) ?? 0;
        const text = await jobs.readLog(url, from, options.signal);
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
    } catch (error) {
      platform.debug(`Could not read the job's logs this time (will try again): ${loggableText((error as Error).message)}`);
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

export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

