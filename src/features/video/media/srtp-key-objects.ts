import { createSecretKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Trap 5 (a fifth werift trap beside the four of ARCHITECTURE §4, recorded in ADR 0004; issue 18 §4): werift's SRTP ciphers (AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM) hold
 * their session keys as raw Buffers and call `createCipheriv(…, keyBuffer, …)` / `createHmac('sha1', keyBuffer)` for
 * every packet. Node 24 wraps a raw key into a new KeyObject on each call, which was a quarter of the media server's
 * CPU (bench/README-media-load.md, "Where werift's time goes"). This work-around turns the four session keys of each
 * cipher into KeyObjects once, on the cipher's first packet; werift's own code then runs unchanged with them (Node's
 * `createCipheriv`/`createDecipheriv`/`createHmac` take a KeyObject wherever they take a key), so the bytes on the
 * wire are the same (proved in srtp-key-objects.test.ts against an unpatched cipher).
 *
 * node_modules cannot be patched in the repository, and werift's bundle does not export its cipher classes, so the
 * classes are reached through a throw-away `SrtpSession` and their prototypes' four per-packet methods are wrapped.
 * It is applied only to the werift releases it was checked against; for any other release it does nothing and says
 * so (`installSrtpKeyObjects` returns the reason), and the unit test fails, so a werift upgrade re-checks it.
 */

/** The releases whose SRTP cipher internals this was checked against (0.24.4 is the call-setup bench's alias). */
export const SRTP_KEY_OBJECT_RELEASES = ['0.25.2', '0.24.4'] as const;

const KEY_FIELDS = ['srtpSessionKey', 'srtcpSessionKey', 'srtpSessionAuthTag', 'srtcpSessionAuthTag'] as const;
const PER_PACKET_METHODS = ['encryptRtp', 'decryptRtp', 'encryptRTCP', 'decryptRTCP'] as const;
const PROFILES = { aesCm128HmacSha1_80: 0x0001, aeadAes128Gcm: 0x0007 } as const;
const PATCHED = Symbol.for('rvr.srtpKeyObjects');

type Cipher = Record<string | symbol, unknown>;
type CipherMethod = (this: Cipher, ...args: unknown[]) => unknown;
interface SrtpSessionClass {
  new (config: { keys: { localMasterKey: Buffer; localMasterSalt: Buffer; remoteMasterKey: Buffer; remoteMasterSalt: Buffer }; profile: number }): {
    localContext?: { cipher?: Cipher };
  };
}

/** The cipher's raw session keys turned into KeyObjects, once (later calls see KeyObjects and return). */
function useKeyObjects(cipher: Cipher): void {
  for (const field of KEY_FIELDS) {
    const key = cipher[field];
    if (Buffer.isBuffer(key)) cipher[field] = createSecretKey(key);
  }
}

/** A throw-away cipher of the class werift builds for `profile` (its prototype is what gets wrapped). */
export function cipherOf(SrtpSession: SrtpSessionClass, profile: number): Cipher | undefined {
  const key = Buffer.alloc(16, 1);
  const salt = Buffer.alloc(14, 2);
  const keys = { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt };
  return new SrtpSession({ keys, profile }).localContext?.cipher;
}

/** Checks that `cipher` still has the shape this work-around relies on; the reason it does not, otherwise. */
export function shapeProblem(cipher: Cipher | undefined, profile: number): string | undefined {
  if (!cipher) return `no cipher for SRTP profile ${profile}`;
  const proto = Object.getPrototypeOf(cipher) as Cipher;
  for (const method of PER_PACKET_METHODS) {
    if (typeof proto[method] !== 'function') return `cipher has no ${method}()`;
  }
  // The CTR cipher holds all four keys; the GCM cipher only the two encryption keys (AEAD, no HMAC).
  const fields = profile === PROFILES.aeadAes128Gcm ? KEY_FIELDS.slice(0, 2) : KEY_FIELDS;
  for (const field of fields) {
    const key = cipher[field];
    if (!Buffer.isBuffer(key) && !(key instanceof KeyObject)) return `cipher.${field} is not a key`;
  }
  return undefined;
}

/**
 * Installs the work-around on one werift release's module namespace (`werift` or the bench's `werift-v024`).
 * Returns undefined when installed (or already installed), else why not. Idempotent.
 */
export function installSrtpKeyObjects(webrtc: { SrtpSession?: unknown }, version: string): string | undefined {
  if (!(SRTP_KEY_OBJECT_RELEASES as readonly string[]).includes(version)) {
    return `werift ${version} is not one this SRTP work-around was checked against (${SRTP_KEY_OBJECT_RELEASES.join(', ')})`;
  }
  const SrtpSession = webrtc.SrtpSession as SrtpSessionClass | undefined;
  if (typeof SrtpSession !== 'function') return 'werift no longer exports SrtpSession';
  for (const profile of Object.values(PROFILES)) {
    const cipher = cipherOf(SrtpSession, profile);
    const problem = shapeProblem(cipher, profile);
    if (problem) return `werift ${version}: ${problem}`;
    const proto = Object.getPrototypeOf(cipher) as Cipher;
    if (proto[PATCHED]) continue;
    for (const method of PER_PACKET_METHODS) {
      const original = proto[method] as CipherMethod;
      proto[method] = function (this: Cipher, ...args: unknown[]) {
        useKeyObjects(this);
        return original.apply(this, args);
      };
    }
    Object.defineProperty(proto, PATCHED, { value: true });
  }
  return undefined;
}

/** The version of the werift package that `specifier` ('werift', 'werift-v024') resolves to. */
export function weriftVersion(specifier: string): string {
  // Its package.json is not in the package's `exports`, so it is found above the resolved entry point.
  let dir = dirname(createRequire(import.meta.url).resolve(specifier));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'werift' && pkg.version) return pkg.version;
    } catch {
      // no package.json here
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package.json of ${specifier}`);
    dir = parent;
  }
}
