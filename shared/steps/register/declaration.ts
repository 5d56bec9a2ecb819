import { azureGroup, signInInputs, workspaceInputs } from '../../azure/inputs.js';
import type { StepDeclaration } from '../../platform/declaration.js';

export const registerDeclaration: StepDeclaration = {
  id: 'register',
  title: 'Register a model in Azure Machine Learning',
  description:
    "Registers a model version from a job's output, a datastore path, a local file or folder, or an az ml model YAML; gates on the job's metrics, keeps the champion unless the challenger is better, and never registers the same source twice.",
  branding: { icon: 'package', color: 'blue' },
  task: {
    name: 'RegisterModel',
    guid: '5e0c6a7d-3f1b-4b8e-9c42-7a1d2e8f6b30',
    friendlyName: 'Azure ML register model',
    category: 'Build',
    major: 1,
    instanceNameFormat: 'Register Azure ML model $(name)',
    // @azure/identity 4 needs Node 22 or later: no Node20_1 handler.
    handlers: ['Node24'],
  },
  groups: [
    { name: 'source', displayName: 'Source', expanded: true },
    { name: 'model', displayName: 'Model', expanded: true },
    { name: 'gates', displayName: 'Gates and champion', expanded: false },
    azureGroup,
  ],
  inputs: [
    ...workspaceInputs,
    {
      name: 'job-name',
      type: 'string',
      label: 'Job',
      description: "Name of the job whose output holds the model (the train step's `job-name` output). Its metrics feed the gates.",
      group: 'source',
    },
    {
      name: 'output-name',
      type: 'string',
      label: 'Job output',
      description: "The job's output that holds the model, e.g. `model_output`; a pipeline step's output as `<step>.<output>` (e.g. `train.model_output`).",
      group: 'source',
    },
    {
      name: 'model-path',
      type: 'string',
      label: 'Model path',
      description:
        'Where the model is, instead of a job output: a local file or folder (relative to the repository root; uploaded in the layout az ml uses, once per content), an `azureml://datastores/<name>/paths/<path>` URI, or a path inside the job output (with `job-name`).',
      group: 'source',
    },
    {
      name: 'model-file',
      type: 'path',
      label: 'Model YAML',
      description: 'An az ml model YAML (name, version, path, type, description, tags, properties, flavors), relative to the repository root; the inputs below override its values.',
      group: 'source',
    },
    {
      name: 'set',
      type: 'multiline',
      label: 'Overrides',
      description: 'Lines of path=value that change the model YAML before it is used, as az ml model create --set does (e.g. tags.stage=candidate).',
      group: 'source',
    },
    {
      name: 'name',
      type: 'string',
      label: 'Model name',
      description: 'Name of the model to register a version of. Required unless the model YAML names it.',
      group: 'model',
      picker: { resource: 'models' },
    },
    {
      name: 'version',
      type: 'string',
      label: 'Version',
      description: 'Version to register. Empty takes the next one the workspace would number.',
      group: 'model',
    },
    {
      name: 'type',
      type: 'choice',
      label: 'Model type',
      description: 'Storage format of the model. Empty uses the model YAML\'s type, or `custom_model`.',
      options: ['custom_model', 'mlflow_model', 'triton_model'],
      group: 'model',
    },
    { name: 'description', type: 'string', label: 'Description', description: 'Description of the model version.', group: 'model' },
    { name: 'tags', type: 'multiline', label: 'Tags', description: 'Tags of the version, one key=value per line.', group: 'model' },
    { name: 'properties', type: 'multiline', label: 'Properties', description: 'Properties of the version, one key=value per line.', group: 'model' },
    {
      name: 'gates',
      type: 'string',
      label: 'Metric gates',
      description:
        "Conditions on the job's final MLflow metrics that must all hold, e.g. `accuracy>=0.8, auc>0.7` (operators >=, >, <=, <, ==, !=; a pipeline step's metric as `<step>.<metric>`). A gate on a metric the job did not log fails the step.",
      group: 'gates',
    },
    {
      name: 'on-gate-fail',
      type: 'choice',
      label: 'When a gate fails',
      description: '`fail` fails the step; `skip` succeeds without registering (output `registered` is false).',
      options: ['fail', 'skip'],
      default: 'fail',
      group: 'gates',
    },
    {
      name: 'compare-metric',
      type: 'string',
      label: 'Champion metric',
      description:
        "Register only if the job beats the champion on this metric: the current latest version (or the newest with `champion-tag`), by the value recorded on it. Not better: nothing is registered and the champion's version is reported.",
      group: 'gates',
    },
    {
      name: 'higher-is-better',
      type: 'boolean',
      label: 'Higher is better',
      description: 'Whether a higher value of `compare-metric` is better (false for losses and errors).',
      default: 'true',
      group: 'gates',
    },
    {
      name: 'champion-tag',
      type: 'string',
      label: 'Champion tag',
      description: 'Compare with the newest version that has this tag (`name` or `name=value`, e.g. `stage=production`) instead of the latest.',
      group: 'gates',
    },
    ...signInInputs,
  ],
  outputs: [
    { name: 'model-name', description: 'Name of the model.' },
    { name: 'model-version', description: 'The version registered; when nothing was registered, the existing version that stands (the same source registered earlier, or the champion).' },
    { name: 'model-id', description: 'azureml:<name>:<version> of that version, for the transfer and deploy steps.' },
    { name: 'registered', description: 'true when this run registered a new version, false otherwise.' },
  ],
};
