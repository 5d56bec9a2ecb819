// No secret leaves a step. Every bundle run through runAction / runTask is scanned: stdout (apart from
// the `::add-mask::` / `##vso[task.setsecret]` lines through which a step tells the runner what to
// mask), stderr, outputs, the summary, and every file the run wrote in its workspace and temporary
// folders. Secrets are looked for by value — what the run was handed in its environment (client
// secret, certificate private key, creds JSON, request and access tokens of the runner and the agent),
// everything a running emulator in this process handed out (access tokens, CI assertions, account keys,
// endpoint keys and tokens; test/emulator/secrets.ts), and what a test registers — and by shape: a SAS
// signature, a JWT, a PEM private key. And every secret input the step declares must have been
// registered for masking, so the runner would hide it even where the step printed it. A leak fails the
// run's test, naming what leaked where, never the value itself.
import fs from 'node:fs';
import path from 'node:path';
import { secretsOfRunningEmulators } from '../emulator/secrets.js';

export interface KnownSecret {
  value: string;
  /** What it is, for the failure message (never the value). */
  what: string;
}

export interface Leak {
  what: string;
  where: string;
}

/** Shorter values are too likely to occur by chance. */
const MIN_LENGTH = 8;

const SHAPES: Array<{ what: string; pattern: RegExp }> = [
  { what: 'a SAS signature (sig=…)', pattern: /(?:[?&;]|%26|%3F)sig(?:=|%3D)[A-Za-z0-9%+/=]{8,}/i },
  { what: 'a JWT (header.claims.signature)', pattern: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/ },
  { what: 'a PEM private key', pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/ },
];

const registered: KnownSecret[] = [];

/** A secret every later run in this test file must not reveal (beyond those found automatically). */
export function registerSecret(value: string, what: string): void {
  registered.push({ value, what });
}

/**
 * A secret as the scan looks for it: the whole value, and for a PEM each line of its private key (a
 * runner masks line by line, and one line of a key is a leak), never its public certificate.
 */
export function expandSecret(secret: KnownSecret): KnownSecret[] {
  const found: KnownSecret[] = [];
  const keyBlock = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----([\s\S]*?)-----END (?:[A-Z]+ )?PRIVATE KEY-----/.exec(secret.value);
  if (keyBlock) {
    found.push({ value: keyBlock[0], what: secret.what });
    for (const line of keyBlock[1].split(/\r?\n/)) {
      if (line.trim().length >= 16) found.push({ value: line.trim(), what: `a line of ${secret.what}` });
    }
    return found;
  }
  if (secret.value.length >= MIN_LENGTH) found.push(secret);
  return found;
}

const SECRET_NAME = /SECRET|PASSWORD|TOKEN|CERTIFICATE|CREDS|(^|_)KEY$|PRINCIPALKEY/i;

/** The secrets a run's environment hands it: secret-looking inputs, service connection parameters, runner tokens. */
export function secretsInEnvironment(env: Record<string, string | undefined>): KnownSecret[] {
  const found: KnownSecret[] = [];
  const add = (value: string | undefined, what: string) => {
    if (!value) return;
    // A certificate input may be the path of a PEM file.
    if (!value.includes('\n') && value.length < 4096 && fs.existsSync(value) && fs.statSync(value).isFile()) {
      const text = fs.readFileSync(value, 'utf8');
      if (text.includes('PRIVATE KEY-----')) return found.push(...expandSecret({ value: text, what: `the private key in ${what}` }));
      return;
    }
    if (value.trim().startsWith('{')) {
      // JSON of secrets (azure/login's creds, a service connection's authorization): its secret fields.
      try {
        const parsed = JSON.parse(value) as Record<string, unknown>;
        const fields = (parsed.parameters && typeof parsed.parameters === 'object' ? parsed.parameters : parsed) as Record<string, unknown>;
        for (const [k, v] of Object.entries(fields)) {
          if (typeof v === 'string' && /secret|key$|password|token|certificate/i.test(k) && !/^authenticationType$/i.test(k)) add(v, `${what} ${k}`);
        }
        return;
      } catch {
        // Not JSON after all: the whole value is the secret.
      }
    }
    found.push(...expandSecret({ value, what }));
  };
  for (const [name, value] of Object.entries(env)) {
    if (/^ENDPOINT_AUTH_/.test(name) && !/^ENDPOINT_AUTH_SCHEME_/.test(name)) {
      if (name.startsWith('ENDPOINT_AUTH_PARAMETER_')) {
        if (SECRET_NAME.test(name)) add(value, name);
      } else add(value, name);
    } else if (/^INPUT_/.test(name) && SECRET_NAME.test(name.slice('INPUT_'.length).replace(/-/g, '_'))) {
      add(value, `input ${name}`);
    } else if (['ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'SYSTEM_ACCESSTOKEN', 'GITHUB_TOKEN'].includes(name)) {
      add(value, name);
    }
  }
  return found;
}

export interface ScanTarget {
  where: string;
  text: string;
}

/** The text of a run's stdout as the scan sees it: line by line, without the lines that register masks. */
export function stdoutTargets(stdout: string, stream = 'stdout'): ScanTarget[] {
  return stdout
    .split('\n')
    .map((text, i) => ({ where: `${stream} line ${i + 1}`, text }))
    .filter((t) => !t.text.startsWith('::add-mask::') && !t.text.includes('##vso[task.setsecret]') && t.text !== '');
}

/** Files under `dirs` modified at or after `since` (ms), as targets; binary and huge files are read as text all the same. */
export function filesWrittenSince(dirs: string[], since: number, limit = 20000): ScanTarget[] {
  const targets: ScanTarget[] = [];
  const seen = new Set<string>();
  let visited = 0;
  const walk = (dir: string, root: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (++visited > limit) return;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== '.git') walk(full, root);
      } else if (e.isFile() && !seen.has(full)) {
        seen.add(full);
        const stat = fs.statSync(full, { throwIfNoEntry: false });
        // File times are kept with a coarser clock than Date.now(): allow for it.
        if (!stat || stat.mtimeMs < since - 50 || stat.size > 16 * 1024 * 1024) continue;
        targets.push({ where: `file ${path.relative(root, full) || e.name} (in ${root})`, text: fs.readFileSync(full, 'latin1') });
      }
    }
  };
  for (const dir of dirs) walk(dir, dir);
  return targets;
}

/** Every leak of a known secret or of a secret-shaped string in the targets. */
export function findLeaks(targets: ScanTarget[], secrets: KnownSecret[]): Leak[] {
  const leaks: Leak[] = [];
  const unique = new Map<string, string>();
  for (const s of secrets.flatMap(expandSecret)) if (!unique.has(s.value)) unique.set(s.value, s.what);
  for (const t of targets) {
    let named = false;
    for (const [value, what] of unique) {
      if (t.text.includes(value)) {
        leaks.push({ what, where: t.where });
        named = true;
      }
    }
    // A shape is reported only where no known secret already explains the finding.
    if (!named) for (const shape of SHAPES) if (shape.pattern.test(t.text)) leaks.push({ what: shape.what, where: t.where });
  }
  return leaks;
}

/** The values a run registered for masking (`::add-mask::` on GitHub, `##vso[task.setsecret]` on Azure DevOps). */
export function registeredMasks(stdout: string): Set<string> {
  const masks = new Set<string>();
  for (const line of stdout.split('\n')) {
    const github = /^::add-mask::(.*)$/.exec(line);
    if (github) masks.add(github[1].replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'));
    const agent = /##vso\[task\.setsecret\](.*)$/.exec(line);
    if (agent) masks.add(agent[1].replace(/%3B/g, ';').replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%5D/g, ']').replace(/%AZP25/g, '%'));
  }
  return masks;
}

/**
 * Secrets the run was handed that it never registered for masking: a multi-line one (a PEM) counts as
 * registered when each of its lines is (its armor lines are public), as runners mask line by line.
 */
export function unmasked(secrets: KnownSecret[], masks: Set<string>): Leak[] {
  const isMasked = (value: string) =>
    masks.has(value) || masks.has(value.trim()) || (value.includes('\n') && value.split(/\r?\n/).every((l) => l.trim().length < 16 || l.startsWith('-----') || masks.has(l.trim())));
  return secrets.flatMap(expandSecret).filter((s) => !isMasked(s.value)).map((s) => ({ what: s.what, where: 'no mask registration (the runner would print it in clear)' }));
}

export interface ScannedRun {
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Scans a finished run; throws naming each leak (what and where, at most 20) when anything leaked. */
export function assertNoSecrets(
  label: string,
  run: ScannedRun,
  context: {
    env: Record<string, string | undefined>;
    dirs: string[];
    since: number;
    secrets?: Array<string | KnownSecret>;
    /** Environment variables of secret inputs the step declares: each must be registered for masking. */
    secretInputs?: string[];
  },
): void {
  const secrets: KnownSecret[] = [
    ...secretsInEnvironment(context.env),
    ...secretsOfRunningEmulators(),
    ...registered,
    ...(context.secrets ?? []).map((s) => (typeof s === 'string' ? { value: s, what: 'a secret the test named' } : s)),
  ];
  const targets: ScanTarget[] = [
    ...stdoutTargets(run.stdout),
    ...stdoutTargets(run.stderr, 'stderr'),
    ...Object.entries(run.outputs).map(([name, text]) => ({ where: `output '${name}'`, text })),
    { where: 'the summary', text: run.summary },
    ...filesWrittenSince(context.dirs, context.since),
  ];
  const leaks = findLeaks(targets, secrets);
  const mustMask = (context.secretInputs ?? []).flatMap((name) => secretsInEnvironment({ [name]: context.env[name] }));
  leaks.push(...unmasked(mustMask, registeredMasks(run.stdout)));
  if (leaks.length === 0) return;
  const lines = leaks.slice(0, 20).map((l) => `  - ${l.what} in ${l.where}`);
  if (leaks.length > 20) lines.push(`  - …and ${leaks.length - 20} more`);
  throw new Error(`${label} revealed secrets:\n${lines.join('\n')}`);
}
