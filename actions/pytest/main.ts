import { runOnGitHub } from '../../shared/platform/github.js';
import { pytestStep } from '../../shared/steps/pytest/pytest.js';

await runOnGitHub(pytestStep);
