// ARM and blob requests per operation of the core Azure layer, against the emulator: what each
// building block of a step costs in round trips (the figure that matters on a throttled subscription).
//   npm run bench:azure
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workspaceArmId } from '../shared/azure/references.js';
import { DatastoreResolver } from '../shared/azureml/datastores.js';
import { describeLocalAsset } from '../shared/storage/asset-hash.js';
import { uploadAsset } from '../shared/storage/blob-engine.js';
import { start } from '../test/emulator/index.js';
import { trustCa } from '../test/emulator/testing.js';
import { emulatorArm } from '../test/helpers/emulator-arm.js';

const emulator = await start({});
trustCa(emulator.config.caCertPath);
try {
  const c = emulator.config;
  const { platform, access, stats, arm, ws } = await emulatorArm(c);
  const rows: Array<[string, number]> = [];
  const measure = async (what: string, work: () => Promise<unknown>) => {
    const before = stats.requests;
    await work();
    rows.push([what, stats.requests - before]);
  };
  await measure('read the workspace (first call; the token request goes to Entra ID, not counted)', () => arm.get(workspaceArmId(ws), 'Reading the workspace'));
  const datastores = new DatastoreResolver(platform, arm, access, stats);
  let store!: Awaited<ReturnType<DatastoreResolver['default']>>;
  await measure('open the default datastore (list isDefault + listSecrets)', async () => (store = await datastores.default(ws)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-azure-'));
  fs.cpSync(path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'examples', 'credit-default', 'src'), path.join(dir, 'src'), { recursive: true });
  const asset = await describeLocalAsset(path.join(dir, 'src'));
  await measure(`upload the sample's src/ (${asset.files.length} files) as a code snapshot`, () => uploadAsset(store.container, asset, { name: 'bench', version: '1' }));
  await measure('upload it again (unchanged: deduplicated)', () => uploadAsset(store.container, asset, { name: 'bench', version: '1' }));
  await measure('open the default datastore again (cached)', () => datastores.default(ws));
  console.log('| operation | HTTP requests |');
  console.log('| --- | --- |');
  for (const [what, n] of rows) console.log(`| ${what} | ${n} |`);
} finally {
  await emulator.stop();
}
