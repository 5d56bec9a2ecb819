import { azureGroup, signInInputs, workspaceInputs } from '../../azure/inputs.js';
import type { StepDeclaration } from '../../platform/declaration.js';
import { smokeCheckInputs } from '../smoke-test/declaration.js';

export const deployDeclaration: StepDeclaration = {
  id: 'deploy',
  title: 'Deploy to an Azure ML online endpoint',
  description:
    'Deploys a registered model to an Azure Machine Learning managed online endpoint (what ACI was) or Kubernetes online endpoint (what AKS was), blue-green: the new deployment starts at 0 % traffic, is optionally smoke-tested, then takes over in steps; any failure puts the traffic back exactly as it was.',
  branding: { icon: 'upload-cloud', color: 'blue' },
  task: {
    name: 'Deploy',
    guid: '860de997-1be0-4b13-b082-fc0aeaab4666',
    friendlyName: 'Azure ML online deployment',
    category: 'Deploy',
    version: { Major: 1, Minor: 0, Patch: 0 },
    instanceNameFormat: 'Deploy $(model) to endpoint $(endpointName)',
    // @azure/identity 4 needs Node 22 or later: no Node20_1 handler.
    handlers: ['Node24'],
  },
  groups: [
    { name: 'endpoint', displayName: 'Endpoint', expanded: true },
    { name: 'deployment', displayName: 'Deployment', expanded: true },
    { name: 'rollout', displayName: 'Traffic and rollback', expanded: true },
    { name: 'smoke', displayName: 'Smoke test before traffic', expanded: false },
    azureGroup,
  ],
  inputs: [
    ...workspaceInputs,
    {
      name: 'target',
      type: 'choice',
      label: 'Target',
      description:
        '`managed` (a managed online endpoint) or `kubernetes` (a Kubernetes online endpoint on an attached cluster); `aci` and `aks` are aliases for teams coming from those retired services. Empty: `kubernetes` when the YAML says `type: kubernetes` or names a `compute`, otherwise `managed`.',
      options: ['managed', 'kubernetes', 'aci', 'aks'],
      group: 'endpoint',
    },
    { name: 'endpoint-file', type: 'path', label: 'Endpoint YAML', description: 'An az ml online endpoint YAML, relative to the repository root. Used when the endpoint has to be created.', group: 'endpoint' },
    { name: 'endpoint-name', type: 'string', label: 'Endpoint name', description: "Name of the online endpoint; overrides the endpoint YAML's name (and the deployment YAML's endpoint_name).", group: 'endpoint' },
    { name: 'auth-mode', type: 'choice', label: 'Auth mode', description: "How clients authenticate when the endpoint is created: `key`, `aml_token` or `aad_token`; overrides the endpoint YAML's auth_mode. Default key.", options: ['key', 'aml_token', 'aad_token'], group: 'endpoint' },
    { name: 'compute', type: 'string', label: 'Kubernetes compute', description: "The attached Kubernetes compute of a Kubernetes endpoint (azureml:<name> or <name>); overrides the endpoint YAML's compute.", group: 'endpoint' },
    { name: 'deployment-file', type: 'path', label: 'Deployment YAML', description: 'An az ml online deployment YAML (managed or Kubernetes), relative to the repository root. The inputs below override its keys.', group: 'deployment' },
    {
      name: 'set',
      type: 'multiline',
      label: 'Overrides',
      description: 'Lines of path=value that change the deployment YAML before it is used, as az ml online-deployment create --set does (e.g. instance_count=2).',
      group: 'deployment',
    },
    {
      name: 'deployment-name',
      type: 'string',
      label: 'Deployment name',
      description: "Name of the new deployment. Empty: the YAML's name, or — when that deployment is the one serving traffic now — the other of blue and green.",
      group: 'deployment',
    },
    { name: 'model', type: 'string', label: 'Model', description: 'The registered model to deploy: azureml:<name>:<version> (the register or transfer step\'s output), azureml:<name>@latest, or a model version ARM id.', group: 'deployment' },
    { name: 'code', type: 'path', label: 'Code folder', description: 'Folder holding the scoring script, relative to the repository root; uploaded as a code snapshot.', group: 'deployment' },
    { name: 'scoring-script', type: 'string', label: 'Scoring script', description: 'The scoring script (init() and run()), relative to the code folder, e.g. score.py.', group: 'deployment' },
    {
      name: 'deployment-environment',
      type: 'string',
      label: 'Environment',
      description: "The deployment's Azure ML environment: azureml:<name>:<version>, azureml:<name>@latest or a curated azureml:AzureML-… environment; overrides the YAML's environment. (`environment` names the Azure cloud.)",
      group: 'deployment',
    },
    { name: 'instance-type', type: 'string', label: 'Instance type', description: 'VM size of a managed deployment (e.g. Standard_DS3_v2), or the instance type of a Kubernetes cluster.', group: 'deployment' },
    { name: 'instance-count', type: 'integer', label: 'Instance count', description: 'Number of instances (default 1).', min: 1, max: 1000, group: 'deployment' },
    {
      name: 'traffic',
      type: 'string',
      label: 'Traffic',
      description: 'Share of the endpoint\'s traffic the new deployment gets: `100`, or rising steps such as `10,50,100` (the deployments serving before share the rest in their old proportions); `0` deploys without moving traffic.',
      default: '100',
      group: 'rollout',
    },
    { name: 'traffic-interval', type: 'integer', label: 'Seconds between steps', description: 'Seconds to wait between traffic steps (while watching the new deployment serve part of the traffic).', default: '0', min: 0, max: 3600, group: 'rollout' },
    { name: 'delete-previous', type: 'boolean', label: 'Delete the previous deployment', description: 'Once the new deployment has 100 % of the traffic, delete the deployments that served before.', default: 'false', group: 'rollout' },
    { name: 'keep-failed', type: 'boolean', label: 'Keep a failed deployment', description: 'Keep a deployment that failed (at 0 % traffic) for investigation instead of deleting it.', default: 'false', group: 'rollout' },
    { name: 'timeout', type: 'integer', label: 'Timeout (minutes)', description: 'Give up on an operation (creating the endpoint or the deployment, a traffic change) after this many minutes, and roll back.', min: 1, group: 'rollout' },
    { name: 'log-lines', type: 'integer', label: 'Log lines on failure', description: "Lines of the failed deployment's log (getLogs) printed when it fails. 0 prints none.", default: '50', min: 0, max: 10000, group: 'rollout' },
    {
      name: 'smoke-test-file',
      type: 'path',
      label: 'Smoke-test request',
      description:
        'A request file (or a folder of them, with optional `<name>.expected.json`) sent to the new deployment (`azureml-model-deployment` header) before it gets any traffic; a failed check rolls back. Empty: no smoke test.',
      group: 'smoke',
    },
    ...smokeCheckInputs('smoke'),
    ...signInInputs,
  ],
  outputs: [
    { name: 'endpoint-name', description: 'Name of the online endpoint.' },
    { name: 'deployment-name', description: 'Name of the new deployment.' },
    { name: 'scoring-uri', description: "The endpoint's scoring URI (for the smoke-test step or clients)." },
    { name: 'swagger-uri', description: "The endpoint's swagger URI." },
    { name: 'previous-deployment', description: 'The deployment that served most of the traffic before; empty on a new endpoint.' },
    { name: 'traffic', description: 'JSON object of the endpoint\'s traffic after the step (deployment → percent).' },
  ],
};
