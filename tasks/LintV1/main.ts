import { runOnAzureDevOps } from '../../shared/platform/azure-devops.js';
import { lintStep } from '../../shared/steps/lint/lint.js';

await runOnAzureDevOps(lintStep);
