// The inputs every Azure step shares: where the workspace is, who we are, which cloud.
import type { GroupDeclaration, InputDeclaration } from '../platform/declaration.js';

export const azureGroup: GroupDeclaration = { name: 'azure', displayName: 'Azure sign-in and cloud', expanded: false };

export const workspaceInputs: InputDeclaration[] = [
  {
    name: 'azure-subscription',
    type: 'azure-connection',
    label: 'Azure subscription',
    description: 'AzureRM service connection to sign in with (service principal, workload identity federation or managed identity); it also gives the subscription.',
    required: true,
    only: 'azure-devops',
  },
  {
    name: 'subscription-id',
    type: 'string',
    label: 'Subscription id',
    description: 'Subscription of the workspace. Empty uses the one from `creds` or the Azure CLI session.',
    only: 'github',
  },
  {
    name: 'resource-group',
    type: 'string',
    label: 'Resource group',
    description: 'Resource group of the Azure Machine Learning workspace.',
    picker: { resource: 'resource-groups' },
  },
  {
    name: 'workspace',
    type: 'string',
    label: 'Workspace',
    description: 'Azure Machine Learning workspace name, or its full ARM id (then subscription and resource group come from it).',
    required: true,
    picker: { resource: 'workspaces' },
  },
];

export const signInInputs: InputDeclaration[] = [
  {
    name: 'auth',
    type: 'choice',
    label: 'Sign-in method',
    description:
      '`auto` picks OIDC federation when `client-id` and `tenant-id` are set without a secret or certificate, a client secret or certificate when given, `creds` when given, and otherwise the Azure CLI session left by azure/login. Any other value forces that method.',
    options: ['auto', 'oidc', 'secret', 'certificate', 'creds', 'azure-cli'],
    default: 'auto',
    group: 'azure',
    only: 'github',
  },
  {
    name: 'client-id',
    type: 'string',
    label: 'Client id',
    description: 'Application (client) id of the Entra ID app or user-assigned identity to sign in as.',
    group: 'azure',
    only: 'github',
  },
  {
    name: 'tenant-id',
    type: 'string',
    label: 'Tenant id',
    description: 'Entra ID tenant of that application.',
    group: 'azure',
    only: 'github',
  },
  {
    name: 'client-secret',
    type: 'string',
    label: 'Client secret',
    description: 'Client secret of the application (from a secret). Prefer OIDC federation (`id-token: write`).',
    group: 'azure',
    secret: true,
    only: 'github',
  },
  {
    name: 'certificate',
    type: 'string',
    label: 'Client certificate',
    description: 'PEM certificate with its private key (from a secret), or the path of such a file, to sign in with a certificate.',
    group: 'azure',
    secret: true,
    only: 'github',
  },
  {
    name: 'creds',
    type: 'string',
    label: 'Credentials JSON',
    description:
      "The `creds` JSON of azure/login (`clientId`, `clientSecret`, `tenantId`, `subscriptionId`), for workflows that already keep one in a secret.",
    group: 'azure',
    secret: true,
    only: 'github',
  },
  {
    name: 'environment',
    type: 'string',
    label: 'Azure cloud',
    description: '`AzureCloud` (default), `AzureChinaCloud` or `AzureUSGovernment`.',
    default: 'AzureCloud',
    group: 'azure',
    only: 'github',
  },
  {
    name: 'arm-endpoint',
    type: 'string',
    label: 'ARM endpoint',
    description: 'Resource Manager URL of any other cloud (Azure Stack, the local emulator); replaces the named cloud\'s.',
    group: 'azure',
    only: 'github',
  },
  {
    name: 'authority-host',
    type: 'string',
    label: 'Authority host',
    description: "Entra ID authority URL for that cloud; replaces the named cloud's.",
    group: 'azure',
    only: 'github',
  },
];
