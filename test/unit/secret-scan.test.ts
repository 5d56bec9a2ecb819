// The secret scan every bundle run goes through (test/helpers/secret-scan.ts) must be able to fail:
// each kind of secret, in each place a run can leave it, is found; the lines that register masks are not
// leaks; what leaked is named, never its value.
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { assertNoSecrets, filesWrittenSince, findLeaks, registeredMasks, secretsInEnvironment, stdoutTargets, unmasked } from '../helpers/secret-scan.js';

const SECRET = 'Xy7~s3cr3t-value-0123456789';
const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const keyLine = pem.split('\n')[3];
const jwt = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from('{"aud":"https://management.azure.com"}').toString('base64url')}.${'s'.repeat(40)}`;
const clean = { stdout: 'hello\n', stderr: '', outputs: {}, summary: '' };
const none = { env: {}, dirs: [], since: Date.now() };

describe('secret scan', () => {
  test('a known value in stdout, stderr, an output or the summary is a leak, named by what and where', () => {
    for (const run of [
      { ...clean, stdout: `a\nsent ${SECRET}\n` },
      { ...clean, stderr: SECRET },
      { ...clean, outputs: { token: SECRET } },
      { ...clean, summary: `| ${SECRET} |` },
    ]) {
      const thrown = (() => {
        try {
          assertNoSecrets('The run', run, { ...none, secrets: [{ value: SECRET, what: 'the client secret' }] });
        } catch (e) {
          return (e as Error).message;
        }
        return 'no leak found';
      })();
      expect(thrown).toMatch(/^The run revealed secrets:\n {2}- the client secret in (stdout line 2|stderr line 1|output 'token'|the summary)$/);
      expect(thrown).not.toContain(SECRET);
    }
  });

  test('the runner’s and the agent’s mask registrations are not leaks; anything else is', () => {
    expect(() => assertNoSecrets('r', { ...clean, stdout: `::add-mask::${SECRET}\n##vso[task.setsecret]${SECRET}\n` }, { ...none, secrets: [SECRET] })).not.toThrow();
    expect(() => assertNoSecrets('r', { ...clean, stdout: `::debug::${SECRET}\n` }, { ...none, secrets: [SECRET] })).toThrow(/in stdout line 1/);
  });

  test('secret shapes are leaks without knowing the value: SAS signature, JWT, PEM private key', () => {
    const leaks = findLeaks(
      [
        { where: 'a', text: 'GET https://acct.blob.core.windows.net/c/b?sv=2021-08-06&sr=b&sig=abcdEFGH%2Bijkl%3D' },
        { where: 'b', text: `Authorization: Bearer ${jwt}` },
        { where: 'c', text: pem },
        { where: 'd', text: 'GET https://acct.blob.core.windows.net/c/b → 503 (query removed)' },
      ],
      [],
    );
    expect(leaks).toEqual([
      { what: 'a SAS signature (sig=…)', where: 'a' },
      { what: 'a JWT (header.claims.signature)', where: 'b' },
      { what: 'a PEM private key', where: 'c' },
    ]);
  });

  test('one line of a private key is a leak; the certificate next to it is not a secret', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIBcertificatebodyline0123456789abcdef\n-----END CERTIFICATE-----\n';
    const secrets = secretsInEnvironment({ 'INPUT_CERTIFICATE': pem + cert });
    expect(findLeaks([{ where: 'x', text: `key: ${keyLine}` }], secrets)).toEqual([{ what: 'a line of input INPUT_CERTIFICATE', where: 'x' }]);
    expect(findLeaks([{ where: 'x', text: cert }], secrets)).toEqual([]);
  });

  test('the environment’s secrets: inputs, creds JSON, service connection parameters, runner and agent tokens', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-'));
    fs.writeFileSync(path.join(dir, 'cert.pem'), pem);
    const found = secretsInEnvironment({
      'INPUT_CLIENT-SECRET': 'input-secret-1',
      'INPUT_CLIENT-ID': 'not-a-secret-id',
      INPUT_CREDS: JSON.stringify({ clientId: 'not-a-secret-id', clientSecret: 'creds-secret-2' }),
      INPUT_CERTIFICATE: path.join(dir, 'cert.pem'),
      ENDPOINT_AUTH_abc: JSON.stringify({ scheme: 'ServicePrincipal', parameters: { serviceprincipalid: 'not-a-secret-id', serviceprincipalkey: 'spn-key-3', authenticationType: 'spnKey' } }),
      ENDPOINT_AUTH_SCHEME_abc: 'ServicePrincipal',
      ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: 'system-access-token-4',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-5',
      PATH: '/usr/bin:/bin',
    }).map((s) => s.value);
    expect(found).toEqual(expect.arrayContaining(['input-secret-1', 'creds-secret-2', 'spn-key-3', 'system-access-token-4', 'request-token-5', keyLine]));
    expect(found).not.toContain('not-a-secret-id');
    expect(found).not.toContain('/usr/bin:/bin');
  });

  test('files written during the run are scanned; files that were there before are not', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-'));
    fs.writeFileSync(path.join(dir, 'before.txt'), SECRET);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(dir, 'before.txt'), old, old);
    const since = Date.now();
    fs.mkdirSync(path.join(dir, 'reports'));
    fs.writeFileSync(path.join(dir, 'reports', 'junit.xml'), `<x>${SECRET}</x>`);
    expect(filesWrittenSince([dir], since).map((t) => t.where)).toEqual([`file reports/junit.xml (in ${dir})`]);
    expect(() => assertNoSecrets('r', clean, { env: {}, dirs: [dir], since, secrets: [SECRET] })).toThrow(/in file reports\/junit\.xml/);
  });

  test('a secret input the step never registered for masking fails the run; a PEM counts as registered line by line', () => {
    const env = { 'INPUT_CLIENT-SECRET': SECRET, INPUT_CERTIFICATE: pem };
    const context = { ...none, env, secretInputs: ['INPUT_CLIENT-SECRET', 'INPUT_CERTIFICATE'] };
    const lines = pem.trim().split('\n').filter((l) => !l.startsWith('-----')).map((l) => `::add-mask::${l}`);
    expect(() => assertNoSecrets('r', { ...clean, stdout: [`::add-mask::${SECRET}`, ...lines].join('\n') }, context)).not.toThrow();
    expect(() => assertNoSecrets('r', { ...clean, stdout: lines.join('\n') }, context)).toThrow(/input INPUT_CLIENT-SECRET in no mask registration/);
    expect(() => assertNoSecrets('r', { ...clean, stdout: `::add-mask::${SECRET}\n${lines.filter((l) => !l.includes(keyLine)).join('\n')}` }, context)).toThrow(
      /a line of input INPUT_CERTIFICATE in no mask registration/,
    );
    // Escaped as the runner and the agent escape them.
    expect([...registeredMasks('::add-mask::a%25b%0Ac\n##vso[task.setsecret]x%3By%5D')]).toEqual(['a%b\nc', 'x;y]']);
    expect(unmasked([{ value: 'a%b\nccccccccccccccccc', what: 'w' }], new Set(['cccccccccccccccccc']))).toHaveLength(1);
  });

  test('stdout lines are numbered as printed', () => {
    expect(stdoutTargets('a\n::add-mask::x\nb').map((t) => t.where)).toEqual(['stdout line 1', 'stdout line 3']);
  });
});
