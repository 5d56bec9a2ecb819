// The core Azure layer signed in against the emulator as a step signs in (service principal with a
// client secret, read through the step's own inputs so the secret is masked as it would be): for tests
// and benchmarks that call shared/ directly rather than through a bundle.
import { ArmClient } from '../../shared/azure/arm.js';
import { RequestStats } from '../../shared/azure/clients.js';
import { signIn } from '../../shared/azure/credentials.js';
import type { WorkspaceRef } from '../../shared/azure/references.js';
import { Inputs } from '../../shared/platform/inputs.js';
import type { ReadyConfig } from '../emulator/index.js';
import { probeDeclaration } from '../e2e/probe/azure-probe.js';
import { RecordingPlatform } from './recording-platform.js';

/** A recording platform whose inputs sign in to the emulator and name its dev workspace. */
export function emulatorPlatform(c: ReadyConfig): RecordingPlatform {
  return new RecordingPlatform({
    'client-id': c.clientId,
    'tenant-id': c.tenantId,
    'client-secret': c.clientSecret,
    'arm-endpoint': c.armEndpoint,
    'authority-host': c.authorityHost,
    workspace: c.dev.workspace,
  });
}

/** Signs in on `platform` and opens the ARM client, counting requests in `stats`. */
export async function emulatorArm(c: ReadyConfig, platform: RecordingPlatform = emulatorPlatform(c)) {
  const access = await signIn(platform, Inputs.fromPlatform(probeDeclaration, platform));
  const stats = new RequestStats();
  const ws: WorkspaceRef = { subscriptionId: c.subscriptionId, resourceGroup: c.dev.resourceGroup, workspace: c.dev.workspace };
  return { platform, access, stats, ws, arm: new ArmClient(platform, access, stats) };
}
