// Moving files between a machine and Azure ML datastores: uploads in azure-ai-ml's layout with its
// deduplication (an "indicator" blob marked upload_status=completed), bounded concurrency and
// progress; downloads; and server-side copies between storage accounts, verified blob by blob.
import type { ContainerClient } from '@azure/storage-blob';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CancelledError } from '../platform/errors.js';
import type { LocalAsset, LocalFile } from './asset-hash.js';

export interface Progress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
  /** Bytes per second since the transfer started. */
  rate: number;
}

export interface TransferOptions {
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface UploadResult {
  /** false when an earlier completed upload of the same content was found. */
  uploaded: boolean;
  bytes: number;
  files: number;
  /** The asset name and version an earlier upload was registered as (from the indicator's metadata). */
  previous?: { name?: string; version?: string };
}

/** Runs `work` over `items` with at most `limit` at a time; stops early on cancellation. */
export async function eachLimited<T>(items: T[], limit: number, signal: AbortSignal | undefined, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      if (signal?.aborted) throw new CancelledError(String(signal.reason));
      const item = items[next++];
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Files up to this size go in one Put Blob (the SDK's default limit, stated so the MD5 rule below holds). */
const SINGLE_SHOT_BYTES = 256 * 1024 * 1024;

async function md5(file: string): Promise<Buffer> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest();
}

function progressTracker(totalFiles: number, totalBytes: number, onProgress?: (p: Progress) => void) {
  const started = Date.now();
  const state = { files: 0, bytes: 0 };
  return (fileDone: boolean, bytes: number) => {
    state.bytes += bytes;
    if (fileDone) state.files++;
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    onProgress?.({ files: state.files, totalFiles, bytes: state.bytes, totalBytes, rate: state.bytes / seconds });
  };
}

/**
 * Uploads a local asset to `container` under its LocalUpload/<hash>/ path, unless a completed upload
 * of the same content is already there (then nothing is sent). The first file in sorted order is the
 * indicator: it gets `upload_status=completed` (with the asset's name and version) only after every
 * file is in place, so an interrupted upload is never mistaken for a complete one.
 */
export async function uploadAsset(
  container: ContainerClient,
  asset: LocalAsset,
  registration: { name: string; version: string },
  options: TransferOptions = {},
): Promise<UploadResult> {
  if (asset.files.length === 0) throw new Error(`Nothing to upload: ${asset.source} is empty (or every file in it is ignored).`);
  const indicator = container.getBlockBlobClient(asset.files[0].blobPath);
  try {
    const props = await indicator.getProperties();
    if (props.metadata?.upload_status === 'completed') {
      return { uploaded: false, bytes: 0, files: 0, previous: { name: props.metadata.name, version: props.metadata.version } };
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  const tick = progressTracker(asset.files.length, asset.totalBytes, options.onProgress);
  // Largest first: the big files start while the many small ones fill the other slots, instead of a
  // few big uploads running on alone at the end. (The order is free: the indicator is marked last.)
  const largestFirst = [...asset.files].sort((a, b) => b.size - a.size);
  await eachLimited(largestFirst, options.concurrency ?? 8, options.signal, async (file: LocalFile) => {
    const blob = container.getBlockBlobClient(file.blobPath);
    let sent = 0;
    const upload = {
      abortSignal: options.signal,
      maxSingleShotSize: SINGLE_SHOT_BYTES,
      // A single-shot Put Blob gets its Content-MD5 from the service; a block upload only has one if
      // we send it, and copies are verified against it.
      ...(file.size > SINGLE_SHOT_BYTES ? { blobHTTPHeaders: { blobContentMD5: await md5(file.absolute) } } : {}),
      // Byte-level progress only when someone listens: the SDK's progress stream costs throughput.
      ...(options.onProgress
        ? {
            onProgress: (p: { loadedBytes: number }) => {
              tick(false, p.loadedBytes - sent);
              sent = p.loadedBytes;
            },
          }
        : {}),
    };
    // Small files go from the bytes the hash read (LocalFile.content), the rest from disk.
    if (file.content) await blob.upload(file.content, file.content.length, upload);
    else await blob.uploadFile(file.absolute, upload);
    tick(true, file.size - sent);
  });
  await indicator.setMetadata({ upload_status: 'completed', name: registration.name, version: registration.version });
  return { uploaded: true, bytes: asset.totalBytes, files: asset.files.length };
}

/** Downloads every blob under `prefix` into `target`, keeping the paths below the prefix. */
export async function downloadPrefix(container: ContainerClient, prefix: string, target: string, options: TransferOptions = {}): Promise<string[]> {
  const normalized = prefix.replace(/^\/+/, '');
  const blobs: Array<{ name: string; size: number }> = [];
  for await (const b of container.listBlobsFlat({ prefix: normalized })) blobs.push({ name: b.name, size: b.properties.contentLength ?? 0 });
  const base = normalized.endsWith('/') || blobs.length !== 1 || blobs[0].name !== normalized ? normalized.replace(/\/?$/, '/') : path.posix.dirname(normalized) + '/';
  const tick = progressTracker(blobs.length, blobs.reduce((n, b) => n + b.size, 0), options.onProgress);
  const written: string[] = [];
  await eachLimited(blobs, options.concurrency ?? 8, options.signal, async (b) => {
    const relative = b.name.startsWith(base) ? b.name.slice(base.length) : path.posix.basename(b.name);
    const file = path.join(target, ...relative.split('/'));
    if (!path.resolve(file).startsWith(path.resolve(target))) throw new Error(`Refusing to write outside ${target}: ${b.name}`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await container.getBlobClient(b.name).downloadToFile(file, 0, undefined, { abortSignal: options.signal });
    tick(true, b.size);
    written.push(file);
  });
  return written.sort();
}

export interface CopyOptions extends TransferOptions {
  /**
   * Read each copy back and hash it. Copy Blob carries the source's Content-MD5 over to the copy
   * without checking the bytes it received, so only reading the copy proves them; it costs one
   * download of the data (the copy itself still moves nothing through this process).
   */
  verifyContent?: boolean;
}

export interface CopyCheck {
  blob: string;
  length: number;
  md5?: string;
}

export class CopyVerificationError extends Error {
  override name = 'CopyVerificationError';
}

/**
 * Copies every blob under `sourcePrefix` to `destinationPrefix` in another account, server-side
 * (Copy Blob from a read-SAS URL: no byte passes through this process), waits for each copy and then
 * verifies it: the copy must have succeeded and have the source's length and Content-MD5.
 */
export async function copyPrefix(
  source: ContainerClient,
  sourcePrefix: string,
  readSasFor: (blobName: string) => Promise<string>,
  destination: ContainerClient,
  destinationPrefix: string,
  options: CopyOptions = {},
): Promise<CopyCheck[]> {
  const from = sourcePrefix.replace(/^\/+/, '').replace(/\/?$/, '/');
  const to = destinationPrefix.replace(/^\/+/, '').replace(/\/?$/, '/');
  const blobs: Array<{ name: string; size: number; md5?: string }> = [];
  for await (const b of source.listBlobsFlat({ prefix: from })) {
    const md5Value = b.properties.contentMD5 ? Buffer.from(b.properties.contentMD5).toString('base64') : undefined;
    blobs.push({ name: b.name, size: b.properties.contentLength ?? 0, md5: md5Value });
  }
  if (blobs.length === 0) throw new Error(`Nothing to copy: no blob under '${from}' in ${source.url.replace(/\?.*$/, '')}.`);
  const tick = progressTracker(blobs.length, blobs.reduce((n, b) => n + b.size, 0), options.onProgress);
  const checks: CopyCheck[] = [];
  await eachLimited(blobs, options.concurrency ?? 8, options.signal, async (b) => {
    const target = destination.getBlobClient(to + b.name.slice(from.length));
    const poller = await target.beginCopyFromURL(await readSasFor(b.name), { abortSignal: options.signal, intervalInMs: 200 });
    await poller.pollUntilDone();
    const props = await target.getProperties();
    if (props.copyStatus && props.copyStatus !== 'success') {
      throw new CopyVerificationError(`Copy of ${b.name} ended ${props.copyStatus}${props.copyStatusDescription ? `: ${props.copyStatusDescription}` : ''}.`);
    }
    const gotMd5 = props.contentMD5 ? Buffer.from(props.contentMD5).toString('base64') : undefined;
    if (props.contentLength !== b.size) {
      throw new CopyVerificationError(`Copy of ${b.name} has ${props.contentLength} bytes, the source ${b.size}.`);
    }
    if (b.md5 && gotMd5 !== b.md5) {
      throw new CopyVerificationError(`Copy of ${b.name} has Content-MD5 ${gotMd5 ?? '(none)'}, the source ${b.md5}: the bytes differ.`);
    }
    if (options.verifyContent && b.md5) {
      const hash = createHash('md5');
      const body = (await target.download(0, undefined, { abortSignal: options.signal })).readableStreamBody;
      if (body) for await (const chunk of body) hash.update(chunk as Buffer);
      const actual = hash.digest('base64');
      if (actual !== b.md5) {
        throw new CopyVerificationError(`Copy of ${b.name} is corrupt: its bytes hash to ${actual}, the source's Content-MD5 is ${b.md5}.`);
      }
    }
    checks.push({ blob: target.name, length: b.size, md5: gotMd5 });
    tick(true, b.size);
  });
  return checks.sort((a, b) => a.blob.localeCompare(b.blob));
}

/** A container client for a datastore: account-key, SAS or token credential, path-style for IP endpoints. */
export function containerUrl(accountName: string, containerName: string, endpoint: string, protocol: string): string {
  const host = endpoint.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  // Azurite (and any storage at an IP address or localhost) is addressed path-style: <host>/<account>.
  const pathStyle = /^(\d{1,3}(\.\d{1,3}){3}|localhost|\[[0-9a-f:]+\])(:\d+)?$/i.test(host);
  return pathStyle ? `${protocol}://${host}/${accountName}/${containerName}` : `${protocol}://${accountName}.blob.${host}/${containerName}`;
}

