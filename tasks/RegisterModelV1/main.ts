import { runOnAzureDevOps } from '../../shared/platform/azure-devops.js';
import { registerStep } from '../../shared/steps/register/register.js';

await runOnAzureDevOps(registerStep);
