import { runOnAzureDevOps } from '../../shared/platform/azure-devops.js';
import { transferStep } from '../../shared/steps/transfer/transfer.js';

await runOnAzureDevOps(transferStep);
