// The Marketplace extension: packed by tfx-cli from vss-extension.json, then opened and checked as the
// Marketplace and the agent will read it — every shipped task with its bundle, task-lib's resources and
// icon, a manifest that names this version, an icon and an overview.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { taskFolder, type StepDeclaration } from '../shared/platform/declaration.js';
import { parseXml, type XmlElement } from '../shared/reports/xml.js';
import { BUNDLE } from './metadata.js';
import { readZip, type ZipEntry } from './zip.js';

/** Azure DevOps Server 2019 refuses larger uploads; the Marketplace asks to trim anything over 50 MB. */
export const VSIX_LIMIT_BYTES = 25 * 1024 * 1024;

export interface VsixReport {
  bytes: number;
  files: number;
  tasks: Array<{ folder: string; bundleBytes: number; files: number }>;
  problems: string[];
}

/** Runs tfx-cli and returns the path of the .vsix it wrote into `outDir`. */
export function packExtension(root: string, outDir: string): string {
  const require = createRequire(import.meta.url);
  const tfxPackage = require.resolve('tfx-cli/package.json');
  const bin = JSON.parse(fs.readFileSync(tfxPackage, 'utf8')).bin.tfx as string;
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const run = spawnSync(
    process.execPath,
    [path.join(path.dirname(tfxPackage), bin), 'extension', 'create', '--root', root, '--manifest-globs', 'vss-extension.json', '--output-path', outDir, '--no-prompt', '--json', '--no-color'],
    { cwd: root, encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`tfx extension create failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  const written = fs.readdirSync(outDir).filter((f) => f.endsWith('.vsix'));
  if (written.length !== 1) throw new Error(`tfx extension create wrote ${written.length} .vsix files into ${outDir}`);
  return path.join(outDir, written[0]);
}

function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

function isPng(data: Buffer | undefined, size: number): boolean {
  return !!data && data.length > 24 && data.toString('latin1', 1, 4) === 'PNG' && data.readUInt32BE(16) === size && data.readUInt32BE(20) === size;
}

/** Everything wrong with a packed extension, as sentences; an empty list means it is fit to publish. */
export function verifyVsix(entries: ZipEntry[], bytes: number, steps: StepDeclaration[], version: string): VsixReport {
  const problems: string[] = [];
  const files = new Map(entries.filter((e) => !e.name.endsWith('/')).map((e) => [e.name, e.data]));
  const report: VsixReport = { bytes, files: files.size, tasks: [], problems };

  const manifestXml = files.get('extension.vsixmanifest');
  let metadata: XmlElement | undefined;
  let assets: XmlElement[] = [];
  if (!manifestXml) problems.push('extension.vsixmanifest is missing.');
  else {
    try {
      const pkg = parseXml(manifestXml.toString('utf8'));
      if (pkg.name !== 'PackageManifest') problems.push(`extension.vsixmanifest's root is <${pkg.name}>, not <PackageManifest>.`);
      metadata = child(pkg, 'Metadata');
      assets = child(pkg, 'Assets')?.children.filter((c) => c.name === 'Asset') ?? [];
    } catch (error) {
      problems.push(`extension.vsixmanifest is not well-formed XML: ${(error as Error).message}`);
    }
  }
  const identity = child(metadata, 'Identity');
  if (manifestXml && identity?.attributes.Version !== version) {
    problems.push(`extension.vsixmanifest has version '${identity?.attributes.Version ?? ''}', package.json ${version}.`);
  }
  if (manifestXml && !child(metadata, 'DisplayName')?.text.trim()) problems.push('extension.vsixmanifest has no DisplayName.');
  const asset = (type: string) => assets.find((a) => a.attributes.Type === type)?.attributes.Path;
  const icon = asset('Microsoft.VisualStudio.Services.Icons.Default');
  if (!icon) problems.push('The extension has no icon (Microsoft.VisualStudio.Services.Icons.Default).');
  else if (!isPng(files.get(icon), 128)) problems.push(`The extension icon ${icon} is not a 128×128 PNG in the package.`);
  const overview = asset('Microsoft.VisualStudio.Services.Content.Details');
  if (!overview) problems.push('The extension has no overview (Microsoft.VisualStudio.Services.Content.Details).');
  else if (!files.get(overview)?.length) problems.push(`The overview ${overview} is missing or empty in the package.`);

  let contributions: Array<{ type?: string; properties?: { name?: string } }> = [];
  const vso = files.get('extension.vsomanifest');
  if (!vso) problems.push('extension.vsomanifest is missing.');
  else contributions = JSON.parse(vso.toString('utf8')).contributions ?? [];
  const contributed = new Set(contributions.filter((c) => c.type === 'ms.vss-distributed-task.task').map((c) => c.properties?.name));

  for (const step of steps) {
    const folder = `tasks/${taskFolder(step)}`;
    const inFolder = [...files.keys()].filter((f) => f.startsWith(`${folder}/`));
    const bundle = files.get(`${folder}/${BUNDLE}`);
    report.tasks.push({ folder, bundleBytes: bundle?.length ?? 0, files: inFolder.length });
    if (!contributed.has(folder)) problems.push(`${folder} is not contributed as a task in extension.vsomanifest.`);
    const taskJson = files.get(`${folder}/task.json`);
    if (!taskJson) problems.push(`${folder}/task.json is missing.`);
    else {
      const task = JSON.parse(taskJson.toString('utf8'));
      if (task.id !== step.task.guid) problems.push(`${folder}/task.json has id ${task.id}, the declaration ${step.task.guid}.`);
      const taskVersion = `${task.version?.Major}.${task.version?.Minor}.${task.version?.Patch}`;
      if (taskVersion !== version) problems.push(`${folder}/task.json has version ${taskVersion}, package.json ${version}.`);
      for (const [handler, { target }] of Object.entries(task.execution ?? {}) as Array<[string, { target: string }]>) {
        if (!files.get(`${folder}/${target}`)?.length) problems.push(`${folder}: the ${handler} handler's ${target} is missing or empty.`);
      }
    }
    if (!bundle?.length) problems.push(`${folder}/${BUNDLE} is missing or empty.`);
    for (const resource of ['dist/lib.json', 'dist/Strings/resources.resjson/en-US/resources.resjson']) {
      if (!files.has(`${folder}/${resource}`)) problems.push(`${folder}/${resource} (azure-pipelines-task-lib's messages) is missing.`);
    }
    if (!isPng(files.get(`${folder}/icon.png`), 32)) problems.push(`${folder}/icon.png is missing or not a 32×32 PNG.`);
    const source = inFolder.filter((f) => f.endsWith('.ts'));
    if (source.length) problems.push(`${folder} carries source files: ${source.join(', ')}.`);
  }
  const shipped = new Set(steps.map((s) => `tasks/${taskFolder(s)}`));
  const strays = [...new Set([...files.keys()].filter((f) => f.startsWith('tasks/')).map((f) => f.split('/').slice(0, 2).join('/')))].filter((f) => !shipped.has(f));
  if (strays.length) problems.push(`The package carries tasks that are not shipped: ${strays.join(', ')}.`);
  if (bytes > VSIX_LIMIT_BYTES) problems.push(`The package is ${(bytes / 1048576).toFixed(1)} MiB; Azure DevOps Server 2019 refuses uploads over 25 MiB.`);
  return report;
}

export function readVsix(file: string): { entries: ZipEntry[]; bytes: number } {
  const archive = fs.readFileSync(file);
  return { entries: readZip(archive), bytes: archive.length };
}
