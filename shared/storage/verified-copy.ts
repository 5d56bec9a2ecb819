// Copies a set of blobs into another storage account server-side and verified, without a byte of their
// content passing through this process: each file is one Put Block From URL (the service reads the
// source through a read SAS) carrying the source's Content-MD5 as x-ms-source-content-md5, so the
// service itself checks the bytes it received; the block is committed with that MD5, and every copy's
// length and Content-MD5 are checked again in one listing of the destination at the end. Blobs already
// at the destination with the same length and MD5 are reused. If any file fails, every blob this call created is deleted: nothing partial is left.
import type { ContainerClient } from '@azure/storage-blob';
import { createHash } from 'node:crypto';
import { CancelledError } from '../platform/errors.js';
import { CopyVerificationError, type Progress } from './blob-engine.js';

/** Put Block From URL moves at most 4000 MiB in one block (x-ms-version 2019-12-12 and later). */
export const MAX_BLOCK_FROM_URL = 4000 * 1024 * 1024;

export interface SourceBlob {
  /** Full blob name in the source container. */
  name: string;
  /** Path below the copied prefix (forward slashes); for a single-file model, its file name. */
  relative: string;
  size: number;
  /** Base64 Content-MD5 of the source, when it has one. */
  md5?: string;
  contentType?: string;
}

export interface VerifiedCopyOptions {
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface VerifiedCopyResult {
  files: number;
  /** Files copied by this call (the rest were already there, identical). */
  copied: number;
  /** Bytes the service copied server-side for this call. */
  bytesCopied: number;
  /** Destination blob names, sorted. */
  blobs: string[];
}

/**
 * Lists what a model's path holds: the blobs under `path/` (a folder) or the one blob `path` (a file).
 * A folder's files keep their paths below the prefix.
 */
export async function listModelBlobs(container: ContainerClient, path: string): Promise<SourceBlob[]> {
  const clean = path.replace(/^\/+/, '');
  const prefix = clean === '' || clean.endsWith('/') ? clean : `${clean}/`;
  const found: SourceBlob[] = [];
  const add = (name: string, relative: string, p: { contentLength?: number; contentMD5?: Uint8Array; contentType?: string }) =>
    found.push({ name, relative, size: p.contentLength ?? 0, md5: p.contentMD5 && p.contentMD5.length ? Buffer.from(p.contentMD5).toString('base64') : undefined, contentType: p.contentType });
  for await (const b of container.listBlobsFlat({ prefix })) {
    const relative = b.name.slice(prefix.length);
    if (relative && !relative.endsWith('/')) add(b.name, relative, b.properties);
  }
  if (found.length === 0 && clean && !clean.endsWith('/')) {
    for await (const b of container.listBlobsFlat({ prefix: clean })) {
      if (b.name === clean) add(b.name, clean.split('/').pop()!, b.properties);
    }
  }
  return found.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

/** A content fingerprint of a blob set: SHA-256 over each file's relative path, size and MD5. */
export function fingerprint(blobs: Array<Pick<SourceBlob, 'relative' | 'size' | 'md5'>>): string {
  const hash = createHash('sha256');
  for (const b of [...blobs].sort((x, y) => (x.relative < y.relative ? -1 : x.relative > y.relative ? 1 : 0))) {
    hash.update(`${b.relative}\n${b.size}\n${b.md5 ?? ''}\n`);
  }
  return hash.digest('hex');
}

/** Fills in the MD5 of sources that have none by reading them (the only bytes this process reads). */
export async function ensureMd5(container: ContainerClient, blobs: SourceBlob[], signal?: AbortSignal): Promise<number> {
  let read = 0;
  for (const b of blobs) {
    if (b.md5) continue;
    const hash = createHash('md5');
    const body = (await container.getBlobClient(b.name).download(0, undefined, { abortSignal: signal })).readableStreamBody;
    if (body) for await (const chunk of body) hash.update(chunk as Buffer);
    b.md5 = hash.digest('base64');
    read += b.size;
  }
  return read;
}

function blockId(): string {
  // Block ids are base64 of equal-length strings; one block per file.
  return Buffer.from('mlops-actions-block-0000000000').toString('base64');
}

/**
 * Copies `blobs` (each with its MD5: see ensureMd5) from `source`, read through `sasUrl(blob)`, to
 * `destinationPrefix/<relative>` in `destination`, verified by the service and checked afterwards.
 */
export async function copyVerified(
  source: { sasUrl: (blobName: string) => string },
  blobs: SourceBlob[],
  destination: ContainerClient,
  destinationPrefix: string,
  options: VerifiedCopyOptions = {},
): Promise<VerifiedCopyResult> {
  const to = destinationPrefix.replace(/^\/+/, '').replace(/\/+$/, '');
  const created: string[] = [];
  const started = Date.now();
  const totalBytes = blobs.reduce((n, b) => n + b.size, 0);
  const state = { files: 0, bytes: 0, copied: 0, bytesCopied: 0 };
  const tick = (bytes: number) => {
    state.files++;
    state.bytes += bytes;
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    options.onProgress?.({ files: state.files, totalFiles: blobs.length, bytes: state.bytes, totalBytes, rate: state.bytes / seconds });
  };
  const targetName = (b: SourceBlob) => (to ? `${to}/${b.relative}` : b.relative);
  // What is already at the destination, in one listing rather than one request per file.
  const listing = async () => {
    const found = new Map<string, { size: number; md5?: string }>();
    for await (const x of destination.listBlobsFlat({ prefix: to ? `${to}/` : undefined })) {
      found.set(x.name, { size: x.properties.contentLength ?? -1, md5: x.properties.contentMD5?.length ? Buffer.from(x.properties.contentMD5).toString('base64') : undefined });
    }
    return found;
  };
  const before = await listing();
  const copyOne = async (b: SourceBlob): Promise<void> => {
    if (!b.md5) throw new Error(`No Content-MD5 for ${b.name}: call ensureMd5 first.`);
    if (b.size > MAX_BLOCK_FROM_URL) {
      throw new CopyVerificationError(`${b.relative} is ${b.size} bytes; copying files over 4000 MiB is not supported yet.`);
    }
    const target = destination.getBlockBlobClient(targetName(b));
    const existing = before.get(target.name);
    if (existing && existing.size === b.size && existing.md5 === b.md5) {
      tick(b.size);
      return;
    }
    const headers = { blobContentMD5: Buffer.from(b.md5, 'base64'), blobContentType: b.contentType };
    created.push(target.name);
    if (b.size === 0) {
      await target.upload('', 0, { blobHTTPHeaders: headers, abortSignal: options.signal });
    } else {
      const id = blockId();
      try {
        await target.stageBlockFromURL(id, source.sasUrl(b.name), 0, b.size, { sourceContentMD5: Buffer.from(b.md5, 'base64'), abortSignal: options.signal });
      } catch (error) {
        const e = error as { statusCode?: number; code?: string; details?: { errorCode?: string } };
        const code = e.code ?? e.details?.errorCode;
        if (e.statusCode === 400 && /md5mismatch/i.test(String(code))) {
          throw new CopyVerificationError(`Copy of ${b.relative} failed verification: the bytes the storage service received from the source do not match the source's Content-MD5 ${b.md5} (Md5Mismatch).`);
        }
        throw error;
      }
      await target.commitBlockList([id], { blobHTTPHeaders: headers, abortSignal: options.signal });
    }
    state.copied++;
    state.bytesCopied += b.size;
    tick(b.size);
  };
  /** Every file's length and Content-MD5 as the destination now reports them (one listing). */
  const verifyAll = async () => {
    const after = await listing();
    for (const b of blobs) {
      const got = after.get(targetName(b));
      if (!got) throw new CopyVerificationError(`Copy of ${b.relative} is missing at the destination.`);
      if (got.size !== b.size) throw new CopyVerificationError(`Copy of ${b.relative} has ${got.size} bytes, the source ${b.size}.`);
      if (got.md5 !== b.md5) throw new CopyVerificationError(`Copy of ${b.relative} has Content-MD5 ${got.md5 ?? '(none)'}, the source ${b.md5}.`);
    }
  };
  // Workers stop taking files after the first failure and the others finish theirs, so the clean-up
  // below sees every blob that was written.
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < blobs.length && !failure) {
      if (options.signal?.aborted) {
        failure = { error: new CancelledError(String(options.signal.reason)) };
        break;
      }
      const b = blobs[next++];
      try {
        await copyOne(b);
      } catch (error) {
        failure ??= { error: options.signal?.aborted ? new CancelledError(String(options.signal.reason)) : error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, blobs.length) }, worker));
  if (!failure) await verifyAll().catch((error: unknown) => (failure = { error }));
  if (failure) {
    // Leave nothing half-copied behind: remove what this call wrote (staged, uncommitted blocks are
    // not blobs and expire on their own).
    await Promise.all(created.map((name) => destination.getBlobClient(name).deleteIfExists().catch(() => undefined)));
    throw failure.error;
  }
  return {
    files: blobs.length,
    copied: state.copied,
    bytesCopied: state.bytesCopied,
    blobs: blobs.map(targetName).sort(),
  };
}
