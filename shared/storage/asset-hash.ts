// The upload hash and file list azure-ai-ml computes for a local folder or file (`get_object_hash`,
// `traverse_directory`), so an upload of ours lands under the same LocalUpload/<hash>/ prefix as
// `az ml`'s and the two deduplicate against each other.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { IgnoreRules } from './ignore.js';

/** The fixed seed of azure-ai-ml's MD5 ("october 2021" hash version). */
const SEED = 'Initialize for october 2021 AML CLI version';

export interface LocalFile {
  /** Absolute path on disk. */
  absolute: string;
  /** Path below the uploaded folder, forward slashes (for a single file: its name). */
  relative: string;
  size: number;
  /** Where it goes on the datastore. */
  blobPath: string;
}

export interface LocalAsset {
  /** The folder or file that was hashed. */
  source: string;
  isFolder: boolean;
  hash: string;
  files: LocalFile[];
  /** `LocalUpload/<hash>/<folder or file name>`: the asset's path on the datastore. */
  assetPath: string;
  totalBytes: number;
}

async function hashFile(file: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
}

/**
 * Walks a folder the way azure-ai-ml hashes it: entries sorted by their lower-cased path, each
 * entry's name and then its bytes (files) or its own entries (folders); ignored entries are skipped,
 * symbolic links followed.
 */
async function hashFolder(folder: string, root: string, rules: IgnoreRules, hash: Hash, files: LocalFile[]): Promise<void> {
  const names = (await fs.readdir(folder)).sort((a, b) => compareLower(a, b));
  for (const name of names) {
    const absolute = path.join(folder, name);
    const relative = path.relative(root, absolute).split(path.sep).join('/');
    if (rules.excludes(relative)) continue;
    hash.update(Buffer.from(name, 'utf8'));
    const stat = await fs.stat(absolute);
    if (stat.isFile()) {
      await hashFile(absolute, hash);
      files.push({ absolute, relative, size: stat.size, blobPath: '' });
    } else if (stat.isDirectory()) {
      await hashFolder(absolute, root, rules, hash, files);
    }
  }
}

function compareLower(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * `extraIgnores`: patterns applied after the folder's own ignore file (azure-ai-ml's
 * ComponentIgnoreFile adds `__pycache__` for a component's code).
 */
export async function describeLocalAsset(source: string, options: { extraIgnores?: string[] } = {}): Promise<LocalAsset> {
  const stat = await fs.stat(source);
  const hash = createHash('md5').update(SEED);
  const files: LocalFile[] = [];
  if (stat.isDirectory()) {
    await hashFolder(source, source, IgnoreRules.forFolder(source, options.extraIgnores), hash, files);
  } else {
    await hashFile(source, hash);
    files.push({ absolute: source, relative: path.basename(source), size: stat.size, blobPath: '' });
  }
  const digest = hash.digest('hex');
  // Uploads go in sorted order of their path, as traverse_directory sorts them; the first is the
  // "indicator file" whose metadata marks a completed upload.
  files.sort((a, b) => (a.absolute < b.absolute ? -1 : a.absolute > b.absolute ? 1 : 0));
  const assetPath = `LocalUpload/${digest}/${path.basename(path.resolve(source))}`;
  for (const f of files) f.blobPath = stat.isDirectory() ? `${assetPath}/${f.relative}` : assetPath;
  return {
    source,
    isFolder: stat.isDirectory(),
    hash: digest,
    files,
    assetPath,
    totalBytes: files.reduce((n, f) => n + f.size, 0),
  };
}

/**
 * azure-ai-ml's `get_content_hash` (hash_version 202208), sent as a code version's `hash_sha256`: SHA-256
 * over the file count, then `#<path>#<size>` of every file, then every file's bytes, files ordered by
 * their lower-cased relative path.
 */
export async function contentHash(asset: LocalAsset): Promise<string> {
  const files = [...asset.files].sort((a, b) => compareLower(a.relative, b.relative));
  const hash = createHash('sha256').update(String(files.length));
  for (const f of files) hash.update(`#${f.relative}#`).update(String(f.size));
  for (const f of files) await hashFile(f.absolute, hash);
  return hash.digest('hex');
}
