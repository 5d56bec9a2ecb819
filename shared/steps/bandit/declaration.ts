import type { StepDeclaration } from '../../platform/declaration.js';
import {
  installInput,
  pythonInput,
  reportDirectoryInput,
  reportsGroup,
  toolingGroup,
  workingDirectoryInput,
} from '../quality/common.js';

export const banditDeclaration: StepDeclaration = {
  id: 'bandit',
  title: 'Scan Python with bandit',
  description:
    'Runs the bandit security scanner, annotates findings at their file and line, writes SARIF for code scanning and a JUnit report, and fails on findings at or above a severity and confidence.',
  branding: { icon: 'shield', color: 'red' },
  task: {
    name: 'Bandit',
    guid: 'f556f0e0-ccb7-4a9c-b301-8a17c1e02e0e',
    friendlyName: 'Python security scan (bandit)',
    category: 'Test',
    major: 1,
    instanceNameFormat: 'bandit $(paths)',
  },
  groups: [toolingGroup, reportsGroup],
  inputs: [
    {
      name: 'paths',
      type: 'string',
      label: 'Paths',
      description: 'Files or folders to scan recursively, separated by spaces, relative to the working directory.',
      default: '.',
    },
    workingDirectoryInput,
    {
      name: 'severity',
      type: 'choice',
      label: 'Fail at severity',
      description: 'Lowest severity that fails the step (together with `confidence`). Findings below it are reported, not failed on.',
      options: ['low', 'medium', 'high'],
      default: 'low',
    },
    {
      name: 'confidence',
      type: 'choice',
      label: 'Fail at confidence',
      description: 'Lowest confidence that fails the step (together with `severity`).',
      options: ['low', 'medium', 'high'],
      default: 'low',
    },
    {
      name: 'baseline',
      type: 'path',
      label: 'Baseline report',
      description:
        'A bandit JSON report of accepted findings (`bandit -b`), relative to the working directory; only findings not in it are reported.',
    },
    {
      name: 'skip',
      type: 'string',
      label: 'Skip tests',
      description: 'Comma-separated bandit test ids to skip (`--skip`), e.g. `B101,B311`.',
    },
    {
      name: 'exclude',
      type: 'string',
      label: 'Exclude paths',
      description: 'Comma-separated paths or globs to leave out (`--exclude`), e.g. `./tests,./.venv`.',
    },
    {
      name: 'config',
      type: 'path',
      label: 'Configuration file',
      description: 'bandit YAML configuration (`--configfile`), relative to the working directory.',
    },
    pythonInput,
    installInput,
    reportDirectoryInput,
  ],
  outputs: [
    { name: 'issue-count', description: 'Number of findings bandit reported (all severities, after the baseline).' },
    { name: 'high-count', description: 'Findings of high severity.' },
    { name: 'medium-count', description: 'Findings of medium severity.' },
    { name: 'low-count', description: 'Findings of low severity.' },
    { name: 'sarif-path', description: 'Path of the SARIF 2.1.0 report, for `github/codeql-action/upload-sarif`.' },
    { name: 'junit-path', description: 'Path of the JUnit XML report (one failed test case per finding).' },
  ],
};
