import { runOnAzureDevOps } from '../../shared/platform/azure-devops.js';
import { deployStep } from '../../shared/steps/deploy/deploy.js';

await runOnAzureDevOps(deployStep);
