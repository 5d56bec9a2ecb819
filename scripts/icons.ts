// Icons for the Marketplace extension and for each task in the Azure DevOps task picker, drawn from a few
// vector shapes and written as PNG at build time (nothing binary is committed). A task's icon takes the
// colour of its GitHub branding, so a step looks the same in both places.
import { deflateSync } from 'node:zlib';

type Point = [number, number];
/** Shapes in a 0..1 square, drawn white on the coloured tile. */
type Shape =
  | { kind: 'line'; points: Point[]; width: number }
  | { kind: 'polygon'; points: Point[] }
  | { kind: 'circle'; center: Point; radius: number };

/** GitHub's branding colours (action.yml `branding.color`). */
const COLOURS: Record<string, [number, number, number]> = {
  white: [0x6a, 0x73, 0x7d],
  yellow: [0xdb, 0xab, 0x09],
  blue: [0x03, 0x66, 0xd6],
  green: [0x28, 0xa7, 0x45],
  orange: [0xf6, 0x6a, 0x0a],
  red: [0xd7, 0x3a, 0x49],
  purple: [0x6f, 0x42, 0xc1],
  'gray-dark': [0x24, 0x29, 0x2e],
};

const GLYPHS: Record<string, Shape[]> = {
  // Lines of text, the last one short: a linter reads code.
  lint: [0.3, 0.45, 0.6].map((y, i) => ({ kind: 'line', points: [[0.25, y], [i === 2 ? 0.55 : 0.75, y]], width: 0.08 })),
  // A shield.
  bandit: [{ kind: 'polygon', points: [[0.5, 0.2], [0.76, 0.3], [0.72, 0.58], [0.5, 0.8], [0.28, 0.58], [0.24, 0.3]] }],
  // A check mark.
  pytest: [{ kind: 'line', points: [[0.26, 0.52], [0.43, 0.68], [0.75, 0.32]], width: 0.1 }],
  // A rising learning curve.
  train: [{ kind: 'line', points: [[0.22, 0.72], [0.4, 0.5], [0.55, 0.58], [0.78, 0.28]], width: 0.08 }],
  // A tag.
  register: [{ kind: 'polygon', points: [[0.22, 0.3], [0.55, 0.3], [0.78, 0.5], [0.55, 0.7], [0.22, 0.7]] }],
  // An arrow to the right.
  transfer: [
    { kind: 'line', points: [[0.22, 0.5], [0.72, 0.5]], width: 0.09 },
    { kind: 'line', points: [[0.55, 0.32], [0.74, 0.5], [0.55, 0.68]], width: 0.09 },
  ],
  // An arrow up onto a platform.
  deploy: [
    { kind: 'line', points: [[0.5, 0.64], [0.5, 0.22]], width: 0.09 },
    { kind: 'line', points: [[0.33, 0.38], [0.5, 0.21], [0.67, 0.38]], width: 0.09 },
    { kind: 'line', points: [[0.25, 0.78], [0.75, 0.78]], width: 0.09 },
  ],
  // A pulse.
  'smoke-test': [{ kind: 'line', points: [[0.18, 0.55], [0.36, 0.55], [0.45, 0.3], [0.56, 0.72], [0.64, 0.5], [0.82, 0.5]], width: 0.07 }],
  // Three connected stages: the extension itself.
  extension: [
    { kind: 'line', points: [[0.27, 0.65], [0.5, 0.35], [0.73, 0.65]], width: 0.06 },
    { kind: 'circle', center: [0.27, 0.65], radius: 0.1 },
    { kind: 'circle', center: [0.5, 0.35], radius: 0.1 },
    { kind: 'circle', center: [0.73, 0.65], radius: 0.1 },
  ],
};

function distanceToSegment(p: Point, a: Point, b: Point): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

function inside(p: Point, shape: Shape): boolean {
  switch (shape.kind) {
    case 'circle':
      return Math.hypot(p[0] - shape.center[0], p[1] - shape.center[1]) <= shape.radius;
    case 'line':
      return shape.points.slice(1).some((b, i) => distanceToSegment(p, shape.points[i], b) <= shape.width / 2);
    case 'polygon': {
      let hit = false;
      const pts = shape.points;
      for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
        const [xi, yi] = pts[i];
        const [xj, yj] = pts[j];
        if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) hit = !hit;
      }
      return hit;
    }
  }
}

/** Inside the rounded tile (corner radius 0.18 of the side)? */
function inTile([x, y]: Point): boolean {
  const r = 0.18;
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  return x >= 0 && x <= 1 && y >= 0 && y <= 1 && Math.hypot(x - cx, y - cy) <= r;
}

/** RGBA pixels, 4×4 supersampled for smooth edges. */
function draw(size: number, colour: [number, number, number], glyph: Shape[]): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let tile = 0;
      let mark = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const p: Point = [(px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size];
          if (!inTile(p)) continue;
          tile++;
          if (glyph.some((s) => inside(p, s))) mark++;
        }
      }
      const o = (py * size + px) * 4;
      const m = tile ? mark / tile : 0;
      for (let c = 0; c < 3; c++) pixels[o + c] = Math.round(colour[c] * (1 - m) + 255 * m);
      pixels[o + 3] = Math.round((255 * tile) / (n * n));
    }
  }
  return pixels;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function png(size: number, rgba: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, no filter method, no interlace
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** The task picker's icon (32×32) of a step, in its branding colour. */
export function taskIcon(stepId: string, colour: string): Buffer {
  return png(32, draw(32, COLOURS[colour] ?? COLOURS.blue, GLYPHS[stepId] ?? GLYPHS.extension));
}

/** The Marketplace icon (128×128). */
export function extensionIcon(): Buffer {
  return png(128, draw(128, COLOURS.blue, GLYPHS.extension));
}
