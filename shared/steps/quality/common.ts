// What the three quality steps (lint, bandit, pytest) share: inputs, folders, paths, reports.
import fs from 'node:fs/promises';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../platform/errors.js';
import type { Annotation, Platform } from '../../platform/platform.js';
import type { InputDeclaration } from '../../platform/declaration.js';
import type { StepContext } from '../../platform/step.js';

export const workingDirectoryInput: InputDeclaration = {
  name: 'working-directory',
  type: 'path',
  label: 'Working directory',
  description: 'Folder to run the tool in, relative to the repository root. Paths in reports stay relative to the repository root.',
  default: '.',
};

export const pythonInput: InputDeclaration = {
  name: 'python',
  type: 'string',
  label: 'Python interpreter',
  description:
    'Python interpreter to run the tool with (`python -m <tool>`). Empty runs the tool\'s own command from `PATH`.',
  group: 'tooling',
};

export const installInput: InputDeclaration = {
  name: 'install',
  type: 'boolean',
  label: 'Install the tool',
  description: 'Install the pinned tool version with `python -m pip install` before running it.',
  default: 'false',
  group: 'tooling',
};

export const reportDirectoryInput: InputDeclaration = {
  name: 'report-directory',
  type: 'path',
  label: 'Report folder',
  description:
    'Folder for the JUnit and SARIF reports, relative to the repository root. Empty uses a folder under the runner\'s temporary directory.',
  group: 'reports',
};

export const toolingGroup = { name: 'tooling', displayName: 'Python tooling', expanded: false };
export const reportsGroup = { name: 'reports', displayName: 'Reports', expanded: false };

/** At most this many annotations per step: the platforms show few anyway, and the reports hold all. */
export const MAX_ANNOTATIONS = 50;

/** The working directory input, resolved against the workspace and checked to exist. */
export function workingDirectory(context: StepContext): string {
  const given = context.inputs.path('working-directory') ?? '.';
  const dir = path.resolve(context.platform.workspace, given);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError('working-directory', `names '${given}', which is not a folder (looked for ${dir}).`);
  }
  return dir;
}

/** Space-separated paths, each checked to exist under the working directory. */
export function targetPaths(context: StepContext, input: string, cwd: string): string[] {
  const raw = context.inputs.string(input) ?? '';
  const paths = raw.split(/\s+/).filter((p) => p !== '');
  for (const p of paths) {
    if (!existsSync(path.resolve(cwd, p))) {
      throw new InputError(input, `names '${p}', which does not exist in ${displayPath(context.platform, cwd)}.`);
    }
  }
  return paths;
}

/** A file input (config, baseline), resolved against the working directory and checked to exist. */
export function existingFile(context: StepContext, input: string, cwd: string): string | undefined {
  const given = context.inputs.path(input);
  if (!given) return undefined;
  const file = path.resolve(cwd, given);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new InputError(input, `names '${given}', which is not a file (looked for ${file}).`);
  }
  return file;
}

/** The report folder (the input, or a folder under the runner's temporary directory); not created. */
export function reportPath(context: StepContext, step: string): string {
  const given = context.inputs.path('report-directory');
  return given ? path.resolve(context.platform.workspace, given) : path.join(context.platform.tempDir, 'mlops-actions', step);
}

export async function reportDirectory(context: StepContext, step: string): Promise<string> {
  const dir = reportPath(context, step);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** A path as the pull request sees it: relative to the workspace root, forward slashes. */
export function workspacePath(platform: Platform, cwd: string, file: string): string {
  const relative = path.relative(platform.workspace, path.resolve(cwd, file));
  return relative.split(path.sep).join('/');
}

export function displayPath(platform: Platform, dir: string): string {
  return workspacePath(platform, dir, '.') || '.';
}

/** Annotates up to MAX_ANNOTATIONS places and says how many more the reports hold. */
export function annotateAll(platform: Platform, annotations: Annotation[]): void {
  for (const a of annotations.slice(0, MAX_ANNOTATIONS)) {
    // A tool's line 0 ("the whole file", e.g. flake8's E902) is no place on a diff: annotate the file.
    platform.annotate(a.line !== undefined && a.line < 1 ? { ...a, line: undefined, column: undefined } : a);
  }
  if (annotations.length > MAX_ANNOTATIONS) {
    platform.info(`${annotations.length - MAX_ANNOTATIONS} more findings are not annotated; the reports list them all.`);
  }
}

export async function writeReport(file: string, content: string | object): Promise<string> {
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n', 'utf8');
  return file;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
