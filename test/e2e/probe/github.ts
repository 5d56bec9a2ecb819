import { runOnGitHub } from '../../../shared/platform/github.js';
import { probeStep } from './azure-probe.js';

await runOnGitHub(probeStep);
