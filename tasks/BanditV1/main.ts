import { runOnAzureDevOps } from '../../shared/platform/azure-devops.js';
import { banditStep } from '../../shared/steps/bandit/bandit.js';

await runOnAzureDevOps(banditStep);
