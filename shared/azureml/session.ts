// Everything an Azure ML step needs, opened once: who we are, which workspace, the ARM client, datastores.
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { createMlClient, RequestStats } from '../azure/clients.js';
import { signIn, type AzureSignIn } from '../azure/credentials.js';
import { resolveWorkspace, type WorkspaceRef } from '../azure/references.js';
import { InputError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';
import type { StepContext } from '../platform/step.js';
import { DatastoreResolver } from './datastores.js';
import { JobClient } from './jobs.js';

export interface WorkspaceSession {
  access: AzureSignIn;
  ws: WorkspaceRef;
  ml: AzureMachineLearningWorkspaces;
  stats: RequestStats;
  datastores: DatastoreResolver;
  jobs: JobClient;
}

export async function openWorkspace(context: StepContext): Promise<WorkspaceSession> {
  const { platform, inputs } = context;
  const access = await signIn(platform, inputs);
  const workspace = inputs.string('workspace')!;
  const subscriptionId = (platform.kind === 'github' ? inputs.string('subscription-id') : undefined) ?? access.subscriptionId;
  if (!subscriptionId && !workspace.startsWith('/subscriptions/')) {
    throw new InputError('subscription-id', 'is required: no subscription came with the sign-in (set it, or give the workspace as an ARM id).');
  }
  const ws = resolveWorkspace({ subscriptionId, resourceGroup: inputs.string('resource-group'), workspace });
  return workspaceSession(platform, access, ws);
}

/** A session on a workspace already located, with a sign-in already made (a step's second workspace). */
export function workspaceSession(platform: Platform, access: AzureSignIn, ws: WorkspaceRef, stats = new RequestStats()): WorkspaceSession {
  const ml = createMlClient(platform, access, ws.subscriptionId, stats);
  return {
    access,
    ws,
    ml,
    stats,
    datastores: new DatastoreResolver(platform, ml, access, stats),
    jobs: new JobClient(ml, platform, stats, access.credential, access.cloud.armScope, access.cloud.armEndpoint, ws),
  };
}
