// What the runner and the agent hand a step that talks to the emulator: the shared setup of the
// Azure end-to-end tests.
import type { ReadyConfig } from '../emulator/index.js';

/** GitHub inputs that point a step at the emulator's dev workspace. */
export function githubWorkspaceInputs(c: ReadyConfig, more: Record<string, string> = {}): Record<string, string> {
  return {
    'arm-endpoint': c.armEndpoint,
    'authority-host': c.authorityHost,
    'subscription-id': c.subscriptionId,
    'resource-group': c.dev.resourceGroup,
    workspace: c.dev.workspace,
    ...more,
  };
}

/** The runner's environment for OIDC federation. */
export function githubOidcEnv(c: ReadyConfig): Record<string, string> {
  return {
    NODE_EXTRA_CA_CERTS: c.caCertPath,
    ACTIONS_ID_TOKEN_REQUEST_URL: c.githubOidc.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: c.githubOidc.requestToken,
  };
}

/**
 * The agent's view of an AzureRM service connection and of the job (for the oidctoken call), plus the
 * task's workspace inputs. The agent names these variables with the connection id exactly as the input
 * holds it; task-lib reads the auth JSON case-insensitively.
 */
export function serviceConnectionEnv(c: ReadyConfig, scheme: string, parameters: Record<string, string>): Record<string, string> {
  const id = c.azureDevOps.serviceConnectionId;
  return {
    NODE_EXTRA_CA_CERTS: c.caCertPath,
    INPUT_AZURESUBSCRIPTION: id,
    INPUT_RESOURCEGROUP: c.dev.resourceGroup,
    INPUT_WORKSPACE: c.dev.workspace,
    [`ENDPOINT_URL_${id}`]: c.armEndpoint,
    [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ scheme, parameters }),
    [`ENDPOINT_AUTH_SCHEME_${id}`]: scheme,
    [`ENDPOINT_DATA_${id}_SUBSCRIPTIONID`]: c.subscriptionId,
    [`ENDPOINT_DATA_${id}_ENVIRONMENT`]: 'AzureCloud',
    [`ENDPOINT_DATA_${id}_ACTIVEDIRECTORYAUTHORITY`]: c.authorityHost,
    SYSTEM_COLLECTIONURI: c.azureDevOps.collectionUri,
    SYSTEM_TEAMPROJECTID: c.azureDevOps.projectId,
    SYSTEM_PLANID: c.azureDevOps.planId,
    SYSTEM_JOBID: c.azureDevOps.jobId,
    SYSTEM_HOSTTYPE: c.azureDevOps.hostType,
    SYSTEM_OIDCREQUESTURI: c.azureDevOps.oidcRequestUri,
    ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ scheme: 'OAuth', parameters: { AccessToken: c.azureDevOps.accessToken } }),
    ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: c.azureDevOps.accessToken,
  };
}
