import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from build/test/…). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
/** Node 24, the runtime GitHub runs actions on and agents ≥ 4.265.1 run Node24 tasks on (npm package `node`). */
export const NODE24 = path.join(ROOT, 'node_modules', 'node', 'bin', 'node');
/** Node 20, for the tasks' Node20_1 handler: the machine's own Node. */
export const NODE20 = process.env.MLOPS_NODE20 || '/usr/bin/node';
/** Debian's flake8, bandit and pytest (with pytest-cov) live here; .ci/run installs them. */
export const TOOL_PATH = '/usr/bin:/bin';
export const SYSTEM_PYTHON = '/usr/bin/python3';
