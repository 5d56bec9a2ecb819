// Unguessable tokens (GITHUB_OUTPUT delimiters, the stop-commands token, temporary file names) without
// loading node:crypto: it takes ~4 ms to load, in front of every quality step's tool, for 16 random
// bytes. /dev/urandom is the kernel's CSPRNG on Linux and macOS runners (the same source node:crypto
// seeds from); where it is missing (Windows), node:crypto is loaded after all.
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

/** 32 hexadecimal characters from 16 cryptographically random bytes. */
export function randomToken(): string {
  const bytes = Buffer.alloc(16);
  let fd: number | undefined;
  try {
    fd = openSync('/dev/urandom', 'r');
    if (readSync(fd, bytes, 0, 16, null) === 16) return bytes.toString('hex');
  } catch {
    // no /dev/urandom: below
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return crypto.randomBytes(16).toString('hex');
}
