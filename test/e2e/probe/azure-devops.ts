import { runOnAzureDevOps } from '../../../shared/platform/azure-devops.js';
import { probeStep } from './azure-probe.js';

await runOnAzureDevOps(probeStep);
