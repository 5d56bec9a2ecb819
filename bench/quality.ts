// Quality-step benchmark: bundle size, and start-up overhead (process start → tool launched) of each
// bundle under Node 24 for both contracts, next to running the bare tool on the same project.
// Prints a Markdown table; docs/benchmarks.md records a run.
//   npm run bench            (all three steps, 10 runs each)
//   npm run bench -- 20      (20 runs each; BENCH_STEPS=lint,bandit to choose steps)
// Every variant of a step (both contracts, the baseline's bundles, the floor) and the bare tool are
// timed interleaved, round by round, so that they see the same load and share one bare-tool median.
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

interface Variant {
  label: string;
  /** Runs it once; resolves with the whole time and the moment the tool was launched. */
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  size?: number;
  overhead: number[];
  total: number[];
}

function stepVariant(step: string, contract: 'github' | 'azure-devops', root: string, label: string): Variant {
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
  // Bundle plus its chunks (task-lib is a chunk of the task bundles, loaded while the tool starts).
  const dist = path.dirname(bundle);
  const size = fs.readdirSync(dist).filter((f) => /\.(mjs|js)$/.test(f)).reduce((n, f) => n + fs.statSync(path.join(dist, f)).size, 0);
  return { label: `${contract}${label}`, command: NODE24, args: [bundle], env, size, overhead: [], total: [] };
}

async function measure(step: string): Promise<{ variants: Variant[]; bare: number }> {
  const { tool, bare: bareArgs } = tools[step];
  const variants: Variant[] = [];
  for (const contract of ['github', 'azure-devops'] as const) {
    variants.push(stepVariant(step, contract, ROOT, ''));
    if (BASELINE) variants.push(stepVariant(step, contract, BASELINE, ' (baseline)'));
  }
  // The least any Node step can cost: Node 24 starting and spawning the bare tool at once.
  const shim = path.join(shimDir, tool);
  variants.push({
    label: 'node → tool at once (floor)',
    command: NODE24,
    args: ['-e', `require('child_process').spawn(${JSON.stringify(shim)}, ${JSON.stringify(bareArgs)}, { stdio: 'ignore' })`],
    env: { PATH: TOOL_PATH, HOME: os.homedir() },
    overhead: [],
    total: [],
  });
  const bareTotal: number[] = [];
  // Interleaved: every round runs each variant, each followed by the bare tool, in alternating order,
  // so that all of them see the same load.
  for (let i = 0; i < runs; i++) {
    for (const v of i % 2 ? [...variants].reverse() : variants) {
      const { startNs, endNs } = await run(v.command, v.args, v.env);
      const launched = BigInt(fs.readFileSync(stampFile, 'utf8').trim());
      v.overhead.push(ms(launched - startNs));
      v.total.push(ms(endNs - startNs));
      const b = await run(shim, bareArgs, { PATH: TOOL_PATH, HOME: os.homedir() });
      bareTotal.push(ms(b.endNs - b.startNs));
    }
  }
  return { variants, bare: median(bareTotal) };
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
for (const step of Object.keys(tools).filter((s) => !process.env.BENCH_STEPS || process.env.BENCH_STEPS.split(',').includes(s))) {
  const { variants, bare } = await measure(step);
  for (const v of variants) {
    const total = median(v.total);
    const size = v.size === undefined ? '–' : `${(v.size / 1024).toFixed(0)} KiB`;
    console.log(`| ${step} | ${v.label} | ${size} | ${median(v.overhead).toFixed(0)} ms | ${total.toFixed(0)} ms | ${bare.toFixed(0)} ms | ${(total / bare).toFixed(2)}× |`);
  }
}
fs.rmSync(shimDir, { recursive: true, force: true });
