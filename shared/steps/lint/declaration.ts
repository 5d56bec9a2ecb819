import type { StepDeclaration } from '../../platform/declaration.js';
import {
  installInput,
  pythonInput,
  reportDirectoryInput,
  reportsGroup,
  toolingGroup,
  workingDirectoryInput,
} from '../quality/common.js';

export const lintDeclaration: StepDeclaration = {
  id: 'lint',
  title: 'Lint Python with flake8',
  description:
    'Runs flake8 over a Python project, annotates every finding at its file and line, writes JUnit and SARIF reports and fails when findings exceed a threshold.',
  branding: { icon: 'check-square', color: 'blue' },
  task: {
    name: 'Lint',
    guid: '8d0b4bf6-3e18-4e58-b246-4a5f5fe2db67',
    friendlyName: 'Python lint (flake8)',
    category: 'Test',
    major: 1,
    instanceNameFormat: 'flake8 $(paths)',
  },
  groups: [toolingGroup, reportsGroup],
  inputs: [
    {
      name: 'paths',
      type: 'string',
      label: 'Paths',
      description: 'Files or folders to check, separated by spaces, relative to the working directory.',
      default: '.',
    },
    workingDirectoryInput,
    {
      name: 'max-line-length',
      type: 'integer',
      label: 'Maximum line length',
      description:
        "Longest line allowed (flake8 `--max-line-length`). Empty keeps the project's flake8 configuration, or flake8's default of 79.",
      min: 1,
    },
    {
      name: 'config',
      type: 'path',
      label: 'Configuration file',
      description:
        'flake8 configuration file (`--config`), relative to the working directory. Empty lets flake8 find `setup.cfg`, `tox.ini` or `.flake8`.',
    },
    {
      name: 'select',
      type: 'string',
      label: 'Select codes',
      description: 'Comma-separated error codes or prefixes to report (`--select`), e.g. `E,F,W`.',
    },
    {
      name: 'ignore',
      type: 'string',
      label: 'Ignore codes',
      description:
        "Comma-separated error codes or prefixes to ignore in addition to the configured ones (`--extend-ignore`), e.g. `E203,W503`.",
    },
    {
      name: 'max-issues',
      type: 'integer',
      label: 'Findings allowed',
      description: 'The step fails when flake8 reports more findings than this. 0 fails on any finding.',
      default: '0',
      min: 0,
    },
    pythonInput,
    installInput,
    reportDirectoryInput,
  ],
  outputs: [
    { name: 'issue-count', description: 'Number of findings flake8 reported.' },
    { name: 'junit-path', description: 'Path of the JUnit XML report (one failed test case per finding).' },
    { name: 'sarif-path', description: 'Path of the SARIF 2.1.0 report, for `github/codeql-action/upload-sarif`.' },
  ],
};
