import { watchCancellation } from './cancellation.js';
import { describeError } from './errors.js';
import { Inputs } from './inputs.js';
import type { Platform } from './platform.js';
import type { Step } from './step.js';

/**
 * The one failure path: read inputs, run the step, and end it exactly once — with the step's own
 * outcome, or with the rendered error (user mistakes as one sentence, bugs with their stack in debug).
 */
export async function runStep(platform: Platform, step: Step): Promise<void> {
  const cancellation = watchCancellation();
  try {
    const early = step.startsEarly && !step.declaration.inputs.some((input) => input.secret);
    if (!early) await platform.ready();
    const inputs = Inputs.fromPlatform(step.declaration, platform);
    const outcome = await step.run({ platform, inputs, signal: cancellation.signal });
    await platform.ready();
    platform.complete(outcome.status, outcome.message);
  } catch (error) {
    // The library has loaded (or failed to: then complete() below throws, and Node reports it).
    await platform.ready().catch(() => undefined);
    const { message, isBug } = describeError(error, (word) => platform.nameOf(word));
    if (isBug && error instanceof Error && error.stack) platform.debug(error.stack);
    platform.complete('failed', message);
  } finally {
    cancellation.dispose();
  }
}
