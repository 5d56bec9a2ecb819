import { runOnAzureDevOps } from '../../shared/platform/azure-devops.js';
import { smokeTestStep } from '../../shared/steps/smoke-test/smoke-test.js';

await runOnAzureDevOps(smokeTestStep);
