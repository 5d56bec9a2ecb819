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
    const inputs = Inputs.fromPlatform(step.declaration, platform);
    const outcome = await step.run({ platform, inputs, signal: cancellation.signal });
    platform.complete(outcome.status, outcome.message);
  } catch (error) {
    const { message, isBug } = describeError(error, (word) => platform.nameOf(word));
    if (isBug && error instanceof Error && error.stack) platform.debug(error.stack);
    platform.complete('failed', message);
  } finally {
    cancellation.dispose();
  }
}
