// `npm run package` (after `npm run build`): packs the Azure DevOps extension with tfx-cli into
// build/vsix/, opens it and checks it, and prints its size. Exits 1 on any problem.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shippedSteps } from '../shared/steps/catalog.js';
import { packExtension, readVsix, verifyVsix } from './vsix.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const version: string = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;

const file = packExtension(root, path.join(root, 'build', 'vsix'));
const { entries, bytes } = readVsix(file);
const report = verifyVsix(entries, bytes, shippedSteps, version);
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`${path.relative(root, file)}: ${kib(report.bytes)}, ${report.files} files, ${report.tasks.length} tasks`);
for (const task of report.tasks) console.log(`  ${task.folder}: bundle ${kib(task.bundleBytes)}, ${task.files} files`);
if (report.problems.length) {
  console.error(`The extension is not fit to publish:\n${report.problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('Checked: manifest, version, icon, overview, and every task with its bundle, resources and icon.');
