// A test-only step that signs in through the core Azure layer and calls ARM repeatedly: run as a
// bundle under both contracts, it proves every sign-in mode and token renewal the way a real step
// would use them. It is not shipped; it is bundled by the test that uses it.
import { azureGroup, signInInputs, workspaceInputs } from '../../../shared/azure/inputs.js';
import { workspaceArmId } from '../../../shared/azure/references.js';
import { openWorkspaceAccess } from '../../../shared/azureml/workspace.js';
import { UserError } from '../../../shared/platform/errors.js';
import type { StepDeclaration } from '../../../shared/platform/declaration.js';
import type { Step } from '../../../shared/platform/step.js';

export const probeDeclaration: StepDeclaration = {
  id: 'azure-probe',
  title: 'Azure probe (tests only)',
  description: 'Signs in and reads the workspace repeatedly.',
  branding: { icon: 'activity', color: 'gray-dark' },
  task: { name: 'AzureProbe', guid: '00000000-0000-4000-8000-000000000000', friendlyName: 'Azure probe', category: 'Utility', major: 1, instanceNameFormat: 'probe' },
  groups: [azureGroup],
  inputs: [
    ...workspaceInputs,
    ...signInInputs,
    { name: 'duration-seconds', type: 'number', label: 'Duration', description: 'How long to keep calling.', default: '0' },
    { name: 'interval-ms', type: 'integer', label: 'Interval', description: 'Pause between calls.', default: '1000' },
  ],
  outputs: [
    { name: 'calls', description: 'ARM calls that succeeded.' },
    { name: 'workspace-location', description: 'The workspace location.' },
  ],
};

export const probeStep: Step = {
  declaration: probeDeclaration,
  async run(context) {
    const { platform, inputs, signal } = context;
    // The same session a real Azure step opens: sign-in, workspace, ARM client.
    const { ws, arm, stats } = await openWorkspaceAccess(context);
    const until = Date.now() + (inputs.number('duration-seconds') ?? 0) * 1000;
    let calls = 0;
    let location: string;
    do {
      if (signal.aborted) throw new UserError('cancelled');
      const got = await arm.get<{ location?: string }>(workspaceArmId(ws), `Reading workspace ${ws.workspace}`);
      location = got.location ?? '';
      calls++;
      if (Date.now() < until) await new Promise((r) => setTimeout(r, inputs.integer('interval-ms') ?? 1000));
    } while (Date.now() < until);
    platform.setOutput('calls', String(calls));
    platform.setOutput('workspace-location', location);
    platform.info(`HTTP requests: ${stats.requests}, retries: ${stats.retries}`);
    return { status: 'succeeded', message: `${calls} calls succeeded.` };
  },
};
