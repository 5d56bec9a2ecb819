import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { CancelledError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';

export interface ToolRun {
  /** null when the process was ended by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The executable could not be started at all (ENOENT, EACCES). */
  notStarted?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunToolOptions {
  cwd: string;
  /** Default: the platform's environment for tools (Platform.toolEnvironment). */
  env?: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Stream the tool's own output into the log as it comes (default true). */
  echo?: boolean;
}

/** A tool started by startTool: its output waits in the pipes until finish() relays and collects it. */
export interface StartedTool {
  finish(): Promise<ToolRun>;
  /** Stops it (SIGTERM, then SIGKILL), e.g. when the step cannot go on. */
  stop(): void;
}

/** Grace period between SIGTERM and SIGKILL when a cancelled tool does not stop. */
const KILL_GRACE_MS = 5000;

/**
 * Runs a tool, streaming its output live into the step log (guarded against workflow commands)
 * while keeping a copy for parsing. The core spawns processes itself rather than through
 * @actions/exec or the task-lib ToolRunner: only then can it stop the tool when the job is cancelled.
 */
export async function runTool(platform: Platform, command: string, args: string[], options: RunToolOptions): Promise<ToolRun> {
  return startTool(platform, command, args, options).finish();
}

/**
 * Starts a tool and returns at once, touching only the platform's early members (Platform.ready):
 * a step may start its tool first and finish loading while it runs. finish() needs the platform ready.
 */
export function startTool(platform: Platform, command: string, args: string[], options: RunToolOptions): StartedTool {
  const echo = options.echo ?? true;
  if (options.signal.aborted) throw new CancelledError(String(options.signal.reason));
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? platform.toolEnvironment(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Logged after the spawn call, which comes first in the log all the same: nothing of the tool's
  // output is read before finish().
  platform.info(`[command]${[command, ...args].map(quoteForLog).join(' ')}`);
  // Listened for at once: a failed start is reported on the next tick.
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error: e.code ?? e.message }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });

  let killTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    child.kill('SIGTERM');
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    killTimer.unref();
  };
  options.signal.addEventListener('abort', stop, { once: true });

  async function finish(): Promise<ToolRun> {
    const out: string[] = [];
    const err: string[] = [];
    if (echo) platform.beginToolOutput();
    try {
      const pump = (stream: NodeJS.ReadableStream, sink: string[], name: 'stdout' | 'stderr') =>
        new Promise<void>((resolve) => {
          splitLines(stream, (line) => {
            sink.push(line);
            if (echo) platform.writeToolOutput(line, name);
          }, resolve);
        });
      const pumps = Promise.all([pump(child.stdout, out, 'stdout'), pump(child.stderr, err, 'stderr')]);
      const result = await ended;
      await pumps;
      if (options.signal.aborted) throw new CancelledError(String(options.signal.reason));
      return {
        exitCode: result.code,
        signal: result.signal,
        notStarted: result.error,
        stdout: out.join('\n'),
        stderr: err.join('\n'),
        durationMs: Date.now() - started,
      };
    } finally {
      options.signal.removeEventListener('abort', stop);
      if (killTimer) clearTimeout(killTimer);
      if (echo) platform.endToolOutput();
    }
  }
  return { finish, stop };
}

/**
 * Calls `onLine` for every line of a stream, then `onEnd`. Lines end as node:readline ends them
 * (`\r\n`, `\n` or a lone `\r`; a last line without an ending counts), without loading readline
 * (~1 ms at start-up, in front of every quality step's tool).
 */
export function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void, onEnd: () => void): void {
  const decoder = new StringDecoder('utf8');
  const endings = /\r\n|\n|\r/g;
  let rest = '';
  /** Emits the complete lines of `text` and returns what follows the last ending. */
  const drain = (text: string, final: boolean): string => {
    let start = 0;
    endings.lastIndex = 0;
    for (let m = endings.exec(text); m; m = endings.exec(text)) {
      // A \r at the very end may be the first half of a \r\n split across chunks: wait for the next.
      if (!final && m[0] === '\r' && m.index === text.length - 1) break;
      onLine(text.slice(start, m.index));
      start = m.index + m[0].length;
    }
    return text.slice(start);
  };
  stream.on('data', (chunk: Buffer | string) => {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    // Most chunks of a long line hold no ending: only append (no rescan of what came before).
    rest = /[\r\n]/.test(text) || rest.endsWith('\r') ? drain(rest + text, false) : rest + text;
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    const last = drain(rest + decoder.end(), true);
    if (last !== '') onLine(last);
    rest = '';
    onEnd();
  };
  stream.on('end', end);
  stream.on('close', end);
  stream.on('error', end);
}

function quoteForLog(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
