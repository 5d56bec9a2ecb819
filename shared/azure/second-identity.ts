// A step that works in two places (transfer: dev → prod) may sign in to the second as someone else:
// on GitHub with `target-*` inputs that mirror the sign-in inputs, on Azure DevOps with a second AzureRM
// service connection. Both go through the one sign-in (credentials.ts); nothing here knows a credential.
import { InputError } from '../platform/errors.js';
import type { StepDeclaration } from '../platform/declaration.js';
import { Inputs } from '../platform/inputs.js';
import type { Platform } from '../platform/platform.js';
import { signIn, type AzureSignIn } from './credentials.js';
import { signInInputs, workspaceInputs } from './inputs.js';

/** Sign-in input → the target's input that stands for it (the cloud is the source's). */
const TARGET_NAMES: Record<string, string> = {
  'client-id': 'target-client-id',
  'tenant-id': 'target-tenant-id',
  'client-secret': 'target-client-secret',
  certificate: 'target-certificate',
  creds: 'target-creds',
};

/**
 * The identity for the target: the source's own unless the step was given a second one
 * (`target-client-id` / `target-creds` on GitHub, `target-azure-subscription` on Azure DevOps).
 */
export async function signInSecond(platform: Platform, step: StepDeclaration, source: AzureSignIn): Promise<AzureSignIn> {
  if (platform.kind === 'azure-devops') {
    const connection = platform.getInput('target-azure-subscription');
    if (!connection || connection === platform.getInput('azure-subscription')) return source;
    return signIn(platform, Inputs.fromPlatform({ ...step, inputs: [] }, platform), 'target-azure-subscription');
  }
  if (!platform.getInput('target-client-id') && !platform.getInput('target-creds')) return source;
  const read = (word: string): string => {
    if (word === 'auth') return '';
    if (word === 'tenant-id') return platform.getInput('target-tenant-id') || platform.getInput('tenant-id');
    if (word === 'subscription-id') return platform.getInput('target-subscription-id') || platform.getInput('subscription-id');
    return platform.getInput(TARGET_NAMES[word] ?? word);
  };
  try {
    const declared = [...workspaceInputs.filter((i) => i.name === 'subscription-id'), ...signInInputs];
    const inputs = new Inputs({ ...step, inputs: declared }, read, platform.kind, (secret) => platform.setSecret(secret));
    return await signIn(platform, inputs);
  } catch (error) {
    // A mistake names the target's input, not the source's it stood in for.
    if (error instanceof InputError) throw new InputError(TARGET_NAMES[error.input] ?? error.input, error.problem);
    throw error;
  }
}
