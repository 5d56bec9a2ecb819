import { resolveWorkspace } from '../../azure/references.js';
import { signInSecond } from '../../azure/second-identity.js';
import { transferModel } from '../../azureml/model-transfer.js';
import { modelId, ModelRegistry } from '../../azureml/models.js';
import { openWorkspaceAccess, workspaceAccess } from '../../azureml/workspace.js';
import { InputError, UserError } from '../../platform/errors.js';
import type { Step, StepContext, StepOutcome } from '../../platform/step.js';
import { code, table } from '../../reports/markdown.js';
import { transferDeclaration } from './declaration.js';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,254}$/;

/** `name` alone, or the register step's `azureml:<name>:<version>`. */
function modelInput(nameInput: string, versionInput: string | undefined): { name: string; version?: string } {
  const id = /^azureml:([^:]+):([^:]+)$/.exec(nameInput);
  const name = id ? id[1] : nameInput;
  const version = id ? id[2] : versionInput;
  if (id && versionInput && versionInput !== id[2]) throw new InputError('version', `is ${versionInput}, but the model id '${nameInput}' names version ${id[2]}.`);
  if (!NAME.test(name)) throw new InputError('name', `must be a model name or azureml:<name>:<version> (got '${nameInput}').`);
  if (version !== undefined && !NAME.test(version)) throw new InputError('version', `must start with a letter or digit and hold only letters, digits, '-', '_' and '.' (got '${version}').`);
  return { name, version };
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} bytes`;
}

async function transfer(context: StepContext): Promise<StepOutcome> {
  const { platform, inputs, signal } = context;
  const { name, version } = modelInput(inputs.string('name')!, inputs.string('version'));
  const targetWorkspace = inputs.string('target-workspace')!;
  if (!targetWorkspace.startsWith('/subscriptions/') && !inputs.string('target-resource-group')) {
    throw new InputError('target-resource-group', `is required to find target workspace '${targetWorkspace}' (or give '${platform.nameOf('target-workspace')}' as an ARM id).`);
  }

  const source = await openWorkspaceAccess(context);
  const targetAccess = await signInSecond(platform, transferDeclaration, source.access);
  const targetSubscription =
    (platform.kind === 'github' ? inputs.string('target-subscription-id') : undefined) ??
    (targetAccess !== source.access ? targetAccess.subscriptionId : undefined) ??
    source.ws.subscriptionId;
  const targetWs = resolveWorkspace({ subscriptionId: targetSubscription, resourceGroup: inputs.string('target-resource-group'), workspace: targetWorkspace }, 'target workspace');
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (same(targetWs.subscriptionId, source.ws.subscriptionId) && same(targetWs.resourceGroup, source.ws.resourceGroup) && same(targetWs.workspace, source.ws.workspace)) {
    throw new InputError('target-workspace', `is the source workspace itself (${source.ws.workspace}); name the workspace to copy the model to.`);
  }
  const target = workspaceAccess(platform, targetAccess, targetWs, source.stats);

  const sourceModels = new ModelRegistry(source.arm, source.ws);
  const found = version ? await sourceModels.version(name, version) : await sourceModels.latest(name);
  if (!found?.name) throw new UserError(`Model ${version ? `${name}:${version}` : name} was not found in workspace ${source.ws.workspace}.`);
  const sourceId = modelId(name, found.name);
  platform.info(`Transferring ${sourceId} from workspace ${source.ws.workspace} to ${target.ws.workspace}.`);

  const result = await transferModel(platform, source, target, found as typeof found & { name: string }, name, signal);
  const targetId = modelId(result.name, result.version);
  platform.setOutput('model-name', result.name);
  platform.setOutput('model-version', result.version);
  platform.setOutput('model-id', targetId);
  platform.setOutput('bytes-copied', String(result.bytesCopied));
  platform.setOutput('files', String(result.files));
  const rows: Array<[string, string]> = [
    ['Source', `${code(sourceId)} in ${code(source.ws.workspace)}`],
    ['Target', `${code(targetId)} in ${code(target.ws.workspace)}`],
    ['Files', `${result.files} (${formatBytes(result.bytes)})`],
    ['Copied server-side', formatBytes(result.bytesCopied)],
  ];
  if (!result.registered) {
    await platform.appendSummary([`### ♻️ Model ${code(sourceId)} already in ${code(target.ws.workspace)}`, '', table(['', ''], rows), '', 'Identical content is registered there already; nothing copied.', ''].join('\n'));
    return { status: 'succeeded', message: `${target.ws.workspace} already has ${sourceId}'s content as ${targetId}; nothing copied.` };
  }
  await platform.appendSummary([`### ✅ Model ${code(sourceId)} transferred to ${code(target.ws.workspace)}`, '', table(['', ''], rows), ''].join('\n'));
  return { status: 'succeeded', message: `Transferred ${sourceId} to ${target.ws.workspace} as ${targetId}: ${result.files} files, ${formatBytes(result.bytesCopied)} copied server-side and verified.` };
}

export const transferStep: Step = { declaration: transferDeclaration, run: transfer };
