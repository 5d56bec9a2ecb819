// A workspace opened for an Azure ML step: who we are, which workspace, the ARM client (plain JSON in
// the spec's REST shapes; no step loads the generated @azure/arm-machinelearning SDK, whose types
// still describe the bodies), datastores and jobs.
import { ArmClient } from '../azure/arm.js';
import { RequestStats } from '../azure/clients.js';
import { signIn, type AzureSignIn } from '../azure/credentials.js';
import { resolveWorkspace, type WorkspaceRef } from '../azure/references.js';
import { InputError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';
import type { StepContext } from '../platform/step.js';
import { DatastoreResolver } from './datastores.js';
import { JobClient } from './jobs.js';

export interface WorkspaceAccess {
  access: AzureSignIn;
  ws: WorkspaceRef;
  arm: ArmClient;
  stats: RequestStats;
  datastores: DatastoreResolver;
  jobs: JobClient;
}

/** Signs in and locates the workspace the step's inputs name. */
export async function locateWorkspace(context: StepContext): Promise<{ access: AzureSignIn; ws: WorkspaceRef }> {
  const { platform, inputs } = context;
  const access = await signIn(platform, inputs);
  const workspace = inputs.string('workspace')!;
  const subscriptionId = (platform.kind === 'github' ? inputs.string('subscription-id') : undefined) ?? access.subscriptionId;
  if (!subscriptionId && !workspace.startsWith('/subscriptions/')) {
    throw new InputError('subscription-id', 'is required: no subscription came with the sign-in (set it, or give the workspace as an ARM id).');
  }
  return { access, ws: resolveWorkspace({ subscriptionId, resourceGroup: inputs.string('resource-group'), workspace }) };
}

export async function openWorkspaceAccess(context: StepContext): Promise<WorkspaceAccess> {
  const { access, ws } = await locateWorkspace(context);
  return workspaceAccess(context.platform, access, ws);
}

/** Access to a workspace already located, with a sign-in already made. */
export function workspaceAccess(platform: Platform, access: AzureSignIn, ws: WorkspaceRef, stats = new RequestStats()): WorkspaceAccess {
  const arm = new ArmClient(platform, access, stats);
  return {
    access,
    ws,
    arm,
    stats,
    datastores: new DatastoreResolver(platform, arm, access, stats),
    jobs: new JobClient(arm, platform, stats, access.credential, access.cloud.armScope, ws),
  };
}
