import { ToolError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';
import { runTool, type ToolRun } from '../process/run-tool.js';

export interface PythonTool {
  /** What users call it. */
  name: string;
  /** `python -m <module>`. */
  module: string;
  /** The console script on PATH. */
  executable: string;
  /** Packages `install: true` puts in place, pinned. */
  packages: string[];
  /** Debian/Ubuntu package, for the install hint. */
  aptPackage: string;
}

// Pinned versions for `install: true`; bump them deliberately, with the parsers' tests.
export const FLAKE8: PythonTool = {
  name: 'flake8',
  module: 'flake8',
  executable: 'flake8',
  packages: ['flake8==7.5.0'],
  aptPackage: 'flake8',
};
export const BANDIT: PythonTool = {
  name: 'bandit',
  module: 'bandit',
  executable: 'bandit',
  packages: ['bandit==1.9.4'],
  aptPackage: 'bandit',
};
export const PYTEST: PythonTool = {
  name: 'pytest',
  module: 'pytest',
  executable: 'pytest',
  packages: ['pytest==9.2.0', 'pytest-cov==7.1.0'],
  aptPackage: 'python3-pytest python3-pytest-cov',
};

/** Without a `python` input the tool's own script on PATH runs; with one, `<python> -m <module>`. */
export function toolCommand(tool: PythonTool, python: string | undefined): { command: string; prefix: string[] } {
  return python ? { command: python, prefix: ['-m', tool.module] } : { command: tool.executable, prefix: [] };
}

/** `python -m pip install <pinned packages>`, failing the step clearly when pip cannot. */
export async function installTool(
  platform: Platform,
  tool: PythonTool,
  python: string | undefined,
  cwd: string,
  signal: AbortSignal,
): Promise<void> {
  const interpreter = python || 'python3';
  platform.startGroup(`Installing ${tool.packages.join(' ')}`);
  try {
    const run = await runTool(platform, interpreter, ['-m', 'pip', 'install', '--disable-pip-version-check', ...tool.packages], {
      cwd,
      signal,
    });
    if (run.notStarted) {
      throw new ToolError(tool.name, 'install-failed', `Could not install ${tool.name}: '${interpreter}' was not found.`, pythonHint());
    }
    if (run.exitCode !== 0) {
      throw new ToolError(
        tool.name,
        'install-failed',
        `Could not install ${tool.name}: '${interpreter} -m pip install ${tool.packages.join(' ')}' exited with ${describeExit(run)}. ${lastLine(run.stderr)}`.trim(),
      );
    }
  } finally {
    platform.endGroup();
  }
}

/**
 * The tool did not start, or Python could not find its module: that is "could not run",
 * never "found no problems".
 */
export function missingTool(tool: PythonTool, python: string | undefined, run: ToolRun): ToolError | undefined {
  if (run.notStarted) {
    const what = python ? `Python interpreter '${python}'` : `'${tool.executable}'`;
    return new ToolError(tool.name, 'missing', `${tool.name} could not be started: ${what} was not found (${run.notStarted}).`, installHint(tool, python));
  }
  if (python && run.exitCode !== 0 && new RegExp(`No module named '?${tool.module}'?`).test(run.stderr)) {
    return new ToolError(tool.name, 'missing', `${tool.name} is not installed for '${python}'.`, installHint(tool, python));
  }
  return undefined;
}

function installHint(tool: PythonTool, python: string | undefined): string {
  return (
    `Install it in an earlier step (\`${python || 'python3'} -m pip install ${tool.packages.join(' ')}\`, ` +
    `or \`apt-get install ${tool.aptPackage}\`), set \`install: true\` to let this step do it, ` +
    `or point the \`python\` input at an interpreter that has it.`
  );
}

function pythonHint(): string {
  return 'Set up Python first (actions/setup-python or UsePythonVersion@0) or set the `python` input.';
}

export function describeExit(run: ToolRun): string {
  return run.signal ? `signal ${run.signal}` : `exit code ${run.exitCode}`;
}

export function lastLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.length ? lines[lines.length - 1].trim() : '';
}
