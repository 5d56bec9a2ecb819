import { runOnGitHub } from '../../shared/platform/github.js';
import { lintStep } from '../../shared/steps/lint/lint.js';

await runOnGitHub(lintStep);
