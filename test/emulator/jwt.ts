// Compact JWS (RS256/PS256) signing and checking, with Node's crypto only.
import { constants, createPublicKey, KeyObject, sign, verify } from 'node:crypto';

export type JwtHeader = { alg: string; typ?: string; kid?: string; x5t?: string; 'x5t#S256'?: string; x5c?: string | string[] };
export type JwtClaims = Record<string, unknown> & {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
};

export interface DecodedJwt {
  header: JwtHeader;
  claims: JwtClaims;
  signingInput: string;
  signature: Buffer;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export function signJwt(claims: JwtClaims, key: KeyObject, header: Omit<JwtHeader, 'alg'> & { alg?: 'RS256' }): string {
  const fullHeader = { typ: 'JWT', ...header, alg: 'RS256' };
  const input = `${b64url(JSON.stringify(fullHeader))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), key);
  return `${input}.${b64url(signature)}`;
}

/** Splits and parses a JWT; returns undefined if it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as JwtHeader;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as JwtClaims;
    if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null) return undefined;
    return { header, claims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
  } catch {
    return undefined;
  }
}

/** Checks the signature of a decoded JWT against a public (or private) key. RS256 and PS256 only. */
export function verifyJwtSignature(jwt: DecodedJwt, key: KeyObject | string): boolean {
  const publicKey = typeof key === 'string' ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
  const data = Buffer.from(jwt.signingInput);
  if (jwt.header.alg === 'RS256') return verify('sha256', data, publicKey, jwt.signature);
  if (jwt.header.alg === 'PS256') {
    return verify('sha256', data, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, jwt.signature);
  }
  return false;
}

export function audiences(claims: JwtClaims): string[] {
  if (Array.isArray(claims.aud)) return claims.aud.map(String);
  return claims.aud === undefined ? [] : [String(claims.aud)];
}

/** The JWKS entry of an RSA public key, as Entra and the CI issuers publish it. */
export function jwk(key: KeyObject, kid: string, x5c?: string): Record<string, unknown> {
  const exported = createPublicKey(key).export({ format: 'jwk' }) as { n: string; e: string };
  return { kty: 'RSA', use: 'sig', kid, x5t: kid, n: exported.n, e: exported.e, ...(x5c ? { x5c: [x5c] } : {}), alg: 'RS256' };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
