// Child-process entry that runs Azurite's blob service for the emulator. It exists so that Azurite dies
// with its parent: the IPC channel closes when the emulator exits for any reason (even SIGKILL), and
// this process then exits too. Arguments are Azurite's own (`azurite-blob` flags); accounts come from
// AZURITE_ACCOUNTS in the environment.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
require(require.resolve('azurite/dist/src/blob/main.js'));
