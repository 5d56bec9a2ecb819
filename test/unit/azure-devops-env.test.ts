// A quality task starts its tool before azure-pipelines-task-lib has loaded (docs/benchmarks.md), so the
// tool's environment is filtered by withoutTaskData() rather than by task-lib's load. These tests hold
// that filter against task-lib's own code (the version the bundles ship), run in a child process as the
// agent runs a task, and show that the adapter's check after the load fires when they disagree.
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withoutTaskData } from '../../shared/platform/azure-devops.js';
import { NODE24, ROOT } from '../helpers/paths.js';

// What an agent hands a task (names from the agent's contract), next to ordinary variables.
const agentEnv: Record<string, string> = {
  PATH: '/usr/bin:/bin',
  BUILD_SOURCESDIRECTORY: '/src',
  AGENT_TEMPDIRECTORY: '', // set per test
  INPUT_PATHS: 'src tests',
  INPUT_MAXISSUES: '3',
  ENDPOINT_URL_CONN1: 'https://management.azure.com/',
  ENDPOINT_AUTH_CONN1: '{"scheme":"ServicePrincipal","parameters":{"serviceprincipalkey":"k"}}',
  ENDPOINT_AUTH_SCHEME_CONN1: 'ServicePrincipal',
  ENDPOINT_AUTH_PARAMETER_CONN1_SERVICEPRINCIPALKEY: 'k',
  ENDPOINT_DATA_CONN1_SUBSCRIPTIONID: 'sub',
  SECUREFILE_NAME_1: 'cert.pfx',
  SECUREFILE_TICKET_1: 'ticket',
  SECRET_MY_PASSWORD: 'p4ss',
  VSTS_TASKVARIABLE_STATE: 'x',
  VSTS_PUBLIC_VARIABLES: '["Build.SourcesDirectory"]',
  VSTS_SECRET_VARIABLES: '["My.Password"]',
  COMMAND_CORRELATION_ID: 'c0ffee',
  SYSTEM_DEBUG: 'false',
  MY_VARIABLE: 'kept',
};

function inChild(script: string, env: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-env-'));
  const file = path.join(dir, 'probe.mjs');
  fs.writeFileSync(file, script);
  try {
    const out = execFileSync(NODE24, [file], { cwd: ROOT, env: { ...env, AGENT_TEMPDIRECTORY: dir }, encoding: 'utf8' });
    // task-lib prints its debug lines on stdout; the probe's answer is the last line.
    return out.trim().split('\n').pop()!;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('the environment a quality task gives its tool before task-lib has loaded', () => {
  test('is what task-lib leaves in process.env when it loads', () => {
    const left = inChild(
      `import { createRequire } from 'node:module';
       createRequire(${JSON.stringify(path.join(ROOT, 'package.json'))})('azure-pipelines-task-lib/task.js');
       console.log(JSON.stringify(Object.keys(process.env).sort()));`,
      agentEnv,
    );
    const ours = Object.keys(withoutTaskData({ ...agentEnv, AGENT_TEMPDIRECTORY: 'x' })).sort();
    expect(ours).toEqual(JSON.parse(left));
    expect(ours).toEqual(expect.arrayContaining(['ENDPOINT_URL_CONN1', 'SECUREFILE_NAME_1', 'MY_VARIABLE', 'BUILD_SOURCESDIRECTORY']));
    expect(ours.filter((n) => /^(INPUT|SECRET|ENDPOINT_AUTH|SECUREFILE_TICKET|VSTS)_|CORRELATION/.test(n))).toEqual([]);
  });

  test('drops an empty input too (task-lib leaves it), never less than task-lib', () => {
    expect(withoutTaskData({ INPUT_CONFIG: '', SECRET_X: '', OTHER: '' })).toEqual({ OTHER: '' });
  });

  test('the adapter reads inputs before the load, and checks after it that a tool got nothing task-lib took', () => {
    const adapter = JSON.stringify(path.join(ROOT, 'build', 'shared', 'platform', 'azure-devops.js'));
    const answer = (tamper: string) =>
      JSON.parse(
        inChild(
          `import { AzureDevOpsPlatform } from ${adapter};
           const platform = new AzureDevOpsPlatform();
           const before = { paths: platform.getInput('paths'), workspace: platform.workspace };
           const env = platform.toolEnvironment();
           ${tamper}
           let error;
           try { await platform.ready(); } catch (e) { error = e.message; }
           console.log(JSON.stringify({ before, secretInToolEnv: 'SECRET_MY_PASSWORD' in env, inputAfter: platform.getInput('paths'), inputInEnv: 'INPUT_PATHS' in process.env, error }));`,
          agentEnv,
        ),
      );
    expect(answer('')).toEqual({
      before: { paths: 'src tests', workspace: '/src' },
      secretInToolEnv: false,
      inputAfter: 'src tests',
      inputInEnv: false,
    });
    // A variable the filter let through but the load removed (as if task-lib took more in a new version).
    expect(answer("delete process.env.MY_VARIABLE;").error).toMatch(/A tool was started with MY_VARIABLE, which task-lib keeps from tools/);
  });
});
