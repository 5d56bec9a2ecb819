// Bundles a compiled test entry with ncc, as npm run build bundles the real ones (for test-only probes).
import ncc from '@vercel/ncc';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './paths.js';

export async function bundleForTest(entry: string): Promise<string> {
  const { code, assets } = await ncc(path.join(ROOT, 'build', entry), { cache: false, quiet: true, target: 'es2022' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-bundle-'));
  fs.writeFileSync(path.join(dir, 'index.mjs'), code);
  for (const [name, asset] of Object.entries(assets ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), asset.source);
  }
  return path.join(dir, 'index.mjs');
}
