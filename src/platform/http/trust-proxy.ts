import { isIP } from 'node:net';

/**
 * Whose `X-Forwarded-For` the service believes (TRUST_PROXY). The client address it yields keys the rate
 * limits on sign-in and links and is written to every audit event (DP-04), so believing everyone is not an option.
 *   false                  nobody: the address is the TCP peer's (the default)
 *   { addresses: [...] }   only a connection from one of these proxies (IP or CIDR), hop by hop
 *   { hops: n }            the n nearest hops, whoever they are: safe only if the service cannot be reached except
 *                          through those proxies (a direct client could otherwise forge its address)
 */
export type TrustProxy = false | { addresses: string[] } | { hops: number };

/** proxy-addr's named ranges (127.0.0.0/8 and ::1; 169.254.0.0/16 and fe80::/10; 10/8, 172.16/12, 192.168/16 and fc00::/7). */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MAX_HOPS = 10;

export function parseTrustProxy(raw: string | undefined): { value: TrustProxy; problem?: string } {
  const text = raw?.trim() ?? '';
  if (['', 'false', 'off', 'no', '0'].includes(text.toLowerCase())) return { value: false };
  if (['true', 'yes', 'on', '*'].includes(text.toLowerCase())) {
    return {
      value: false,
      problem: `TRUST_PROXY=${text} would believe any client's X-Forwarded-For. Name your proxies' addresses (e.g. TRUST_PROXY=10.0.4.0/24) or, if the service can only be reached through them, how many there are (e.g. TRUST_PROXY=1)`,
    };
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_HOPS) return { value: false, problem: `TRUST_PROXY hop count must be from 1 to ${MAX_HOPS} (got "${text}")` };
    return { value: { hops } };
  }
  const addresses = text.split(',').map((entry) => entry.trim());
  const wrong = addresses.filter((entry) => !isAddressOrRange(entry));
  if (wrong.length > 0) {
    return {
      value: false,
      problem: `TRUST_PROXY must be a hop count (e.g. 1) or a comma-separated list of proxy addresses or CIDR ranges (e.g. 10.0.4.7,10.0.5.0/24,::1); not understood: ${wrong.map((w) => `"${w}"`).join(', ')}`,
    };
  }
  return { value: { addresses } };
}

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  const bits = Number(prefix);
  return bits >= 1 && bits <= (family === 4 ? 32 : 128);
}

/**
 * The value for Fastify's `trustProxy`. A hop count is given as a function: Fastify 5.12 treats a plain number as
 * "trust nobody" (it cannot check the peer), which would silently ignore the setting.
 */
export function fastifyTrustProxy(trust: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false) return false;
  if ('addresses' in trust) return trust.addresses;
  const { hops } = trust;
  return (_address, hop) => hop < hops;
}
