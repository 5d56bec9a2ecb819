import { runOnGitHub } from '../../shared/platform/github.js';
import { smokeTestStep } from '../../shared/steps/smoke-test/smoke-test.js';

await runOnGitHub(smokeTestStep);
