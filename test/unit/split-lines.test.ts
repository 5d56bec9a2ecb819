import { describe, expect, test } from '@jest/globals';
import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { splitLines } from '../../shared/process/run-tool.js';

/** Feeds `bytes` in the given chunk sizes and collects the lines. */
function viaSplitLines(bytes: Buffer, sizes: number[]): Promise<string[]> {
  return new Promise((resolve) => {
    const stream = new PassThrough();
    const lines: string[] = [];
    splitLines(stream, (l) => lines.push(l), () => resolve(lines));
    feed(stream, bytes, sizes);
  });
}

function viaReadline(bytes: Buffer): Promise<string[]> {
  return new Promise((resolve) => {
    const stream = new PassThrough();
    const lines: string[] = [];
    const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', (l) => lines.push(l));
    rl.on('close', () => resolve(lines));
    stream.end(bytes);
  });
}

function feed(stream: PassThrough, bytes: Buffer, sizes: number[]): void {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]);
    stream.write(bytes.subarray(at, at + n));
    at += n;
  }
  stream.end();
}

describe('splitLines (the tools\' output, line by line)', () => {
  const texts = [
    'src/a.py:1:1: F401 unused\nsrc/b.py:2:3: E302 expected 2 blank lines\n',
    'no newline at the end',
    'crlf\r\nlines\r\nand a last one',
    'a lone\rcarriage return\r',
    '\n\n\nempty lines\n\n',
    'ünïcödé → split across chunks ✓ 😀\n second line 日本語\r\n',
    'x'.repeat(70_000) + '\n' + 'y'.repeat(10),
    '',
  ];
  test.each(texts.map((t, i) => [i, t] as const))('text %i reads as node:readline reads it, in any chunking', async (_i, text) => {
    const bytes = Buffer.from(text, 'utf8');
    const expected = await viaReadline(bytes);
    for (const sizes of [[bytes.length || 1], [1], [2, 3], [7], [1, 64, 2]]) {
      expect(await viaSplitLines(bytes, sizes)).toEqual(expected);
    }
  });
});
