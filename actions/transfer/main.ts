import { runOnGitHub } from '../../shared/platform/github.js';
import { transferStep } from '../../shared/steps/transfer/transfer.js';

await runOnGitHub(transferStep);
