import { runOnGitHub } from '../../shared/platform/github.js';
import { trainStep } from '../../shared/steps/train/train.js';

await runOnGitHub(trainStep);
