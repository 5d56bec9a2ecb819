// The third-party notices of a bundle. ncc writes licenses.txt from the modules it bundled, but when a bundle
// is split into lazy chunks its list covers the chunks only (the Azure bundles' licenses.txt named three
// packages and none of @azure/*). So the notices come from the packages themselves: every package the entry
// file's compiled import graph names (static and dynamic imports), with their production dependencies.
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const BUILTIN = new Set(builtinModules);
/** `import … from 'x'`, `export … from 'x'`, `import 'x'` statements and `import('x')` calls, as tsc emits them. */
const SPECIFIER = /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Package names the compiled entry (build/…/main.js) reaches through our own modules. */
export function importedPackages(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !fs.existsSync(file)) return;
    seen.add(file);
    for (const match of fs.readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const spec = match[1] ?? match[2] ?? match[3];
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith('node:') && !BUILTIN.has(spec.split('/')[0])) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
  };
  visit(entry);
  return packages;
}

/** The folder of package `name` as Node would find it from `from` (a package folder or the root). */
function packageDir(name: string, from: string, root: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) return undefined;
  }
}

interface Notice {
  name: string;
  license: string;
  text: string;
}

/** licenses.txt for the packages named and everything they depend on in production, by name. */
export function licenseNotices(names: Iterable<string>, root: string): string {
  const notices = new Map<string, Notice>();
  const queue = [...names].map((name) => ({ name, from: root }));
  while (queue.length) {
    const { name, from } = queue.shift()!;
    const dir = packageDir(name, from, root);
    if (!dir || notices.has(`${name}@${dir}`)) continue;
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    notices.set(`${name}@${dir}`, {
      name,
      license: typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'UNKNOWN'),
      text: file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : '',
    });
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) queue.push({ name: dep, from: dir });
  }
  // One notice per package name and licence text (hoisted and nested copies of a package usually agree).
  const unique = new Map<string, Notice>();
  for (const n of notices.values()) unique.set(`${n.name}\n${n.license}\n${n.text}`, n);
  return [...unique.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.text < b.text ? -1 : 1))
    .map((n) => `${n.name}\n${n.license}${n.text ? `\n${n.text}` : ''}\n`)
    .join('\n');
}
