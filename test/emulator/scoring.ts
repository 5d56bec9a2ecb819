// One scoring host per deployment: a Python process (scoring_host.py) that loads the deployment's
// score.py with the model downloaded into AZUREML_MODEL_DIR, and answers GET / and POST /score.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';

export class ScoringHostError extends Error {
  constructor(
    message: string,
    readonly logs: string,
  ) {
    super(message);
  }
}

export class ScoringHost {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    initial: string,
  ) {
    this.output = initial;
    child.stdout?.on('data', (c: Buffer) => this.append(c.toString()));
    child.stderr?.on('data', (c: Buffer) => this.append(c.toString()));
  }

  private append(text: string) {
    this.output += text;
    if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000);
  }

  get logs(): string {
    return this.output;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  static async start(opts: {
    python: string;
    hostScript: string;
    entry: string;
    cwd: string;
    env: Record<string, string>;
    maxConcurrency: number;
    timeoutMs: number;
  }): Promise<ScoringHost> {
    const child = spawn(opts.python, [opts.hostScript, '--entry', opts.entry, '--port', '0', '--max-concurrency', String(opts.maxConcurrency)], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new ScoringHostError('The scoring container did not become ready in time.', out));
      }, opts.timeoutMs);
      const onData = (c: Buffer) => {
        out += c.toString();
        const m = /MLOPS_SCORING_HOST_READY (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.stderr!.off('data', onData);
          resolve(Number(m[1]));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new ScoringHostError(`The scoring container could not start: ${e.message}`, out));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        // Let the last output arrive before reporting.
        setImmediate(() => reject(new ScoringHostError(`The scoring container exited with code ${code} during start-up.`, out)));
      });
    });
    child.removeAllListeners('exit');
    const host = new ScoringHost(child, port, out);
    const healthy = await host.get('/').catch(() => undefined);
    if (healthy?.status !== 200) {
      await host.stop();
      throw new ScoringHostError('The scoring container failed its liveness probe.', host.logs);
    }
    return host;
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }

  get(path: string): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
    return this.request('GET', path, undefined, {}, 5000);
  }

  request(
    method: string,
    path: string,
    body: Buffer | undefined,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: this.port, method, path, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, body: Buffer.concat(chunks), headers: res.headers }));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  }
}
