// SIGINT / SIGTERM from the GitHub runner (SIGINT, then SIGTERM, then a kill) or the Azure DevOps
// agent become one AbortSignal that every long operation of a step listens to.

export interface Cancellation {
  readonly signal: AbortSignal;
  dispose(): void;
}

export function watchCancellation(): Cancellation {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) controller.abort(name);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const s of signals) process.on(s, onSignal);
  return {
    signal: controller.signal,
    dispose() {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}

/** Waits `ms`, or less when the step is cancelled (then it returns early, without throwing). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
