import { azureGroup, signInInputs, workspaceInputs } from '../../azure/inputs.js';
import type { InputDeclaration, StepDeclaration } from '../../platform/declaration.js';

/** The target's own identity on GitHub: the same ways to sign in as the source's, under target- names. */
const targetIdentityInputs: InputDeclaration[] = [
  {
    name: 'target-client-id',
    type: 'string',
    label: 'Target client id',
    description: 'Application (client) id to sign in to the target workspace as. Empty uses the source identity for both.',
    group: 'target',
    only: 'github',
  },
  {
    name: 'target-tenant-id',
    type: 'string',
    label: 'Target tenant id',
    description: "Entra ID tenant of the target identity. Empty uses `tenant-id`.",
    group: 'target',
    only: 'github',
  },
  {
    name: 'target-client-secret',
    type: 'string',
    label: 'Target client secret',
    description: 'Client secret of the target identity (from a secret). Empty with `target-client-id` uses OIDC federation.',
    group: 'target',
    secret: true,
    only: 'github',
  },
  {
    name: 'target-certificate',
    type: 'string',
    label: 'Target client certificate',
    description: 'PEM certificate with private key of the target identity (from a secret), or the path of such a file.',
    group: 'target',
    secret: true,
    only: 'github',
  },
  {
    name: 'target-creds',
    type: 'string',
    label: 'Target credentials JSON',
    description: 'An azure/login `creds` JSON for the target identity.',
    group: 'target',
    secret: true,
    only: 'github',
  },
];

/** The workspace inputs name the source (dev) workspace here. */
const SOURCE_DESCRIPTIONS: Record<string, string> = {
  'resource-group': 'Resource group of the source (dev) workspace.',
  workspace: 'The source (dev) Azure Machine Learning workspace: its name, or its full ARM id (then subscription and resource group come from it).',
};

export const transferDeclaration: StepDeclaration = {
  id: 'transfer',
  title: 'Transfer an Azure Machine Learning model to another workspace',
  description:
    "Copies a model version's files from one workspace's storage to another's server-side (no byte through the runner), verifies every file, and registers the version in the target workspace with its tags, properties and lineage.",
  branding: { icon: 'send', color: 'blue' },
  task: {
    name: 'TransferModel',
    guid: 'a3f9d2c1-8b6e-4f0a-b7d5-2c4e9a1f6e83',
    friendlyName: 'Azure ML transfer model',
    category: 'Deploy',
    major: 1,
    instanceNameFormat: 'Transfer Azure ML model $(name) to $(targetWorkspace)',
    // @azure/identity 4 needs Node 22 or later: no Node20_1 handler.
    handlers: ['Node24'],
  },
  groups: [
    { name: 'model', displayName: 'Model', expanded: true },
    { name: 'target', displayName: 'Target workspace', expanded: true },
    azureGroup,
  ],
  inputs: [
    ...workspaceInputs.map((i) => (i.name in SOURCE_DESCRIPTIONS ? { ...i, description: SOURCE_DESCRIPTIONS[i.name] } : i)),
    {
      name: 'name',
      type: 'string',
      label: 'Model name',
      description: "Name of the model to transfer (the register step's `model-name`), or `azureml:<name>:<version>` (its `model-id`).",
      required: true,
      group: 'model',
      picker: { resource: 'models' },
    },
    {
      name: 'version',
      type: 'string',
      label: 'Version',
      description: "Version to transfer. Empty takes the source's latest.",
      group: 'model',
    },
    {
      name: 'target-azure-subscription',
      type: 'azure-connection',
      label: 'Target Azure subscription',
      description: 'AzureRM service connection for the target workspace. Empty uses the source connection for both.',
      group: 'target',
      only: 'azure-devops',
    },
    {
      name: 'target-subscription-id',
      type: 'string',
      label: 'Target subscription id',
      description: "Subscription of the target workspace. Empty uses the source's.",
      group: 'target',
      only: 'github',
    },
    {
      name: 'target-resource-group',
      type: 'string',
      label: 'Target resource group',
      description: 'Resource group of the target workspace.',
      group: 'target',
      // The classic editor lists it through the target connection (choose one to get the dropdown).
      picker: { resource: 'resource-groups', connection: 'target-azure-subscription' },
    },
    {
      name: 'target-workspace',
      type: 'string',
      label: 'Target workspace',
      description: 'Target Azure Machine Learning workspace (prod) name, or its full ARM id.',
      required: true,
      group: 'target',
      picker: { resource: 'workspaces', connection: 'target-azure-subscription', resourceGroup: 'target-resource-group' },
    },
    ...targetIdentityInputs,
    ...signInInputs,
  ],
  outputs: [
    { name: 'model-name', description: 'Name of the model in the target workspace.' },
    { name: 'model-version', description: 'Its version in the target workspace (the source version unless that was taken).' },
    { name: 'model-id', description: 'azureml:<name>:<version> in the target workspace, for the deploy step.' },
    { name: 'bytes-copied', description: 'Bytes copied server-side by this run (0 when the target already had the files).' },
    { name: 'files', description: 'Number of files in the model.' },
  ],
};
