import { azureGroup, signInInputs, workspaceInputs } from '../../azure/inputs.js';
import type { InputDeclaration, StepDeclaration } from '../../platform/declaration.js';

/** The checks a smoke test makes; the deploy step offers the same ones for its check of a new deployment. */
export const smokeCheckInputs = (group: string): InputDeclaration[] => [
  {
    name: 'expected-status',
    type: 'integer',
    label: 'Expected HTTP status',
    description: 'HTTP status every request must get.',
    default: '200',
    min: 100,
    max: 599,
    group,
  },
  {
    name: 'match',
    type: 'choice',
    label: 'Compare with the expected body',
    description:
      'How a response is compared with `<name>.expected.json` next to its request file: `equals` (the same JSON) or `contains` (every key of the expected objects, with the same values; lists element by element). Numbers are equal within `tolerance`.',
    options: ['equals', 'contains'],
    default: 'equals',
    group,
  },
  {
    name: 'tolerance',
    type: 'number',
    label: 'Number tolerance',
    description: 'Largest difference at which two numbers still count as equal, in expected bodies and in `expect` comparisons.',
    default: '0.000001',
    min: 0,
    group,
  },
  {
    name: 'expect',
    type: 'multiline',
    label: 'Expectations',
    description:
      'One expression per line that every response must make true, e.g. `len(body.predictions) == 3` or `all(body.probabilities, _ >= 0 and _ <= 1)`. Names: `body`, `status`, `headers`, `time_ms`; see the README for operators and functions.',
    group,
  },
];

export const smokeTestDeclaration: StepDeclaration = {
  id: 'smoke-test',
  title: 'Smoke-test an Azure ML online endpoint',
  description:
    "POSTs request files (test.json, or every *.json in a folder) to an Azure Machine Learning online endpoint or one of its deployments, checks status, body and expectations, measures latency percentiles, and reports each file as a JUnit test case.",
  branding: { icon: 'check-circle', color: 'green' },
  task: {
    name: 'SmokeTest',
    guid: '2dc1e593-0f9b-4088-af62-d65d4b8f3b1e',
    friendlyName: 'Azure ML endpoint smoke test',
    category: 'Test',
    major: 1,
    instanceNameFormat: 'Smoke-test endpoint $(endpointName)',
    // @azure/identity 4 needs Node 22 or later: no Node20_1 handler.
    handlers: ['Node24'],
  },
  groups: [
    { name: 'requests', displayName: 'Requests', expanded: true },
    { name: 'checks', displayName: 'Checks', expanded: true },
    { name: 'latency', displayName: 'Latency', expanded: false },
    { name: 'reports', displayName: 'Reports', expanded: false },
    azureGroup,
  ],
  inputs: [
    ...workspaceInputs,
    {
      name: 'endpoint-name',
      type: 'string',
      label: 'Endpoint',
      description: "Name of the online endpoint to test (the deploy step's `endpoint-name` output).",
      required: true,
      group: 'requests',
      picker: { resource: 'online-endpoints' },
    },
    {
      name: 'deployment-name',
      type: 'string',
      label: 'Deployment',
      description: 'Send every request to this deployment (`azureml-model-deployment` header), whatever its traffic. Empty lets the endpoint route by traffic.',
      group: 'requests',
    },
    {
      name: 'request-file',
      type: 'path',
      label: 'Request file or folder',
      description: 'A JSON request body, or a folder whose `*.json` files are each one request (`*.expected.json` files are the expected answers), relative to the repository root.',
      default: 'test.json',
      group: 'requests',
    },
    ...smokeCheckInputs('checks'),
    {
      name: 'requests',
      type: 'integer',
      label: 'Latency requests',
      description: 'Requests to send after the checks, the request files in turn, to measure latency; the percentiles cover every request sent. 0 measures the checked requests only.',
      default: '0',
      min: 0,
      max: 100000,
      group: 'latency',
    },
    { name: 'concurrency', type: 'integer', label: 'Concurrency', description: 'Latency requests in flight at once.', default: '1', min: 1, max: 256, group: 'latency' },
    { name: 'max-p95-ms', type: 'number', label: 'Highest p95 (ms)', description: 'Fail when the 95th percentile of the request times is above this many milliseconds. Empty: no latency gate.', min: 0, group: 'latency' },
    {
      name: 'log-lines',
      type: 'integer',
      label: 'Log lines on failure',
      description: "Lines of the answering deployment's log (getLogs) printed when a check fails. 0 prints none.",
      default: '50',
      min: 0,
      max: 10000,
      group: 'reports',
    },
    {
      name: 'report-directory',
      type: 'path',
      label: 'Report folder',
      description: "Folder for the JUnit report, relative to the repository root. Empty uses a folder under the runner's temporary directory.",
      group: 'reports',
    },
    ...signInInputs,
  ],
  outputs: [
    { name: 'passed', description: 'true when every check (and the latency gate) passed, false otherwise.' },
    { name: 'p50-ms', description: 'Median request time in milliseconds.' },
    { name: 'p95-ms', description: '95th percentile of the request times in milliseconds.' },
    { name: 'p99-ms', description: '99th percentile of the request times in milliseconds.' },
    { name: 'report-path', description: 'Path of the JUnit report (one test case per request file).' },
  ],
};
