import { runOnAzureDevOps } from '../../shared/platform/azure-devops.js';
import { trainStep } from '../../shared/steps/train/train.js';

await runOnAzureDevOps(trainStep);
