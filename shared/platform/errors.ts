// One error model for every step. The runner renders it once (run.ts); nothing else prints errors.

/** A mistake the user can fix: rendered as one clear sentence, without a stack. */
export class UserError extends Error {
  override name = 'UserError';
}

/** A bad input value. `input` is the declared (kebab-case) name; the renderer spells it per platform. */
export class InputError extends UserError {
  override name = 'InputError';
  constructor(
    readonly input: string,
    readonly problem: string,
  ) {
    super(`Input '${input}' ${problem}`);
  }
}

/** A problem at a place in a file the user wrote (config, YAML, baseline…). */
export class FileError extends UserError {
  override name = 'FileError';
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}${line && column ? `:${column}` : ''}: ${problem}`);
  }
}

export type ToolFailure = 'missing' | 'bad-config' | 'no-tests' | 'crashed' | 'install-failed';

/**
 * The tool could not do its job (as opposed to: it ran and found problems).
 * `hint` says what to do about it.
 */
export class ToolError extends UserError {
  override name = 'ToolError';
  constructor(
    readonly tool: string,
    readonly failure: ToolFailure,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The runner or agent asked us to stop (SIGINT / SIGTERM). */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(signal: string) {
    super(`Cancelled: received ${signal}.`);
  }
}

/**
 * An error that renders itself (Azure errors do: code, message, correlation id). Kept as an
 * interface so the platform layer does not depend on any Azure package.
 */
export interface SelfDescribingError extends Error {
  describe(): string;
}

function describes(error: unknown): error is SelfDescribingError {
  return error instanceof Error && typeof (error as Partial<SelfDescribingError>).describe === 'function';
}

/** Renders any thrown value as the one message the step fails with. */
export function describeError(error: unknown, nameOf: (word: string) => string): { message: string; isBug: boolean } {
  if (error instanceof InputError) {
    return { message: `Input '${nameOf(error.input)}' ${error.problem}`, isBug: false };
  }
  if (error instanceof ToolError) {
    return { message: error.hint ? `${error.message} ${error.hint}` : error.message, isBug: false };
  }
  if (describes(error)) return { message: error.describe(), isBug: false };
  if (error instanceof UserError || error instanceof CancelledError) {
    return { message: error.message, isBug: false };
  }
  const text = error instanceof Error ? error.message : String(error);
  return { message: `Unexpected error (please report it to mlops-actions): ${text}`, isBug: true };
}
