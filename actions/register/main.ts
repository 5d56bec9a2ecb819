import { runOnGitHub } from '../../shared/platform/github.js';
import { registerStep } from '../../shared/steps/register/register.js';

await runOnGitHub(registerStep);
