// The same scenario, once per contract: the GitHub runner's and the Azure DevOps agent's.
import { camelCase, taskFolder, type StepDeclaration } from '../../shared/platform/declaration.js';
import { runAction, runTask, type RunOptions, type StepRun } from './contracts.js';

export interface Contract {
  name: 'GitHub' | 'Azure DevOps';
  /** Runs the step's bundle with inputs given by their declared (kebab-case) names; outputs come back the same way. */
  run(step: StepDeclaration, inputs: Record<string, string>, options: Omit<RunOptions, 'inputs'>): Promise<StepRun>;
}

export const CONTRACTS: Contract[] = [
  {
    name: 'GitHub',
    run: (step, inputs, options) => runAction(step.id, { ...options, inputs }),
  },
  {
    name: 'Azure DevOps',
    async run(step, inputs, options) {
      const run = await runTask(taskFolder(step), {
        ...options,
        inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [camelCase(k), v])),
      });
      const outputs: Record<string, string> = {};
      for (const o of step.outputs) if (camelCase(o.name) in run.outputs) outputs[o.name] = run.outputs[camelCase(o.name)];
      return { ...run, outputs };
    },
  },
];
