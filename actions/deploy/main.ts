import { runOnGitHub } from '../../shared/platform/github.js';
import { deployStep } from '../../shared/steps/deploy/deploy.js';

await runOnGitHub(deployStep);
