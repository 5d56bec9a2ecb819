// The Marketplace package: tfx-cli packs the built tasks, and the check finds what would make the
// extension unfit to publish (each tampering below must be caught, so the check cannot pass vacuously).
import { beforeAll, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shippedSteps } from '../../shared/steps/catalog.js';
import { taskFolder } from '../../shared/platform/declaration.js';
import { packExtension, readVsix, verifyVsix } from '../../scripts/vsix.js';
import type { ZipEntry } from '../../scripts/zip.js';
import { ROOT } from '../helpers/paths.js';

const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
let entries: ZipEntry[];
let bytes: number;

beforeAll(() => {
  const file = packExtension(ROOT, fs.mkdtempSync(path.join(os.tmpdir(), 'vsix-')));
  ({ entries, bytes } = readVsix(file));
}, 60000);

const problems = (list: ZipEntry[]) => verifyVsix(list, bytes, shippedSteps, version).problems;
const folder = `tasks/${taskFolder(shippedSteps[shippedSteps.length - 1])}`;

test('the packed extension carries every shipped task with its bundle, resources and icon', () => {
  expect(problems(entries)).toEqual([]);
  const names = new Set(entries.map((e) => e.name));
  for (const step of shippedSteps) {
    for (const file of ['task.json', 'icon.png', 'dist/index.mjs', 'dist/lib.json']) expect(names.has(`tasks/${taskFolder(step)}/${file}`)).toBe(true);
  }
});

test('a missing bundle, a stale task version, a lost icon or a stray task are each caught', () => {
  expect(problems(entries.filter((e) => e.name !== `${folder}/dist/index.mjs`))).toEqual(
    expect.arrayContaining([`${folder}/dist/index.mjs is missing or empty.`, expect.stringContaining('handler\'s dist/index.mjs is missing')]),
  );
  const stale = entries.map((e) => {
    if (e.name !== `${folder}/task.json`) return e;
    const task = JSON.parse(e.data.toString('utf8'));
    return { name: e.name, data: Buffer.from(JSON.stringify({ ...task, version: { ...task.version, Patch: task.version.Patch + 1 } })) };
  });
  expect(problems(stale)).toEqual([expect.stringMatching(new RegExp(`^${folder}/task.json has version \\d+\\.\\d+\\.\\d+, package.json ${version.replace(/\./g, '\\.')}\\.$`))]);
  expect(problems(entries.filter((e) => e.name !== `${folder}/icon.png`))).toEqual([`${folder}/icon.png is missing or not a 32×32 PNG.`]);
  expect(problems([...entries, { name: 'tasks/OldV0/task.json', data: Buffer.from('{}') }])).toEqual(['The package carries tasks that are not shipped: tasks/OldV0.']);
  expect(problems(entries.filter((e) => e.name !== 'extension.vsixmanifest'))).toContain('extension.vsixmanifest is missing.');
});

test('the package stays far below the 25 MiB Azure DevOps Server 2019 upload limit', () => {
  expect(bytes).toBeGreaterThan(100 * 1024);
  expect(verifyVsix(entries, 26 * 1024 * 1024, shippedSteps, version).problems).toEqual([expect.stringContaining('refuses uploads over 25 MiB')]);
});
