import type { StepDeclaration } from '../../platform/declaration.js';
import {
  installInput,
  pythonInput,
  reportDirectoryInput,
  reportsGroup,
  toolingGroup,
  workingDirectoryInput,
} from '../quality/common.js';

export const pytestDeclaration: StepDeclaration = {
  id: 'pytest',
  title: 'Test Python with pytest',
  description:
    'Runs pytest with a JUnit report and an optional coverage gate, annotates each failing test at its file and line with the assertion message, and summarises counts, slowest tests and coverage.',
  branding: { icon: 'check-circle', color: 'green' },
  task: {
    name: 'Pytest',
    guid: 'a674e766-a430-4c39-bfb1-2b8eb1169aa4',
    friendlyName: 'Python tests (pytest)',
    category: 'Test',
    major: 1,
    instanceNameFormat: 'pytest $(paths)',
  },
  groups: [{ name: 'coverage', displayName: 'Coverage', expanded: false }, toolingGroup, reportsGroup],
  inputs: [
    {
      name: 'paths',
      type: 'string',
      label: 'Test paths',
      description:
        'Test files or folders, separated by spaces, relative to the working directory. Empty lets pytest use its configuration (`testpaths`) or discover tests.',
    },
    workingDirectoryInput,
    {
      name: 'args',
      type: 'string',
      label: 'Extra arguments',
      description: "More pytest arguments, split as a shell would (quotes respected, nothing expanded), e.g. `-m 'not slow' -x`.",
    },
    {
      name: 'coverage-min',
      type: 'number',
      label: 'Minimum coverage (%)',
      description:
        'Fail when total line coverage is below this percentage. Measures coverage with pytest-cov, which must be installed. Empty measures nothing.',
      min: 0,
      max: 100,
      group: 'coverage',
    },
    {
      name: 'coverage-source',
      type: 'string',
      label: 'Coverage source',
      description:
        'Package or folder to measure (`--cov=<source>`), relative to the working directory. Only used with `coverage-min`. (A bare `--cov` would also measure the installed packages the tests import.)',
      default: '.',
      group: 'coverage',
    },
    pythonInput,
    installInput,
    reportDirectoryInput,
  ],
  outputs: [
    { name: 'passed', description: 'Number of tests that passed.' },
    { name: 'failed', description: 'Number of tests that failed.' },
    { name: 'errors', description: 'Number of tests that errored (fixtures, collection).' },
    { name: 'skipped', description: 'Number of tests skipped.' },
    { name: 'junit-path', description: 'Path of the JUnit XML report pytest wrote.' },
    { name: 'coverage', description: 'Total line coverage in percent, when measured; empty otherwise.' },
  ],
};
