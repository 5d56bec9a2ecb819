// Quality-step benchmark: bundle size, and start-up overhead (process start → tool launched) of each
// bundle under Node 24 for both contracts, next to running the bare tool on the same project.
// Prints a Markdown table; docs/benchmarks.md records a run.
//   npm run bench            (all three steps, 10 runs each)
//   npm run bench -- 20      (20 runs each)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shippedSteps } from '../shared/steps/catalog.js';
import { camelCase, taskFolder } from '../shared/platform/declaration.js';
import { NODE24, ROOT, TOOL_PATH } from '../test/helpers/paths.js';

const runs = Number(process.argv[2] ?? 10);
const project = path.join(ROOT, 'examples', 'credit-default');
const tools: Record<string, { tool: string; inputs: Record<string, string>; bare: string[] }> = {
  lint: { tool: 'flake8', inputs: { paths: 'src tests' }, bare: ['src', 'tests'] },
  bandit: { tool: 'bandit', inputs: { paths: 'src' }, bare: ['-r', 'src', '-f', 'json', '-o', '/dev/null'] },
  pytest: { tool: 'pytest', inputs: { paths: 'tests' }, bare: ['tests', '-q'] },
};

// A shim in front of the real tool records the moment it is launched, then becomes the tool.
const shimDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-shim-'));
const stampFile = path.join(shimDir, 'launched');
for (const { tool } of Object.values(tools)) {
  const real = TOOL_PATH.split(':').map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
  if (!real) throw new Error(`${tool} is not installed (apt-get install flake8 bandit python3-pytest python3-pytest-cov).`);
  fs.writeFileSync(path.join(shimDir, tool), `#!/bin/sh\ndate +%s%N > ${stampFile}\nexec ${real} "$@"\n`, { mode: 0o755 });
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ startNs: bigint; endNs: bigint }> {
  return new Promise((resolve, reject) => {
    const startNs = BigInt(Date.now()) * 1_000_000n;
    const child = spawn(command, args, { cwd: project, env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve({ startNs, endNs: BigInt(Date.now()) * 1_000_000n }));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (ns: bigint) => Number(ns) / 1e6;

// BENCH_BASELINE=<another built checkout>: its bundles are measured too, in the same run (before → after).
const BASELINE = process.env.BENCH_BASELINE;

async function measure(step: string, contract: 'github' | 'azure-devops', root = ROOT) {
  const decl = shippedSteps.find((s) => s.id === step)!;
  const { inputs } = tools[step];
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const bundle =
    contract === 'github'
      ? path.join(root, 'actions', step, 'dist', 'index.mjs')
      : path.join(root, 'tasks', taskFolder(decl), 'dist', 'index.mjs');
  const env: NodeJS.ProcessEnv = { PATH: `${shimDir}:${TOOL_PATH}`, HOME: os.homedir() };
  if (contract === 'github') {
    for (const f of ['out', 'summary']) fs.writeFileSync(path.join(temp, f), '');
    Object.assign(env, { GITHUB_WORKSPACE: project, GITHUB_OUTPUT: path.join(temp, 'out'), GITHUB_STEP_SUMMARY: path.join(temp, 'summary'), RUNNER_TEMP: temp });
    for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  } else {
    Object.assign(env, { BUILD_SOURCESDIRECTORY: project, AGENT_TEMPDIRECTORY: temp });
    for (const [k, v] of Object.entries(inputs)) env[`INPUT_${camelCase(k).toUpperCase()}`] = v;
  }
  const overhead: number[] = [];
  const total: number[] = [];
  const bareTotal: number[] = [];
  const { tool, bare: bareArgs } = tools[step];
  for (let i = 0; i < runs; i++) {
    const { startNs, endNs } = await run(NODE24, [bundle], env);
    const launched = BigInt(fs.readFileSync(stampFile, 'utf8').trim());
    overhead.push(ms(launched - startNs));
    total.push(ms(endNs - startNs));
    const b = await run(path.join(shimDir, tool), bareArgs, { PATH: TOOL_PATH, HOME: os.homedir() });
    bareTotal.push(ms(b.endNs - b.startNs));
  }
  return { overhead: median(overhead), total: median(total), bare: median(bareTotal), size: fs.statSync(bundle).size };
}

console.log(`Node ${(await new Promise<string>((r) => { const c = spawn(NODE24, ['--version']); let o = ''; c.stdout.on('data', (d) => (o += d)); c.on('close', () => r(o.trim())); }))}, ${os.cpus().length} cores, ${runs} runs each, medians, project examples/credit-default\n`);
const nodeAlone: number[] = [];
for (let i = 0; i < runs; i++) {
  const { startNs, endNs } = await run(NODE24, ['-e', '0'], { PATH: TOOL_PATH });
  nodeAlone.push(ms(endNs - startNs));
}
console.log(`Node 24 starting and exiting with nothing to do: ${median(nodeAlone).toFixed(0)} ms (part of every overhead below)\n`);
console.log('| step | contract | bundle size | start-up overhead (start → tool launched) | whole step | bare tool | step / bare |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const step of Object.keys(tools)) {
  for (const contract of ['github', 'azure-devops'] as const) {
    for (const [label, root] of [['', ROOT], ...(BASELINE ? [[' (baseline)', BASELINE]] : [])] as Array<[string, string]>) {
      // The bare tool is timed in the same stretch as the step (interleaved), so both see the same load.
      const m = await measure(step, contract, root);
      const b = m.bare;
      console.log(
        `| ${step} | ${contract}${label} | ${(m.size / 1024).toFixed(0)} KiB | ${m.overhead.toFixed(0)} ms | ${m.total.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(m.total / b).toFixed(2)}× |`,
      );
    }
  }
}
fs.rmSync(shimDir, { recursive: true, force: true });
