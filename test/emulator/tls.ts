// Key material the emulator makes for itself at start: a private CA, a server certificate for
// 127.0.0.1/localhost signed by it, and the application's client certificate (for certificate
// assertions). RSA keys come from Node's crypto (fast, native); node-forge builds the X.509 parts.
import { createHash, generateKeyPairSync, KeyObject, createPrivateKey, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { PUBLIC_DNS_NAMES } from './public-hosts.js';

export interface KeyPair {
  privateKey: KeyObject;
  privateKeyPem: string;
  publicKeyPem: string;
}

export interface IssuedCert extends KeyPair {
  certPem: string;
  /** SHA-1 thumbprint, upper-case hex (how Entra shows a credential's "thumbprint"). */
  thumbprintSha1: string;
  thumbprintSha256: string;
}

export function newRsaKey(bits = 2048): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    privateKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function serial(): string {
  // Positive 16-byte serial number in hex.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

function thumbprints(certPem: string): { sha1: string; sha256: string } {
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(certPem))).getBytes(), 'binary');
  return {
    sha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    sha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
  };
}

interface CertSpec {
  subjectCn: string;
  key: KeyPair;
  issuer?: { cert: forge.pki.Certificate; key: KeyPair };
  isCa?: boolean;
  altNames?: { ips?: string[]; dns?: string[] };
  extKeyUsage?: 'serverAuth' | 'clientAuth';
  days: number;
}

function buildCert(spec: CertSpec): { cert: forge.pki.Certificate; pem: string } {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(spec.key.publicKeyPem);
  cert.serialNumber = serial();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + spec.days * 24 * 60 * 60 * 1000);
  const subject = [{ name: 'commonName', value: spec.subjectCn }, { name: 'organizationName', value: 'mlops-actions emulator' }];
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ? spec.issuer.cert.subject.attributes : subject);
  const extensions: object[] = [];
  if (spec.isCa) {
    extensions.push({ name: 'basicConstraints', cA: true, critical: true });
    extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  } else {
    extensions.push({ name: 'basicConstraints', cA: false });
    extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
    if (spec.extKeyUsage === 'serverAuth') extensions.push({ name: 'extKeyUsage', serverAuth: true });
    if (spec.extKeyUsage === 'clientAuth') extensions.push({ name: 'extKeyUsage', clientAuth: true });
  }
  extensions.push({ name: 'subjectKeyIdentifier' });
  if (spec.issuer) {
    extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: spec.issuer.cert.generateSubjectKeyIdentifier().getBytes() });
  }
  if (spec.altNames) {
    const altNames = [
      ...(spec.altNames.dns ?? []).map((value) => ({ type: 2, value })),
      ...(spec.altNames.ips ?? []).map((ip) => ({ type: 7, ip })),
    ];
    extensions.push({ name: 'subjectAltName', altNames });
  }
  cert.setExtensions(extensions);
  const signer = forge.pki.privateKeyFromPem((spec.issuer?.key ?? spec.key).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  cert.sign(signer, forge.md.sha256.create());
  return { cert, pem: forge.pki.certificateToPem(cert) };
}

export interface TlsMaterial {
  ca: IssuedCert;
  server: IssuedCert;
  /** The emulated app registration's certificate credential (private key + cert). */
  client: IssuedCert;
}

export function makeTlsMaterial(): TlsMaterial {
  const caKey = newRsaKey();
  const ca = buildCert({ subjectCn: 'mlops-actions emulator CA', key: caKey, isCa: true, days: 30 });
  const serverKey = newRsaKey();
  const server = buildCert({
    subjectCn: '127.0.0.1',
    key: serverKey,
    issuer: { cert: ca.cert, key: caKey },
    // Also Azure's public host names, reached through the emulator's proxy (public-hosts.ts).
    altNames: { ips: ['127.0.0.1'], dns: ['localhost', ...PUBLIC_DNS_NAMES] },
    extKeyUsage: 'serverAuth',
    days: 29,
  });
  const clientKey = newRsaKey();
  const client = buildCert({ subjectCn: 'mlops-actions emulator client', key: clientKey, extKeyUsage: 'clientAuth', days: 29 });
  const issued = (key: KeyPair, pem: string): IssuedCert => {
    const t = thumbprints(pem);
    return { ...key, certPem: pem, thumbprintSha1: t.sha1, thumbprintSha256: t.sha256 };
  };
  return { ca: issued(caKey, ca.pem), server: issued(serverKey, server.pem), client: issued(clientKey, client.pem) };
}

/** Thumbprints of a PEM certificate (used when a test registers another certificate credential). */
export function certThumbprints(certPem: string): { sha1: string; sha256: string } {
  return thumbprints(certPem);
}

export function keyFromPem(pem: string): KeyObject {
  return createPrivateKey(pem);
}
