import { azureGroup, signInInputs, workspaceInputs } from '../../azure/inputs.js';
import type { StepDeclaration } from '../../platform/declaration.js';

export const trainDeclaration: StepDeclaration = {
  id: 'train',
  title: 'Train on Azure Machine Learning',
  description:
    'Submits an Azure Machine Learning job from an az ml job YAML (command, pipeline or sweep), uploads local code and inputs, streams the job log, waits for it and reports its status, metrics and outputs.',
  branding: { icon: 'cpu', color: 'blue' },
  task: {
    name: 'Train',
    guid: 'bc785f71-2b15-4613-964d-781cf8aeb13f',
    friendlyName: 'Azure ML training job',
    category: 'Build',
    major: 1,
    instanceNameFormat: 'Train on Azure ML: $(jobFile)',
    // @azure/identity 4 needs Node 22 or later: no Node20_1 handler.
    handlers: ['Node24'],
  },
  groups: [{ name: 'job', displayName: 'Job', expanded: true }, { name: 'waiting', displayName: 'Waiting', expanded: false }, azureGroup],
  inputs: [
    ...workspaceInputs,
    {
      name: 'job-file',
      type: 'path',
      label: 'Job YAML',
      description: 'The az ml v2 job YAML (type command, pipeline or sweep), relative to the repository root. Not needed with job-name.',
      group: 'job',
    },
    {
      name: 'set',
      type: 'multiline',
      label: 'Overrides',
      description: 'Lines of path=value that change the YAML before it is submitted, as az ml job create --set does (e.g. inputs.learning_rate=0.3).',
      group: 'job',
    },
    { name: 'experiment-name', type: 'string', label: 'Experiment', description: "Experiment to file the job under; overrides the YAML's experiment_name.", group: 'job' },
    { name: 'display-name', type: 'string', label: 'Display name', description: "Display name of the job; overrides the YAML's display_name.", group: 'job' },
    {
      name: 'compute',
      type: 'string',
      label: 'Compute',
      description: "Compute cluster to run on (azureml:<name> or <name>); overrides the YAML's compute.",
      group: 'job',
      picker: { resource: 'computes' },
    },
    {
      name: 'job-name',
      type: 'string',
      label: 'Attach to job',
      description: 'Name of a job submitted earlier (for example by a step with wait: false): wait for it instead of submitting a new one.',
      group: 'job',
    },
    { name: 'wait', type: 'boolean', label: 'Wait for the job', description: 'Wait until the job ends. false submits and returns the job name at once.', default: 'true', group: 'waiting' },
    {
      name: 'timeout',
      type: 'integer',
      label: 'Timeout (minutes)',
      description: 'Stop waiting after this many minutes, cancel the job and fail. Empty waits as long as the runner allows.',
      min: 1,
      group: 'waiting',
    },
    { name: 'stream-logs', type: 'boolean', label: 'Stream logs', description: "Print the job's log as it runs.", default: 'true', group: 'waiting' },
    {
      name: 'cancel-on-abort',
      type: 'boolean',
      label: 'Cancel the job when the pipeline is cancelled',
      description: 'When the run is cancelled (SIGINT/SIGTERM) while waiting, or waiting fails (Azure unreachable past every retry), cancel the Azure ML job before exiting.',
      default: 'true',
      group: 'waiting',
    },
    ...signInInputs,
  ],
  outputs: [
    { name: 'job-name', description: 'Name of the Azure ML job.' },
    { name: 'status', description: 'Last known status (Completed, Failed, Canceled, or Running when not waiting).' },
    { name: 'studio-url', description: 'Link to the job in Azure ML studio.' },
    { name: 'metrics', description: 'JSON object of the final metric values the job logged to MLflow; {} when none.' },
    { name: 'outputs', description: 'JSON object: output name → azureml://jobs/<job>/outputs/<name> URI (for the register step).' },
  ],
};
