// The ignore rules azure-ai-ml applies to code and model uploads, so that our uploads hash and
// deduplicate exactly as `az ml` does: `.amlignore` if the folder has one, otherwise `.gitignore`,
// read from the upload's root folder only, with git's wildmatch patterns — but, unlike git, the
// FIRST pattern that matches decides (azure-ai-ml `IgnoreFile.is_file_excluded`).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface Pattern {
  regex: RegExp;
  /** true = exclude, false = re-include (`!pattern`). */
  exclude: boolean;
}

export class IgnoreRules {
  private constructor(
    private readonly patterns: Pattern[],
    /** The ignore file in use, if any. */
    readonly file?: string,
  ) {}

  static none(): IgnoreRules {
    return new IgnoreRules([]);
  }

  static forFolder(root: string, extra: string[] = []): IgnoreRules {
    for (const name of ['.amlignore', '.gitignore']) {
      const file = path.join(root, name);
      if (existsSync(file)) return IgnoreRules.parse([readFileSync(file, 'utf8'), ...extra].join('\n'), file);
    }
    return extra.length ? IgnoreRules.parse(extra.join('\n')) : IgnoreRules.none();
  }

  static parse(text: string, file?: string): IgnoreRules {
    const patterns: Pattern[] = [];
    for (const line of text.split(/\r?\n/)) {
      const compiled = compile(line);
      if (compiled) patterns.push(compiled);
    }
    return new IgnoreRules(patterns, file);
  }

  /** `relative` uses forward slashes, relative to the root folder, no trailing slash. */
  excludes(relative: string): boolean {
    for (const p of this.patterns) if (p.regex.test(relative)) return p.exclude;
    return false;
  }
}

/** One line of an ignore file as a regular expression over root-relative paths (git wildmatch). */
export function compile(line: string): Pattern | undefined {
  let pattern = line.replace(/(?<!\\)\s+$/, '');
  if (pattern === '' || pattern.startsWith('#')) return undefined;
  let exclude = true;
  if (pattern.startsWith('!')) {
    exclude = false;
    pattern = pattern.slice(1);
  }
  if (pattern.startsWith('\\')) pattern = pattern.slice(1);
  const directoryOnly = pattern.endsWith('/');
  if (directoryOnly) pattern = pattern.slice(0, -1);
  // A slash anywhere but at the end anchors the pattern at the root; otherwise it matches at any depth.
  const anchored = pattern.includes('/');
  if (pattern.startsWith('/')) pattern = pattern.slice(1);
  if (pattern === '') return undefined;

  const segments = pattern.split('/');
  let body = '';
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') {
      // Leading or middle `**/` is zero or more folders; a trailing `/**` is everything inside.
      body += last ? '.+' : '(?:.+/)?';
      return;
    }
    body += segmentRegex(segment) + (last ? '' : '/');
  });
  const prefix = anchored ? '^' : '^(?:.+/)?';
  // `foo` also matches everything under a folder foo; `foo/` matches only what is under it.
  const suffix = directoryOnly ? '/.*$' : '(?:/.*)?$';
  return { regex: new RegExp(prefix + body + suffix), exclude };
}

function segmentRegex(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '\\' && i + 1 < segment.length) out += escapeRegex(segment[++i]);
    else if (c === '*') out += segment[i + 1] === '*' ? ((i += 1), '[^/]*') : '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let cls = segment.slice(i + 1, end);
      if (cls.startsWith('!')) cls = '^' + cls.slice(1);
      out += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else out += escapeRegex(c);
  }
  return out;
}

function escapeRegex(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}
