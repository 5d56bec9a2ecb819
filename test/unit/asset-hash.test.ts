import { describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareCodePoints, CONTENT_HASH_VERSION, contentHash, describeLocalAsset } from '../../shared/storage/asset-hash.js';
import { FIXTURES } from '../helpers/paths.js';
import { IgnoreRules } from '../../shared/storage/ignore.js';

/**
 * An independent implementation of azure-ai-ml's upload hash, in Python, written from the algorithm
 * as azure-ai-ml documents and implements it (azure/ai/ml/_utils/_asset_utils.py: get_object_hash,
 * _get_dir_hash, _get_file_hash): MD5 seeded with b"Initialize for october 2021 AML CLI version";
 * a folder's entries sorted by lower-cased path; each entry's name, then a file's bytes or a folder's
 * entries, recursively. No ignore file in these fixtures.
 */
const PYTHON_HASH = `
import hashlib, os, sys
def walk(d, h):
    for name in sorted(os.listdir(d), key=lambda n: os.path.join(d, n).lower()):
        p = os.path.join(d, name)
        h.update(name.encode())
        if os.path.isfile(p):
            with open(p, "rb") as f:
                h.update(f.read())
        elif os.path.isdir(p):
            walk(p, h)
h = hashlib.md5(b"Initialize for october 2021 AML CLI version")
src = sys.argv[1]
if os.path.isdir(src):
    walk(src, h)
else:
    h.update(open(src, "rb").read())
print(h.hexdigest())
`;

function pythonHash(target: string): string {
  return execFileSync('/usr/bin/python3', ['-c', PYTHON_HASH, target]).toString().trim();
}

function tree(files: Record<string, string | Buffer>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hash-'));
  const dir = path.join(root, 'src');
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe('upload hash (azure-ai-ml compatible)', () => {
  test.each([
    ['a flat folder', { 'train.py': 'print(1)\n', 'score.py': 'def run(x):\n    return x\n' }],
    ['nested folders and mixed case', { 'B.py': 'b', 'a.py': 'a', 'lib/Z.txt': 'z', 'lib/y/deep.bin': Buffer.from([0, 1, 2, 255]), 'Lib2/x': '' }],
    ['a large file over many chunks', { 'big.bin': Buffer.alloc(300_000, 7), 'small.txt': 's' }],
    [
      // Files read in several 4 MiB pieces, and more files and pieces than are read ahead of the hash.
      'files over several read pieces, more than the read-ahead window',
      {
        'weights/a.bin': Buffer.from(Buffer.alloc(9 * 1024 * 1024 + 17, 3).map((b, i) => (b + i) % 251)),
        'weights/b.bin': Buffer.alloc(4 * 1024 * 1024, 9),
        ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`parts/p-${String(i).padStart(2, '0')}.json`, Buffer.alloc(3000 + i, i)])),
        'empty.txt': '',
      },
    ],
  ])('%s hashes as the independent implementation does', async (_name, files) => {
    const dir = tree(files);
    const asset = await describeLocalAsset(dir);
    expect(asset.hash).toBe(pythonHash(dir));
    expect(asset.assetPath).toBe(`LocalUpload/${asset.hash}/src`);
    expect(asset.files.map((f) => f.relative).sort()).toEqual(Object.keys(files).sort());
    expect(asset.totalBytes).toBe(Object.values(files).reduce((n, c) => n + Buffer.byteLength(c), 0));
  });

  test('a single file over several read pieces hashes as the independent implementation does', async () => {
    const dir = tree({ 'model.bin': Buffer.from(Buffer.alloc(10 * 1024 * 1024 + 5, 1).map((b, i) => (i * 7) % 256)) });
    const file = path.join(dir, 'model.bin');
    expect((await describeLocalAsset(file)).hash).toBe(pythonHash(file));
  });

  test('a single file hashes its bytes and uploads under its own name', async () => {
    const dir = tree({ 'model.json': '{"w": [1, 2]}' });
    const file = path.join(dir, 'model.json');
    const asset = await describeLocalAsset(file);
    expect(asset.hash).toBe(pythonHash(file));
    expect(asset.files).toEqual([expect.objectContaining({ relative: 'model.json', blobPath: `LocalUpload/${asset.hash}/model.json` })]);
  });

  test('any change of name or content changes the hash; the same content elsewhere does not', async () => {
    const a = await describeLocalAsset(tree({ 'x.py': '1' }));
    const b = await describeLocalAsset(tree({ 'x.py': '1' }));
    const c = await describeLocalAsset(tree({ 'x.py': '2' }));
    const d = await describeLocalAsset(tree({ 'y.py': '1' }));
    expect(a.hash).toBe(b.hash);
    expect(new Set([a.hash, c.hash, d.hash]).size).toBe(3);
  });

  test('small files keep the bytes the hash read (the upload sends those); large ones are read again', async () => {
    const files = { 'a.json': Buffer.alloc(48 * 1024, 1), 'b/c.txt': 'c', 'big.bin': Buffer.alloc(300_000, 7) };
    const asset = await describeLocalAsset(tree(files));
    const byName = Object.fromEntries(asset.files.map((f) => [f.relative, f]));
    expect(byName['a.json'].content?.equals(files['a.json'])).toBe(true);
    expect(byName['b/c.txt'].content?.toString()).toBe('c');
    expect(byName['big.bin'].content).toBeUndefined();
    // The SHA-256 content hash is the same whether it reads kept bytes or the files.
    const fromDisk = { ...asset, files: asset.files.map(({ content: _kept, ...f }) => f) };
    expect(await contentHash(asset)).toBe(await contentHash(fromDisk));
  });

  test('.amlignore wins over .gitignore; ignored files are neither hashed nor uploaded', async () => {
    const dir = tree({ 'keep.py': 'k', 'data.csv': 'd', 'build/out.o': 'o', '.gitignore': '*.py\n', '.amlignore': '*.csv\nbuild\n' });
    const asset = await describeLocalAsset(dir);
    expect(asset.files.map((f) => f.relative).sort()).toEqual(['.amlignore', '.gitignore', 'keep.py']);
    const same = tree({ 'keep.py': 'k', '.gitignore': '*.py\n', '.amlignore': '*.csv\nbuild\n' });
    expect((await describeLocalAsset(same)).hash).toBe(asset.hash);
  });
});

describe('ignore patterns', () => {
  // git itself is the oracle for wildmatch semantics (without negations, where azure-ai-ml's
  // first-match rule differs from git's last-match rule).
  const cases: Array<[string, string[]]> = [
    ['*.pyc', ['a.pyc', 'x/b.pyc', 'c.py', 'pyc']],
    ['build/', ['build/x.o', 'src/build/y', 'builder/z']],
    ['/data', ['data/raw.csv', 'src/data/x', 'data2']],
    ['docs/**/*.md', ['docs/a.md', 'docs/x/y/b.md', 'docs/c.txt', 'other/docs/d.md']],
    ['**/cache', ['cache/a', 'x/cache/b', 'x/cached']],
    ['te?t[0-9].py', ['test1.py', 'text2.py', 'tet1.py', 'test10.py']],
    ['logs/*', ['logs/a', 'logs/a/b', 'x/logs/a']],
  ];

  test.each(cases)('%s matches as git does', (pattern, paths) => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ignore-'));
    execFileSync('git', ['init', '-q', repo]);
    fs.writeFileSync(path.join(repo, '.gitignore'), pattern + '\n');
    const rules = IgnoreRules.parse(pattern);
    for (const p of paths) {
      const gitSays = spawnSync('git', ['-C', repo, 'check-ignore', '-q', '--no-index', p]).status === 0;
      expect([p, rules.excludes(p)]).toEqual([p, gitSays]);
    }
  });

  test('the first matching pattern decides, as in azure-ai-ml (not the last, as in git)', () => {
    const rules = IgnoreRules.parse('*.txt\n!keep.txt\n# comment\n\n');
    expect(rules.excludes('keep.txt')).toBe(true);
    const reversed = IgnoreRules.parse('!keep.txt\n*.txt\n');
    expect(reversed.excludes('keep.txt')).toBe(false);
    expect(reversed.excludes('other.txt')).toBe(true);
  });
});

/**
 * Golden values from azure-ai-ml 1.4.0 itself (scripts/oracle/upload-hashes.py wrote golden.json from
 * the folders in test/fixtures/upload-hash): the upload hash, the content hash, the ignore file chosen,
 * what is uploaded where and in which order (the first is the indicator file), and what is left out.
 */
describe('azure-ai-ml 1.4.0 golden upload hashes', () => {
  const root = path.join(FIXTURES, 'upload-hash');
  interface Case {
    name: string;
    folder: string;
    target?: string;
    emptyDirs?: string[];
    symlinks?: Record<string, string>;
  }
  interface Golden {
    objectHash: string;
    contentHash: string;
    ignoreFile: string | null;
    uploads: Array<[string, string]>;
    excluded: string[];
  }
  const cases = (JSON.parse(fs.readFileSync(path.join(root, 'cases.json'), 'utf8')) as { cases: Case[] }).cases;
  const golden = JSON.parse(fs.readFileSync(path.join(root, 'golden.json'), 'utf8')) as { azureAiMl: string; contentHashVersion: number; cases: Record<string, Golden> };

  /** The case as the script made it: a copy, plus the empty folders and symbolic links git cannot keep. */
  function prepare(c: Case): string {
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'golden-')), c.folder);
    fs.cpSync(path.join(root, c.folder), copy, { recursive: true });
    for (const d of c.emptyDirs ?? []) fs.mkdirSync(path.join(copy, d), { recursive: true });
    for (const [link, target] of Object.entries(c.symlinks ?? {})) fs.symlinkSync(path.join(copy, target), path.join(copy, link));
    return c.target ? path.join(copy, c.target) : copy;
  }

  /** Every file below a folder (following links), relative, forward slashes. */
  function allFiles(dir: string, prefix = ''): string[] {
    return fs.readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      return fs.statSync(full).isDirectory() ? allFiles(full, `${prefix}${name}/`) : [`${prefix}${name}`];
    });
  }

  test('were written by azure-ai-ml 1.4.0 for every case', () => {
    expect(golden.azureAiMl).toBe('1.4.0');
    expect(String(golden.contentHashVersion)).toBe(CONTENT_HASH_VERSION);
    expect(Object.keys(golden.cases).sort()).toEqual(cases.map((c) => c.name).sort());
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const expected = golden.cases[name];
    const target = prepare(c);
    const asset = await describeLocalAsset(target);
    expect(asset.hash).toBe(expected.objectHash);
    expect(asset.files.map((f) => f.blobPath)).toEqual(expected.uploads.map(([, blob]) => blob));
    expect(await contentHash(asset)).toBe(expected.contentHash);
    if (asset.isFolder) {
      const rules = IgnoreRules.forFolder(target);
      expect(rules.file ? path.basename(rules.file) : null).toBe(expected.ignoreFile);
      const excluded = allFiles(target).filter((f) => f.split('/').some((_, i, parts) => rules.excludes(parts.slice(0, i + 1).join('/'))));
      expect(excluded.sort(compareCodePoints)).toEqual(expected.excluded);
    }
  });
});
