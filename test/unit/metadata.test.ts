import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { shippedSteps } from '../../shared/steps/catalog.js';
import { camelCase, taskFolder } from '../../shared/platform/declaration.js';
import { actionYaml, extensionManifest, handlers, readmeTables, taskJson } from '../../scripts/metadata.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';
import { compileSchema } from '../helpers/schemas.js';

const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
const read = (...parts: string[]) => fs.readFileSync(path.join(ROOT, ...parts), 'utf8');

describe.each(shippedSteps.map((s) => [s.id, s] as const))('%s metadata', (_id, step) => {
  test('action.yml and task.json are what the declaration generates', () => {
    expect(read('actions', step.id, 'action.yml')).toBe(actionYaml(step, version));
    expect(JSON.parse(read('tasks', taskFolder(step), 'task.json'))).toEqual(taskJson(step, version));
  });

  test('both platforms name the same words: kebab-case on GitHub, camelCase on Azure DevOps', () => {
    const action = YAML.parse(read('actions', step.id, 'action.yml'));
    const task = JSON.parse(read('tasks', taskFolder(step), 'task.json'));
    const kebab = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
    for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)]) expect(name).toMatch(kebab);
    // Each platform has the declared inputs, minus the other platform's own (sign-in differs).
    expect(Object.keys(action.inputs)).toEqual(step.inputs.filter((i) => i.only !== 'azure-devops').map((i) => i.name));
    expect(task.inputs.map((i: { name: string }) => i.name)).toEqual(step.inputs.filter((i) => i.only !== 'github').map((i) => camelCase(i.name)));
    expect(task.outputVariables.map((o: { name: string }) => o.name)).toEqual(Object.keys(action.outputs).map(camelCase));
    // Inputs on both platforms agree on their defaults.
    for (const input of task.inputs) {
      const gh = Object.entries(action.inputs).find(([k]) => camelCase(k) === input.name)?.[1] as { default?: string } | undefined;
      if (gh) expect(input.defaultValue).toBe(gh.default ?? '');
    }
  });

  test("the task's version is the package's, so every release updates every task", () => {
    const task = JSON.parse(read('tasks', taskFolder(step), 'task.json'));
    expect(`${task.version.Major}.${task.version.Minor}.${task.version.Patch}`).toBe(version);
    expect(taskFolder(step)).toBe(`${step.task.name}V${task.version.Major}`);
  });

  test('every dropdown binding reads through a service connection input and names only inputs the task has', () => {
    const task = JSON.parse(read('tasks', taskFolder(step), 'task.json'));
    const byName = new Map<string, { type: string; properties?: Record<string, string> }>(task.inputs.map((i: { name: string }) => [i.name, i]));
    for (const binding of task.dataSourceBindings ?? []) {
      expect(byName.get(binding.target)?.type).toBe('pickList');
      expect(byName.get(binding.target)?.properties?.EditableOptions).toBe('True');
      expect(byName.get(/^\$\((\w+)\)$/.exec(binding.endpointId)?.[1] ?? '')?.type).toBe('connectedService:AzureRM');
      for (const [, name] of binding.endpointUrl.matchAll(/\$\((\w+)\)/g)) expect(byName.has(name)).toBe(true);
      expect(binding.endpointUrl).toMatch(/^\{\{\{endpoint\.url\}\}\}subscriptions\/\{\{\{endpoint\.subscriptionId\}\}\}\/.*\?(\$skip|\$skiptoken)=\{\{\{\w+\}\}\}&api-version=\d{4}-\d{2}-\d{2}$/);
      // Every page: the token the URL reads is what the initial and the callback context set.
      const keys = [...binding.endpointUrl.matchAll(/\{\{\{(\w+)\}\}\}/g)].map((m) => m[1]);
      expect(Object.keys(JSON.parse(binding.initialContextTemplate))).toEqual(keys);
      expect(binding.callbackContextTemplate).toMatch(new RegExp(`^\\{"${keys[0]}": "\\{\\{#getTokenValue response\\.nextLink\\}\\}\\{\\{extractUrlQueryParameter %24${keys[0]}\\}\\}\\{\\{/getTokenValue\\}\\}"\\}$`));
      expect(binding.callbackRequiredTemplate).toBe('{{isTokenPresent response.nextLink}}');
    }
  });

  test('no two inputs or outputs share a name', () => {
    const inputs = step.inputs.map((i) => i.name);
    const outputs = step.outputs.map((o) => o.name);
    expect(inputs.filter((n, i) => inputs.indexOf(n) !== i)).toEqual([]);
    expect(outputs.filter((n, i) => outputs.indexOf(n) !== i)).toEqual([]);
  });

  test('every classic-editor group exists and every group is used', () => {
    const task = JSON.parse(read('tasks', taskFolder(step), 'task.json'));
    const groups = new Set(task.groups.map((g: { name: string }) => g.name));
    const used = new Set(task.inputs.filter((i: { groupName?: string }) => i.groupName).map((i: { groupName: string }) => i.groupName));
    expect([...used].every((g) => groups.has(g))).toBe(true);
    expect([...groups].every((g) => used.has(g))).toBe(true);
  });

  test('entry files are a few lines, the same shape for every step and platform', () => {
    const action = read('actions', step.id, 'main.ts').trim().split('\n');
    const task = read('tasks', taskFolder(step), 'main.ts').trim().split('\n');
    expect(action.length).toBeLessThanOrEqual(4);
    expect(task.length).toBeLessThanOrEqual(4);
    expect(action[action.length - 1]).toMatch(/^await runOnGitHub\(\w+Step\);$/);
    expect(task[task.length - 1]).toMatch(/^await runOnAzureDevOps\(\w+Step\);$/);
  });

  test('the README documents the inputs and outputs as declared', () => {
    expect(read('README.md')).toContain(readmeTables(step));
  });
});

test('vss-extension.json packs exactly the shipped tasks', () => {
  expect(JSON.parse(read('vss-extension.json'))).toEqual(extensionManifest(shippedSteps, version));
  const folders = fs.readdirSync(path.join(ROOT, 'tasks')).sort();
  expect(folders).toEqual(shippedSteps.map(taskFolder).sort());
  expect(fs.readdirSync(path.join(ROOT, 'actions')).sort()).toEqual(shippedSteps.map((s) => s.id).sort());
});

test('task ids are unique GUIDs and task names unique', () => {
  const guids = shippedSteps.map((s) => s.task.guid);
  expect(new Set(guids).size).toBe(guids.length);
  for (const g of guids) expect(g).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(new Set(shippedSteps.map((s) => s.task.name)).size).toBe(shippedSteps.length);
});

describe('published schemas', () => {
  const actionSchema = () => compileSchema(path.join(FIXTURES, 'schemas', 'github-action.schema.json'));
  const taskSchema = () => compileSchema(path.join(FIXTURES, 'schemas', 'tasks.schema.json'));

  test.each(shippedSteps.map((s) => [s.id, s] as const))('%s: action.yml and task.json validate', (_id, step) => {
    const validateAction = actionSchema();
    const action = YAML.parse(read('actions', step.id, 'action.yml'));
    expect(validateAction(action) ? '' : JSON.stringify(validateAction.errors)).toBe('');
    expect(action.runs.using).toBe('node24');

    const validateTask = taskSchema();
    const task = JSON.parse(read('tasks', taskFolder(step), 'task.json'));
    expect(validateTask(task) ? '' : JSON.stringify(validateTask.errors)).toBe('');
    expect(Object.keys(task.execution).sort()).toEqual([...handlers(step)].sort());
    expect(task.execution.Node24).toEqual({ target: 'dist/index.mjs' });
  });

  test('the schemas do reject what is wrong (the validators are not vacuous)', () => {
    const validateAction = actionSchema();
    expect(validateAction({ name: 'x', description: 'y', runs: { using: 'node99', main: 'a.js' } })).toBe(false);
    const validateTask = taskSchema();
    const task = JSON.parse(read('tasks', 'LintV1', 'task.json'));
    expect(validateTask({ ...task, execution: { Node20: { target: 'x' } } })).toBe(false);
    expect(validateTask({ ...task, inputs: [{ name: 'x', type: 'nonsense-type', label: 'x' }] })).toBe(false);
  });

  test('every bundle the metadata points at exists, with task-lib resources beside the task bundles', () => {
    for (const step of shippedSteps) {
      expect(fs.existsSync(path.join(ROOT, 'actions', step.id, 'dist', 'index.mjs'))).toBe(true);
      const dist = path.join(ROOT, 'tasks', taskFolder(step), 'dist');
      for (const f of ['index.mjs', 'lib.json', 'Strings/resources.resjson/en-US/resources.resjson']) {
        expect(fs.existsSync(path.join(dist, f))).toBe(true);
      }
      // One copy of task-lib per task bundle (with its chunks: task-lib is one, loaded in Platform.ready()),
      // none in an action bundle; no @actions/core in a task bundle.
      const code = (folder: string) =>
        fs.readdirSync(folder).filter((f) => /\.(mjs|js)$/.test(f)).map((f) => fs.readFileSync(path.join(folder, f), 'utf8')).join('\n');
      const taskBundle = code(dist);
      const actionBundle = code(path.join(ROOT, 'actions', step.id, 'dist'));
      expect(taskBundle.split('loading inputs and endpoints').length - 1).toBe(1);
      expect(actionBundle).not.toContain('task.setvariable');
      expect(taskBundle).not.toContain('GITHUB_STEP_SUMMARY');
    }
  });
});
