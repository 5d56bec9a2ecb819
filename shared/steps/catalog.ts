// Every step this suite ships, in pipeline order. Metadata (action.yml, task.json, README tables,
// vss-extension.json) is generated from these declarations by scripts/build.ts.
import type { StepDeclaration } from '../platform/declaration.js';
import { banditDeclaration } from './bandit/declaration.js';
import { lintDeclaration } from './lint/declaration.js';
import { pytestDeclaration } from './pytest/declaration.js';
import { registerDeclaration } from './register/declaration.js';
import { trainDeclaration } from './train/declaration.js';
import { transferDeclaration } from './transfer/declaration.js';

export const shippedSteps: StepDeclaration[] = [
  lintDeclaration,
  banditDeclaration,
  pytestDeclaration,
  trainDeclaration,
  registerDeclaration,
  transferDeclaration,
];
