// Every example a user may copy — the sample project's GitHub workflows and Azure DevOps pipelines, and the YAML
// blocks of the README and docs — uses the steps as they are declared: only inputs the platform has, every
// required input, files that exist, and outputs that the referenced step really sets.
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { shippedSteps } from '../../shared/steps/catalog.js';
import { camelCase, type StepDeclaration } from '../../shared/platform/declaration.js';
import { ROOT } from '../helpers/paths.js';

const ACTION = /^mlops-actions\/mlops-actions\/([a-z-]+)@v\d+$/;
const TASK = /^(\w+)@(\d+)$/;
/** Azure Pipelines' own tasks the examples use; any other task must be one of ours. */
const BUILT_IN_TASKS = ['UsePythonVersion@0', 'PublishTestResults@2', 'PublishCodeCoverageResults@2', 'AzureCLI@2'];

interface Example {
  /** Where it is, for messages. */
  where: string;
  text: string;
  /** The project its relative paths point into; undefined for snippets of a hypothetical repository. */
  project?: string;
}

function files(dir: string, pattern: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => pattern.test(f)).map((f) => path.join(dir, f));
}

function examples(): Example[] {
  const out: Example[] = [];
  for (const project of fs.readdirSync(path.join(ROOT, 'examples')).map((p) => path.join(ROOT, 'examples', p))) {
    for (const file of [...files(path.join(project, '.github', 'workflows'), /\.ya?ml$/), ...files(path.join(project, 'azure-pipelines'), /\.ya?ml$/)]) {
      out.push({ where: path.relative(ROOT, file), text: fs.readFileSync(file, 'utf8'), project });
    }
  }
  for (const doc of ['README.md', ...files(path.join(ROOT, 'docs'), /\.md$/).map((f) => path.relative(ROOT, f))]) {
    const text = fs.readFileSync(path.join(ROOT, doc), 'utf8');
    for (const m of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
      if (!/mlops-actions\/mlops-actions\/|task: \w+@\d/.test(m[1])) continue;
      const line = text.slice(0, m.index).split('\n').length + 1;
      out.push({ where: `${doc}:${line}`, text: m[1] });
    }
  }
  return out;
}

/** Every mapping in the document that is a step using one of ours. */
function ourSteps(node: unknown, found: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  if (Array.isArray(node)) for (const item of node) ourSteps(item, found);
  else if (node && typeof node === 'object') {
    const step = node as Record<string, unknown>;
    if ((typeof step.uses === 'string' && ACTION.test(step.uses)) || (typeof step.task === 'string' && byTask(step.task))) found.push(step);
    for (const value of Object.values(step)) ourSteps(value, found);
  }
  return found;
}

function byTask(ref: string): StepDeclaration | undefined {
  const m = TASK.exec(ref);
  const decl = m ? shippedSteps.find((s) => s.task.name === m[1] && String(s.task.major) === m[2]) : undefined;
  if (!decl && !BUILT_IN_TASKS.includes(ref)) throw new Error(`task: ${ref} is neither a shipped task nor one of Azure Pipelines' own the examples may use`);
  return decl;
}

function declarationOf(step: Record<string, unknown>): { decl: StepDeclaration; platform: 'github' | 'azure-devops' } {
  if (typeof step.uses === 'string') {
    const id = ACTION.exec(step.uses)![1];
    const decl = shippedSteps.find((s) => s.id === id);
    if (!decl) throw new Error(`uses: ${step.uses} names no shipped step`);
    return { decl, platform: 'github' };
  }
  return { decl: byTask(step.task as string)!, platform: 'azure-devops' };
}

const all = examples();

test('the sample project carries the GitHub and Azure DevOps examples of the whole flow', () => {
  const where = all.map((e) => e.where);
  for (const f of ['pr.yml', 'train.yml', 'release.yml']) {
    expect(where).toContain(`examples/credit-default/.github/workflows/${f}`);
    expect(where).toContain(`examples/credit-default/azure-pipelines/${f}`);
  }
  // Between them they use every shipped step on both platforms.
  const used = new Set(all.filter((e) => e.project).flatMap((e) => ourSteps(YAML.parse(e.text)).map((s) => `${declarationOf(s).platform}:${declarationOf(s).decl.id}`)));
  for (const s of shippedSteps) for (const p of ['github', 'azure-devops']) expect(used).toContain(`${p}:${s.id}`);
});

describe.each(all.map((e) => [e.where, e] as const))('%s', (_where, example) => {
  const doc = YAML.parse(example.text);
  const steps = ourSteps(doc);

  test('uses only declared inputs, by the platform\'s names, with every required one', () => {
    const problems: string[] = [];
    for (const step of steps) {
      const { decl, platform } = declarationOf(step);
      const declared = decl.inputs.filter((i) => i.only !== (platform === 'github' ? 'azure-devops' : 'github'));
      const spell = (n: string) => (platform === 'github' ? n : camelCase(n));
      const given = (platform === 'github' ? step.with : step.inputs) as Record<string, unknown> | undefined;
      const label = `${decl.id} (${platform})`;
      for (const key of Object.keys(given ?? {})) {
        const input = declared.find((i) => spell(i.name) === key);
        if (!input) problems.push(`${label}: '${key}' is not an input`);
        else if (input.type === 'choice' && !/\$[({]/.test(String(given![key])) && !input.options?.includes(String(given![key]))) {
          problems.push(`${label}: '${key}: ${given![key]}' is not one of ${input.options?.join(', ')}`);
        } else if (input.type === 'path' && example.project && !/\$[({]/.test(String(given![key])) && !fs.existsSync(path.join(example.project, String(given![key])))) {
          problems.push(`${label}: '${key}: ${given![key]}' does not exist in the sample`);
        }
      }
      for (const input of declared.filter((i) => i.required)) {
        if (given?.[spell(input.name)] === undefined) problems.push(`${label}: required '${spell(input.name)}' is missing`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('reads only outputs the referenced step sets', () => {
    const problems: string[] = [];
    const outputsOf = (decl: StepDeclaration, platform: string) => decl.outputs.map((o) => (platform === 'github' ? o.name : camelCase(o.name)));
    const byId = new Map(steps.filter((s) => s.id).map((s) => [String(s.id), s]));
    const byName = new Map(steps.filter((s) => s.name).map((s) => [String(s.name), s]));
    // GitHub: steps.<id>.outputs.<name>
    for (const [, id, name] of example.text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
      const step = byId.get(id);
      if (!step) continue; // another action's step
      const { decl, platform } = declarationOf(step);
      if (!outputsOf(decl, platform).includes(name)) problems.push(`steps.${id}.outputs.${name}: ${decl.id} has no such output`);
    }
    // Azure DevOps: $(<step>.<var>) in the job, outputs['<step>.<var>'] across jobs and stages.
    for (const [, stepName, name] of [...example.text.matchAll(/\$\((\w+)\.(\w+)\)/g), ...example.text.matchAll(/outputs\['(\w+)\.(\w+)'\]/g)]) {
      const step = byName.get(stepName);
      if (!step) continue; // Build.BuildId and friends
      const { decl, platform } = declarationOf(step);
      if (!outputsOf(decl, platform).includes(name)) problems.push(`${stepName}.${name}: ${decl.id} has no such output variable`);
    }
    expect(problems).toEqual([]);
  });
});
