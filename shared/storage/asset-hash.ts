// The upload hash and file list azure-ai-ml computes for a local folder or file (`get_object_hash`,
// `traverse_directory`), so an upload of ours lands under the same LocalUpload/<hash>/ prefix as
// `az ml`'s and the two deduplicate against each other.
import { createHash, type Hash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
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
  /**
   * The bytes the hash read, kept for small files (up to KEPT_BYTES in all): the upload sends these
   * instead of reading the file again, so what is uploaded is exactly what was hashed.
   */
  content?: Buffer;
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
type HashStep = Buffer | { file: string; size: number; keep?: LocalFile };

/**
 * Walks a folder the way azure-ai-ml hashes it: entries sorted by their lower-cased path, each
 * entry's name and then its bytes (files) or its own entries (folders); ignored entries are skipped,
 * symbolic links followed. Only lists and stats here; the bytes are read by hashInOrder.
 *
 * Synchronous on purpose: each call takes microseconds (directory entries and inodes are in memory
 * after the first look), where an asynchronous one waits a round trip through the thread pool; for a
 * folder of a few hundred files those round trips cost more than all the listing itself.
 */
function walkFolder(folder: string, root: string, rules: IgnoreRules, steps: HashStep[], files: LocalFile[]): void {
  const names = readdirSync(folder).sort((a, b) => compareLower(a, b));
  for (const name of names) {
    const absolute = path.join(folder, name);
    const relative = path.relative(root, absolute).split(path.sep).join('/');
    if (rules.excludes(relative)) continue;
    steps.push(Buffer.from(name, 'utf8'));
    const stat = statSync(absolute);
    if (stat.isFile()) {
      const file: LocalFile = { absolute, readFrom: linkTarget(absolute), relative, size: stat.size, blobPath: '' };
      steps.push({ file: absolute, size: stat.size, keep: file });
      files.push(file);
    } else if (stat.isDirectory()) {
      walkFolder(absolute, root, rules, steps, files);
    }
  }
}

/** A file that is itself a symbolic link is uploaded from its target (azure-ai-ml `traverse_directory`). */
function linkTarget(file: string): string {
  if (!lstatSync(file).isSymbolicLink()) return file;
  // azure-ai-ml joins a relative target to the current directory rather than the link's folder; the
  // two agree for absolute targets, and for relative ones only when az ml runs in the link's folder.
  return path.resolve(path.dirname(file), readlinkSync(file));
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

async function readPiece(file: string, offset: number, length: number, buffer: Buffer): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/**
 * Files up to this size are read whole and synchronously when the hash reaches them (a page-cache read
 * of a few KiB takes microseconds; through the thread pool, open + read + close cost three round trips
 * each); larger ones are read in pieces ahead of the hash.
 */
const SMALL_FILE_BYTES = 256 * 1024;
/** At most this many bytes of small files are kept for the upload (LocalFile.content). */
const KEPT_BYTES = 32 * 1024 * 1024;

/**
 * Feeds `steps` to the hash in order, reading the larger files' bytes ahead of it: the disk (and the
 * thread pool) works on the next pieces while the hash digests this one, so hashing a folder costs
 * about the hash's own time rather than the hash's plus every read's.
 */
async function hashInOrder(steps: HashStep[], hash: Hash): Promise<void> {
  type Piece = Buffer | { file: string; size: number; keep?: LocalFile } | { file: string; offset: number; length: number };
  let kept = 0;
  const pieces: Piece[] = [];
  for (const step of steps) {
    if (Buffer.isBuffer(step) || step.size <= SMALL_FILE_BYTES) pieces.push(step);
    else for (let offset = 0; offset < step.size; offset += PIECE_BYTES) pieces.push({ file: step.file, offset, length: Math.min(PIECE_BYTES, step.size - offset) });
  }
  const reads = new Map<number, Promise<Buffer>>();
  // The hash consumes a piece synchronously, so its buffer is reused for a later read: the same few
  // buffers (PIECES_AHEAD of them) serve the whole folder instead of fresh memory for every piece.
  const spare: Buffer[] = [];
  let started = 0;
  // Read-ahead counts pieces of large files only: small files cost nothing to wait for.
  const startAhead = (from: number) => {
    started = Math.max(started, from);
    let ahead = reads.size;
    for (; started < pieces.length && ahead < PIECES_AHEAD; started++) {
      const piece = pieces[started];
      if (Buffer.isBuffer(piece) || !('offset' in piece)) continue;
      const read = readPiece(piece.file, piece.offset, piece.length, spare.pop() ?? Buffer.allocUnsafe(PIECE_BYTES));
      read.catch(() => undefined); // awaited in order below; a failure surfaces there
      reads.set(started, read);
      ahead++;
    }
  };
  try {
    for (let i = 0; i < pieces.length; i++) {
      startAhead(i);
      const piece = pieces[i];
      if (Buffer.isBuffer(piece)) hash.update(piece);
      else if (!('offset' in piece)) {
        const bytes = readFileSync(piece.file);
        hash.update(bytes);
        if (piece.keep && kept + bytes.length <= KEPT_BYTES) {
          piece.keep.content = bytes;
          kept += bytes.length;
        }
      }
      else {
        const bytes = await reads.get(i)!;
        hash.update(bytes);
        reads.delete(i);
        spare.push(Buffer.from(bytes.buffer, bytes.byteOffset, PIECE_BYTES));
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
    walkFolder(source, source, IgnoreRules.forFolder(source, options.extraIgnores), steps, files);
    await hashInOrder(steps, hash);
  } else {
    const file: LocalFile = { absolute: source, readFrom: linkTarget(source), relative: path.basename(source), size: stat.size, blobPath: '' };
    await hashInOrder([{ file: source, size: stat.size, keep: file }], hash);
    files.push(file);
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
  await hashInOrder(ordered.map((f) => f.content ?? { file: f.absolute, size: f.size }), hash);
  return hash.digest('hex');
}
