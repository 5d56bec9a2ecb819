// Everything an Azure ML step needs, opened once: who we are, which workspace, the ARM client (plain
// JSON, and the generated @azure/arm-machinelearning SDK for the calls made through it), datastores.
// A step that needs no generated SDK opens workspace.ts's WorkspaceAccess instead and does not load it.
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { createMlClient, RequestStats } from '../azure/clients.js';
import type { AzureSignIn } from '../azure/credentials.js';
import type { WorkspaceRef } from '../azure/references.js';
import type { Platform } from '../platform/platform.js';
import type { StepContext } from '../platform/step.js';
import { locateWorkspace, workspaceAccess, type WorkspaceAccess } from './workspace.js';

export interface WorkspaceSession extends WorkspaceAccess {
  ml: AzureMachineLearningWorkspaces;
}

export async function openWorkspace(context: StepContext): Promise<WorkspaceSession> {
  const { access, ws } = await locateWorkspace(context);
  return workspaceSession(context.platform, access, ws);
}

/** A session on a workspace already located, with a sign-in already made (a step's second workspace). */
export function workspaceSession(platform: Platform, access: AzureSignIn, ws: WorkspaceRef, stats = new RequestStats()): WorkspaceSession {
  return { ...workspaceAccess(platform, access, ws, stats), ml: createMlClient(platform, access, ws.subscriptionId, stats) };
}
