import type { Platform } from './platform.js';
import type { Inputs } from './inputs.js';
import type { StepDeclaration } from './declaration.js';

export interface StepContext {
  platform: Platform;
  inputs: Inputs;
  /** Aborted when the runner or agent cancels the job. */
  signal: AbortSignal;
}

/** What a step ended with, when it ran to the end (a thrown error is the other way out). */
export interface StepOutcome {
  status: 'succeeded' | 'failed';
  message: string;
}

export interface Step {
  declaration: StepDeclaration;
  /**
   * The step starts before the platform's library has loaded (Platform.ready): it reads its inputs and
   * may start its tool first, using only the platform's early members until it awaits ready(). Ignored
   * for a step with secret inputs: those are masked, by the library, before anything else happens.
   */
  startsEarly?: boolean;
  run(context: StepContext): Promise<StepOutcome>;
}
