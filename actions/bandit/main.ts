import { runOnGitHub } from '../../shared/platform/github.js';
import { banditStep } from '../../shared/steps/bandit/bandit.js';

await runOnGitHub(banditStep);
