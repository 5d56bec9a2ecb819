// Every built bundle runs from its dist/ folder alone: a runner or agent has no node_modules beside it.
// The e2e tests run bundles inside the repository, where a stray import of a package would still
// resolve, so this checks what the bundles import: Node's built-in modules and their own chunk files only.
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { shippedSteps } from '../../shared/steps/catalog.js';
import { taskFolder } from '../../shared/platform/declaration.js';
import { importedPackages } from '../../scripts/licenses.js';
import { ROOT } from '../helpers/paths.js';

const builtin = (name: string) => name.startsWith('node:') || builtinModules.includes(name);

function importsOf(file: string): string[] {
  const code = fs.readFileSync(file, 'utf8');
  const found = new Set<string>();
  // Static imports (ESM: `import … from"x"`, `import"x"`) and dynamic import("x") with a literal.
  for (const m of code.matchAll(/(?:^|[;\s])import\s*(?:[\w*{}\s,$]+from\s*)?"([^"]+)"/g)) found.add(m[1]);
  for (const m of code.matchAll(/\bimport\("([^"]+)"\)/g)) found.add(m[1]);
  return [...found];
}

describe('bundles are self-contained', () => {
  const bundles = shippedSteps.flatMap((s) => [path.join(ROOT, 'actions', s.id, 'dist', 'index.mjs'), path.join(ROOT, 'tasks', taskFolder(s), 'dist', 'index.mjs')]);
  test.each(bundles.map((b) => [path.relative(ROOT, b), b]))('%s imports only Node built-ins and its own chunks', (_name, bundle) => {
    const stray = importsOf(bundle).filter((i) => !builtin(i) && !i.startsWith('./'));
    expect(stray).toEqual([]);
  });
});

describe('bundles carry the notices of the packages they contain', () => {
  const folders = shippedSteps.flatMap((s) => [
    [path.join('actions', s.id), path.join('build', 'actions', s.id, 'main.js')],
    [path.join('tasks', taskFolder(s)), path.join('build', 'tasks', taskFolder(s), 'main.js')],
  ]);
  test.each(folders)('%s/dist/licenses.txt names every package its entry imports, and their dependencies', (folder, entry) => {
    const packages = [...importedPackages(path.join(ROOT, entry))];
    const file = path.join(ROOT, folder, 'dist', 'licenses.txt');
    if (!packages.length) {
      expect(fs.existsSync(file)).toBe(false);
      return;
    }
    const named = new Set(fs.readFileSync(file, 'utf8').split('\n'));
    expect(packages.filter((p) => !named.has(p))).toEqual([]);
    // A dependency of a dependency is there too (the Azure steps sign in with @azure/identity → @azure/msal-node).
    if (packages.includes('@azure/identity')) expect(named.has('@azure/msal-node')).toBe(true);
    if (packages.includes('azure-pipelines-task-lib')) expect(named.has('shelljs')).toBe(true);
  });
});
