// The upload hash and file list azure-ai-ml computes for a local folder or file (`get_object_hash`,
// `traverse_directory`), so an upload of ours lands under the same LocalUpload/<hash>/ prefix as
// `az ml`'s and the two deduplicate against each other.
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { IgnoreRules } from './ignore.js';

/** The fixed seed of azure-ai-ml's MD5 ("october 2021" hash version). */
const SEED = 'Initialize for october 2021 AML CLI version';

export interface LocalFile {
  /** Absolute path on disk (through any symbolic link on the way). */
  absolute: string;
  /** What the file is read from: a symbolic link's target, otherwise `absolute`. */
  readFrom: string;
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

/** What the folder hash is fed, in order: an entry's name, or a file's bytes. */
type HashStep = Buffer | { file: string; size: number };

/**
 * Walks a folder the way azure-ai-ml hashes it: entries sorted by their lower-cased path, each
 * entry's name and then its bytes (files) or its own entries (folders); ignored entries are skipped,
 * symbolic links followed. Only lists and stats here; the bytes are read by hashInOrder.
 */
async function walkFolder(folder: string, root: string, rules: IgnoreRules, steps: HashStep[], files: LocalFile[]): Promise<void> {
  const names = (await fs.readdir(folder)).sort((a, b) => compareLower(a, b));
  for (const name of names) {
    const absolute = path.join(folder, name);
    const relative = path.relative(root, absolute).split(path.sep).join('/');
    if (rules.excludes(relative)) continue;
    steps.push(Buffer.from(name, 'utf8'));
    const stat = await fs.stat(absolute);
    if (stat.isFile()) {
      steps.push({ file: absolute, size: stat.size });
      files.push({ absolute, readFrom: await linkTarget(absolute), relative, size: stat.size, blobPath: '' });
    } else if (stat.isDirectory()) {
      await walkFolder(absolute, root, rules, steps, files);
    }
  }
}

/** A file that is itself a symbolic link is uploaded from its target (azure-ai-ml `traverse_directory`). */
async function linkTarget(file: string): Promise<string> {
  const lstat = await fs.lstat(file);
  if (!lstat.isSymbolicLink()) return file;
  // azure-ai-ml joins a relative target to the current directory rather than the link's folder; the
  // two agree for absolute targets, and for relative ones only when az ml runs in the link's folder.
  return path.resolve(path.dirname(file), await fs.readlink(file));
}

/** Python's string order: by code point (JavaScript's `<` compares UTF-16 units, which differs past U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i].codePointAt(0)! - y[i].codePointAt(0)!;
  }
  return x.length - y.length;
}

/** Reads are 4 MiB pieces, up to 8 of them (32 MiB) ahead of the hash. */
const PIECE_BYTES = 4 * 1024 * 1024;
const PIECES_AHEAD = 8;

async function readPiece(file: string, offset: number, length: number): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === length ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/**
 * Feeds `steps` to the hash in order, reading the files' bytes ahead of it: the disk (and the
 * thread pool) works on the next pieces while the hash digests this one, so hashing a folder costs
 * about the hash's own time rather than the hash's plus every read's.
 */
async function hashInOrder(steps: HashStep[], hash: Hash): Promise<void> {
  const pieces: Array<Buffer | { file: string; offset: number; length: number }> = [];
  for (const step of steps) {
    if (Buffer.isBuffer(step)) pieces.push(step);
    else for (let offset = 0; offset < step.size; offset += PIECE_BYTES) pieces.push({ file: step.file, offset, length: Math.min(PIECE_BYTES, step.size - offset) });
  }
  const reads = new Map<number, Promise<Buffer>>();
  let started = 0;
  const startUpTo = (limit: number) => {
    for (; started < Math.min(limit, pieces.length); started++) {
      const piece = pieces[started];
      if (Buffer.isBuffer(piece)) continue;
      const read = readPiece(piece.file, piece.offset, piece.length);
      read.catch(() => undefined); // awaited in order below; a failure surfaces there
      reads.set(started, read);
    }
  };
  try {
    for (let i = 0; i < pieces.length; i++) {
      startUpTo(i + 1 + PIECES_AHEAD);
      const piece = pieces[i];
      if (Buffer.isBuffer(piece)) hash.update(piece);
      else {
        hash.update(await reads.get(i)!);
        reads.delete(i);
      }
    }
  } finally {
    // On a failed read, let the reads already started finish before returning (no open handles left behind).
    await Promise.allSettled(reads.values());
  }
}

function compareLower(a: string, b: string): number {
  return compareCodePoints(a.toLowerCase(), b.toLowerCase());
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
    const steps: HashStep[] = [];
    await walkFolder(source, source, IgnoreRules.forFolder(source, options.extraIgnores), steps, files);
    await hashInOrder(steps, hash);
  } else {
    await hashInOrder([{ file: source, size: stat.size }], hash);
    files.push({ absolute: source, readFrom: await linkTarget(source), relative: path.basename(source), size: stat.size, blobPath: '' });
  }
  const digest = hash.digest('hex');
  const assetPath = `LocalUpload/${digest}/${path.basename(path.resolve(source))}`;
  for (const f of files) f.blobPath = stat.isDirectory() ? `${assetPath}/${f.relative}` : assetPath;
  // Uploads go in the order upload_directory sorts them — by the path read from (a link's target), then
  // the blob path, in code-point order; the first is the "indicator file" whose metadata marks a
  // completed upload, so both must pick the same one.
  files.sort((a, b) => compareCodePoints(a.readFrom, b.readFrom) || compareCodePoints(a.blobPath, b.blobPath));
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
 * azure-ai-ml's content hash of an asset (`get_content_hash`, hash version 202208): SHA-256 over the
 * number of files, then `#<relative path>#<size>` of each, then each file's bytes, files in the order of
 * their lower-cased relative path. A Code asset carries it as `hash_sha256`. It reads every file again,
 * so it is computed only when asked for.
 */
export const CONTENT_HASH_VERSION = '202208';

export async function contentHash(asset: LocalAsset): Promise<string> {
  const hash = createHash('sha256').update(String(asset.files.length));
  // A single file goes by the name of what it is read from (a link's target), a folder's files by their path in it.
  const named = asset.files.map((f) => ({ ...f, name: asset.isFolder ? f.relative : path.basename(f.readFrom) }));
  const ordered = named.sort((a, b) => compareLower(a.name, b.name));
  for (const f of ordered) hash.update(`#${f.name}#${f.size}`, 'utf8');
  await hashInOrder(ordered.map((f) => ({ file: f.absolute, size: f.size })), hash);
  return hash.digest('hex');
}
