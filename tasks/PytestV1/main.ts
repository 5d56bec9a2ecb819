import { runOnAzureDevOps } from '../../shared/platform/azure-devops.js';
import { pytestStep } from '../../shared/steps/pytest/pytest.js';

await runOnAzureDevOps(pytestStep);
