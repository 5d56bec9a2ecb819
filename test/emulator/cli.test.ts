// `npm run emulator` as a user runs it: READY line and --ready-file, options, and a clean stop on
// SIGTERM / SIGINT that leaves no listener and no process behind.
import { afterEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ReadyConfig } from './index.js';
import { armClient, REPO_ROOT, trustCa, waitForJob } from './testing.js';

const CLI = path.join(REPO_ROOT, 'build', 'test', 'emulator', 'cli.js');
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function launch(args: string[]): Promise<{ child: ChildProcess; config: ReadyConfig; line: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no READY line within 30 s; stderr: ${err}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c;
      const m = /^MLOPS_EMULATOR_READY (.*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`emulator exited (${code}) before READY; stderr: ${err}`)));
  });
  return { child, config: JSON.parse(line) as ReadyConfig, line, exited };
}

function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run emulator', () => {
  test('prints MLOPS_EMULATOR_READY with every key a client needs, writes --ready-file, honours the lifetimes, and SIGTERM stops everything', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'emulator-cli-'));
    dirs.push(dir);
    const readyFile = path.join(dir, 'ready.json');
    const { config, exited } = await launch(['--ready-file', readyFile, '--token-lifetime', '120', '--assertion-lifetime', '45', '--port', '0', '--job-step-delay', '0']);
    expect(JSON.parse(await readFile(readyFile, 'utf8'))).toEqual(config);
    for (const key of ['armEndpoint', 'authorityHost', 'tenantId', 'clientId', 'clientSecret', 'subscriptionId', 'caCertPath', 'adminUrl']) {
      expect(typeof (config as unknown as Record<string, unknown>)[key]).toBe('string');
    }
    expect(config.dev).toMatchObject({ resourceGroup: expect.any(String), workspace: expect.any(String) });
    expect(config.prod).toMatchObject({ resourceGroup: expect.any(String), workspace: expect.any(String) });
    expect(config.dev.resourceGroup).not.toBe(config.prod.resourceGroup);
    expect(config.githubOidc).toMatchObject({ requestUrl: expect.any(String), requestToken: expect.any(String) });
    expect(config.azureDevOps).toMatchObject({
      collectionUri: expect.any(String),
      projectId: expect.any(String),
      planId: expect.any(String),
      jobId: expect.any(String),
      hostType: expect.any(String),
      accessToken: expect.any(String),
      serviceConnectionId: expect.any(String),
    });
    expect(config.armEndpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    trustCa(config.caCertPath);
    const token = await fetch(`${config.authorityHost}/${config.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: config.clientId, client_secret: config.clientSecret, scope: 'https://management.azure.com/.default' }),
    }).then((r) => r.json() as Promise<{ expires_in: number }>);
    expect(token.expires_in).toBe(120);
    const assertion = await fetch(`${config.githubOidc.requestUrl}&audience=api://AzureADTokenExchange`, { headers: { Authorization: `Bearer ${config.githubOidc.requestToken}` } }).then(
      (r) => r.json() as Promise<{ value: string }>,
    );
    const claims = JSON.parse(Buffer.from(assertion.value.split('.')[1], 'base64url').toString()) as { exp: number; iat: number };
    expect(claims.exp - claims.iat).toBe(45);

    // A running job's process must not outlive the emulator.
    const client = armClient(config);
    const pidFile = path.join(dir, 'job.pid');
    await client.jobs.createOrUpdate(config.dev.resourceGroup, config.dev.workspace, 'long-running', {
      properties: {
        jobType: 'Command',
        command: `echo $$ > ${pidFile}; sleep 120`,
        environmentId: 'azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest',
        computeId: 'cpu-cluster',
      },
    } as never);
    await waitForJob(client, config.dev.resourceGroup, config.dev.workspace, 'long-running', (s) => s === 'Running');
    let pid = 0;
    for (let i = 0; i < 100 && !pid; i++) {
      pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (!pid) await new Promise((r) => setTimeout(r, 50));
    }
    expect(alive(pid)).toBe(true);

    children[0].kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(await refused(config.armEndpoint)).toBe(true);
    expect(await refused(config.blobEndpoint)).toBe(true);
    expect(await refused(config.azuriteEndpoint)).toBe(true);
  });

  test('SIGINT stops it too; a fixed --port and start-up --fault rules are honoured', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const { child, config, exited } = await launch(['--port', String(port), '--fault', '{"path":"/jobs/","status":503,"count":2}']);
    expect(config.armEndpoint).toBe(`https://127.0.0.1:${port}`);
    trustCa(config.caCertPath);
    const faults = (await fetch(`${config.adminUrl}/faults`).then((r) => r.json())) as { value: { path: string; status: number; count: number; target: string }[] };
    expect(faults.value).toEqual([expect.objectContaining({ path: '/jobs/', status: 503, count: 2, target: 'api' })]);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await refused(config.armEndpoint)).toBe(true);
    expect(await refused(config.azuriteEndpoint)).toBe(true);
  });

  test('an unknown option is refused with the usage text', async () => {
    const child = spawn(process.execPath, [CLI, '--no-such-option'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/Unknown option '--no-such-option'/);
    expect(err).toMatch(/--ready-file PATH/);
  });
});
