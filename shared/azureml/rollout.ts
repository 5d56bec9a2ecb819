// Blue-green rollout of one deployment on an online endpoint, with rollback. The new deployment is
// created at 0 % traffic (the endpoint's traffic is not touched while it provisions), optionally
// smoke-tested through the azureml-model-deployment header, then given its traffic in steps. If anything
// fails — provisioning (init() crashing included), the smoke test, a traffic change, a timeout, the run
// being cancelled — the endpoint's traffic is put back exactly as it was, the failed deployment's log
// tail is printed (getLogs) and the deployment is deleted unless asked to keep it. After a cancel all of
// this has to fit in the grace period the runner or agent gives before it kills the step.
import { AzureError } from '../azure/errors.js';
import { sleep } from '../platform/cancellation.js';
import { CancelledError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';
import { formatTraffic, liveTraffic, sameTraffic, type EndpointClient, type EndpointResource, type Traffic } from './endpoints.js';
import type { OperationTimeout } from './operations.js';
import { ScoringClient } from './scoring.js';
import { printLogTail, reportFailures, runCases, oneLine, type CaseResult, type SmokeCase, type SmokeChecks } from './smoke.js';
import { trafficWith } from './traffic.js';
import type { RequestStats } from '../azure/clients.js';

export interface RolloutOptions {
  endpoint: EndpointResource;
  deployment: string;
  body: Record<string, unknown>;
  /** The traffic steps for the new deployment (e.g. [10, 50, 100]; [0] moves none). */
  steps: number[];
  intervalSeconds: number;
  deletePrevious: boolean;
  keepFailed: boolean;
  timeout?: OperationTimeout;
  logLines: number;
  smoke?: { cases: SmokeCase[]; checks: SmokeChecks };
  signal: AbortSignal;
}

export interface RolloutResult {
  status: 'succeeded' | 'failed';
  /** The endpoint's traffic when the step ends. */
  traffic: Traffic;
  before: Traffic;
  /** Why it failed: the service's error (code, message, correlation id), the smoke failures, … */
  error?: string;
  /** The failed deployment's log tail, when read. */
  logTail?: string;
  smoke?: CaseResult[];
  deleted: string[];
  /** What happened to the failed deployment ('deleting': the service accepted the DELETE, not yet finished). */
  failedDeployment?: 'deleted' | 'deleting' | 'kept' | 'left';
}

/**
 * How long rollback may take once the run has been cancelled: the GitHub runner sends SIGTERM 7.5 s after
 * SIGINT and kills the process 2.5 s later; the Azure DevOps agent allows a similar grace period.
 */
const ROLLBACK_AFTER_CANCEL_MS = 8_000;
/** Rollback otherwise (an operation that never ends must not keep the step forever). */
const ROLLBACK_MS = 15 * 60_000;

export async function rollout(platform: Platform, endpoints: EndpointClient, stats: RequestStats, options: RolloutOptions): Promise<RolloutResult> {
  const endpointName = options.endpoint.name;
  const before: Traffic = { ...(options.endpoint.properties.traffic ?? {}) };
  const d = options.deployment;
  let trafficTouched = false;
  let created = false;
  let smokeResults: CaseResult[] | undefined;
  const deleted: string[] = [];
  platform.info(`Traffic of endpoint ${endpointName} before: ${formatTraffic(before)}.`);
  // The grace period after a cancel counts from the signal, not from when the rollback gets to run.
  let cancelledAt: number | undefined = options.signal.aborted ? Date.now() : undefined;
  const noteCancel = () => (cancelledAt ??= Date.now());
  options.signal.addEventListener('abort', noteCancel, { once: true });
  try {
    try {
      // 1. The new deployment, at 0 % traffic: the endpoint's traffic is not part of this PUT.
      created = true;
      await endpoints.putDeployment(endpointName, d, { location: options.endpoint.location, ...options.body }, `Creating deployment ${d} of endpoint ${endpointName}`, options.signal, options.timeout);

      // 2. Smoke test through the header, before any user request can reach it.
      if (options.smoke) {
        const client = new ScoringClient(platform, stats, options.endpoint.properties.scoringUri!, await endpoints.scoringAuth(options.endpoint));
        platform.info(`Smoke-testing deployment ${d} (azureml-model-deployment: ${d}) with ${options.smoke.cases.length} request file${options.smoke.cases.length === 1 ? '' : 's'}.`);
        smokeResults = await runCases(client, options.smoke.cases, options.smoke.checks, { deployment: d, signal: options.signal });
        const failed = smokeResults.filter((r) => r.failures.length);
        if (failed.length) {
          await reportFailures(platform, endpoints, endpointName, smokeResults, { target: `deployment ${d}`, deployment: d, logLines: 0 });
          throw new SmokeFailure(`the smoke test of deployment ${d} failed: ${failed.map((r) => `${r.smoke.name}: ${r.failures.map(oneLine).join('; ')}`).join('; ')}`);
        }
        platform.info(`Smoke test of deployment ${d} passed.`);
      }

      // 3. Traffic, step by step.
      let traffic = before;
      const steps = options.steps.filter((p) => p > 0);
      if (steps.length && Object.values(liveTraffic(before)).length === 0 && steps[0] < 100) {
        platform.info(`Endpoint ${endpointName} served no traffic before: deployment ${d} takes all of it at once.`);
      }
      for (let i = 0; i < steps.length; i++) {
        const next = trafficWith(before, d, steps[i]);
        if (sameTraffic(next, traffic) && i > 0) continue;
        trafficTouched = true;
        const updated = await endpoints.setTraffic(endpointName, next, options.signal, { timeout: options.timeout, what: `Traffic of endpoint ${endpointName} → ${formatTraffic(next)}` });
        traffic = updated.properties.traffic ?? next;
        if (i < steps.length - 1 && options.intervalSeconds > 0) {
          platform.info(`Waiting ${options.intervalSeconds} s before the next traffic step.`);
          await sleep(options.intervalSeconds * 1000, options.signal);
          if (options.signal.aborted) throw new CancelledError(String(options.signal.reason));
        }
      }

      // 4. The deployments that served before, once the new one serves everything.
      if (options.deletePrevious) {
        const previous = Object.entries(before).filter(([n, w]) => w > 0 && n.toLowerCase() !== d.toLowerCase()).map(([n]) => n);
        if ((traffic[d] ?? 0) < 100) {
          if (previous.length) platform.warning(`Not deleting ${previous.join(', ')}: deployment ${d} has ${traffic[d] ?? 0} % of the traffic, not 100 %.`);
        } else {
          for (const p of previous) {
            try {
              await endpoints.deleteDeployment(endpointName, p, options.signal);
              deleted.push(p);
            } catch (error) {
              platform.warning(`Could not delete the previous deployment ${p}: ${describe(error)}`);
            }
          }
        }
      }
      return { status: 'succeeded', traffic, before, smoke: smokeResults, deleted };
    } catch (error) {
      const cancelled = error instanceof CancelledError || options.signal.aborted;
      const why = cancelled ? 'the run was cancelled' : describe(error);
      platform.warning(`Rolling back: ${why}${cancelled ? ` (the clean-up has ${ROLLBACK_AFTER_CANCEL_MS / 1000} s, the grace period the runner or agent gives after a cancel)` : ''}.`);
      // Rollback does not obey the cancelled signal: it has its own deadline, shortened to the grace period
      // once the run is cancelled (also when the cancel arrives during a rollback after a failure).
      const budget = rollbackBudget(options.signal, () => cancelledAt);
      try {
        let traffic = before;
        if (trafficTouched) traffic = await restoreTraffic(platform, endpoints, endpointName, before, budget.signal);
        let logTail: string | undefined;
        let failedDeployment: RolloutResult['failedDeployment'];
        // A PUT the service refused outright created nothing; after a cancel the PUT may not have arrived.
        const exists = created && (await endpoints.getDeployment(endpointName, d, budget.signal).then((x) => x !== undefined, () => cancelled));
        if (!cancelled && exists && options.logLines > 0) {
          logTail = await printLogTail(platform, endpoints, endpointName, d, options.logLines);
        }
        if (exists) {
          const command = `az ml online-deployment delete -e ${endpointName} -n ${d} --yes`;
          const share = Object.entries(traffic).find(([n, w]) => w > 0 && n.toLowerCase() === d.toLowerCase())?.[1];
          if (options.keepFailed) {
            failedDeployment = 'kept';
            platform.info(`Keeping deployment ${d} at 0 % traffic (keep-failed).`);
          } else if (share) {
            failedDeployment = 'left';
            platform.warning(`Deployment ${d} was left in place: it still has ${share} % of the traffic, so it cannot be deleted. Once the traffic is restored, delete it with: ${command}`);
          } else {
            failedDeployment = await deleteCreated(platform, endpoints, endpointName, d, budget.signal, cancelled);
          }
        }
        if (options.signal.aborted) throw error instanceof CancelledError ? error : new CancelledError(String(options.signal.reason));
        return { status: 'failed', traffic, before, error: why, logTail, smoke: smokeResults, deleted, failedDeployment };
      } finally {
        budget.dispose();
      }
    }
  } finally {
    options.signal.removeEventListener('abort', noteCancel);
  }
}

/**
 * The rollback's own signal: aborted ROLLBACK_MS after it starts, or ROLLBACK_AFTER_CANCEL_MS after the
 * run was cancelled, whichever comes first.
 */
function rollbackBudget(cancel: AbortSignal, cancelledAt: () => number | undefined): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (ms: number, reason: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(reason), Math.max(ms, 0));
  };
  const onCancel = () => arm((cancelledAt() ?? Date.now()) + ROLLBACK_AFTER_CANCEL_MS - Date.now(), `the ${ROLLBACK_AFTER_CANCEL_MS / 1000} s after the cancel ran out`);
  if (cancel.aborted) onCancel();
  else {
    arm(ROLLBACK_MS, `the rollback took longer than ${ROLLBACK_MS / 60_000} minutes`);
    cancel.addEventListener('abort', onCancel, { once: true });
  }
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      cancel.removeEventListener('abort', onCancel);
    },
  };
}

/**
 * Runs `action`, and again while the service refuses it with 409 because another operation on the endpoint
 * is still running (the deployment still being created after a timeout, an interrupted traffic change).
 */
async function whenFree<T>(action: () => Promise<T>, signal: AbortSignal, onWait: () => void): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof AzureError && error.status === 409) || signal.aborted) throw error;
      if (n === 0) onWait();
      await sleep(Math.min(500 * 1.5 ** n, 5000), signal);
      if (signal.aborted) throw new CancelledError(String(signal.reason));
    }
  }
}

/** Deletes the deployment this run created, within `signal`'s budget, and says what became of it. */
async function deleteCreated(platform: Platform, endpoints: EndpointClient, endpointName: string, d: string, signal: AbortSignal, cancelled: boolean): Promise<'deleted' | 'deleting' | 'left'> {
  const command = `az ml online-deployment delete -e ${endpointName} -n ${d} --yes`;
  let accepted = false;
  try {
    await whenFree(
      () => endpoints.deleteDeployment(endpointName, d, signal, { accepted: () => (accepted = true) }),
      signal,
      () => platform.info(`An operation on endpoint ${endpointName} is still running; deployment ${d} is deleted once it has ended.`),
    );
    platform.info(cancelled ? `Deleted deployment ${d}, which this run had created.` : `Deleted the failed deployment ${d}.`);
    return 'deleted';
  } catch (e) {
    const reason = signal.aborted ? String(signal.reason) : describe(e);
    if (accepted) {
      platform.warning(`Deployment ${d} is being deleted: the service accepted the deletion, which had not finished when ${reason}. Check with: az ml online-deployment show -e ${endpointName} -n ${d}`);
      return 'deleting';
    }
    platform.warning(`Deployment ${d} was left in place with no traffic: it could not be deleted (${reason}). Delete it with: ${command}`);
    return 'left';
  }
}

class SmokeFailure extends Error {}

function describe(error: unknown): string {
  if (error instanceof AzureError) return error.describe();
  return (error as Error).message;
}

/** Puts the traffic back as it was, checks it, and says so. Deployments deleted since keep no entry. */
async function restoreTraffic(platform: Platform, endpoints: EndpointClient, endpointName: string, before: Traffic, signal: AbortSignal): Promise<Traffic> {
  try {
    const existing = new Set((await endpoints.listDeployments(endpointName, signal)).map((x) => x.name.toLowerCase()));
    const restore = Object.fromEntries(Object.entries(before).filter(([n, w]) => w > 0 || existing.has(n.toLowerCase())));
    const what = `Restoring the traffic of endpoint ${endpointName} to ${formatTraffic(before)}`;
    // An operation still running (the traffic change that was interrupted) refuses the update with 409.
    const after: EndpointResource = await whenFree(
      () => endpoints.setTraffic(endpointName, restore, signal, { what }),
      signal,
      () => platform.info(`An operation on endpoint ${endpointName} is still running; its traffic is restored once it has ended.`),
    );
    const now = after.properties.traffic ?? {};
    if (sameTraffic(now, before)) platform.info(`Traffic of endpoint ${endpointName} restored: ${formatTraffic(now)}.`);
    else platform.warning(`Traffic of endpoint ${endpointName} is ${formatTraffic(now)}, not ${formatTraffic(before)} as before.`);
    return now;
  } catch (error) {
    const command = `az ml online-endpoint update -n ${endpointName} --traffic "${Object.entries(liveTraffic(before)).map(([n, w]) => `${n}=${w}`).join(' ')}"`;
    const reason = signal.aborted ? `${String(signal.reason)}.` : describe(error);
    platform.warning(`Could not restore the traffic of endpoint ${endpointName} to ${formatTraffic(before)}: ${reason} Restore it with: ${command}`);
    return (await endpoints.getEndpoint(endpointName).catch(() => undefined))?.properties.traffic ?? {};
  }
}
