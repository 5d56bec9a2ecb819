// `npm run build` (after tsc): regenerate every action.yml / task.json / vss-extension.json and the
// README tables from the step declarations, then bundle each entry file with ncc.
// CI runs it on a clean clone and fails if anything committed differs.
import ncc from '@vercel/ncc';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shippedSteps } from '../shared/steps/catalog.js';
import { taskFolder } from '../shared/platform/declaration.js';
import { extensionIcon, taskIcon } from './icons.js';
import { importedPackages, licenseNotices } from './licenses.js';
import { actionYaml, BUNDLE, EXTENSION_ICON, extensionManifest, readmeTables, replaceGenerated, taskJson } from './metadata.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const built = path.join(root, 'build');
const require = createRequire(import.meta.url);
const version: string = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8')).version;
const only = process.argv.slice(2);

async function bundle(entry: string, outDir: string, extraAssets: Array<[string, string]>): Promise<number> {
  const { code, assets } = await ncc(entry, {
    cache: false,
    minify: true,
    license: 'licenses.txt',
    quiet: true,
    target: 'es2022',
  });
  await fs.rm(outDir, { recursive: true, force: true });
  await fs.mkdir(outDir, { recursive: true });
  const out = path.join(path.dirname(outDir), BUNDLE);
  await fs.writeFile(out, code);
  for (const [name, asset] of Object.entries(assets ?? {})) {
    const file = path.join(outDir, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, (asset as { source: Buffer | string }).source);
  }
  for (const [from, to] of extraAssets) await fs.cp(from, path.join(outDir, to), { recursive: true });
  // ncc's licenses.txt misses the main bundle's packages once it splits off lazy chunks: write our own.
  const packages = importedPackages(entry);
  const notices = path.join(outDir, 'licenses.txt');
  if (packages.size) await fs.writeFile(notices, licenseNotices(packages, root));
  else await fs.rm(notices, { force: true });
  return Buffer.byteLength(code);
}

// azure-pipelines-task-lib reads its messages (lib.json, Strings/) from beside its own module,
// which in a bundle is dist/: ship them there or it warns LIB_ResourceFile does not exist.
const taskLib = path.dirname(require.resolve('azure-pipelines-task-lib/package.json'));
const taskLibResources: Array<[string, string]> = [
  [path.join(taskLib, 'lib.json'), 'lib.json'],
  [path.join(taskLib, 'Strings'), 'Strings'],
];

let readme = await fs.readFile(path.join(root, 'README.md'), 'utf8');
for (const step of shippedSteps) {
  if (only.length && !only.includes(step.id)) continue;
  const actionDir = path.join(root, 'actions', step.id);
  const taskDir = path.join(root, 'tasks', taskFolder(step));
  await fs.writeFile(path.join(actionDir, 'action.yml'), actionYaml(step, version));
  await fs.writeFile(path.join(taskDir, 'task.json'), JSON.stringify(taskJson(step, version), null, 2) + '\n');
  await fs.writeFile(path.join(taskDir, 'icon.png'), taskIcon(step.id, step.branding.color));
  readme = replaceGenerated(readme, step.id, readmeTables(step));

  const actionSize = await bundle(path.join(built, 'actions', step.id, 'main.js'), path.join(actionDir, 'dist'), []);
  const taskSize = await bundle(path.join(built, 'tasks', taskFolder(step), 'main.js'), path.join(taskDir, 'dist'), taskLibResources);
  console.log(`${step.id}: action ${(actionSize / 1024).toFixed(0)} KiB, task ${(taskSize / 1024).toFixed(0)} KiB`);
}
await fs.writeFile(path.join(root, 'README.md'), readme);
await fs.mkdir(path.dirname(path.join(root, EXTENSION_ICON)), { recursive: true });
await fs.writeFile(path.join(root, EXTENSION_ICON), extensionIcon());
await fs.writeFile(path.join(root, 'vss-extension.json'), JSON.stringify(extensionManifest(shippedSteps, version), null, 2) + '\n');
