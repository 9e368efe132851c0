import { isIP } from 'node:net';

/**
 * Which peers may tell us the client's address in `X-Forwarded-For`:
 * nobody (`false`), the last `n` hops (a number), or the listed proxy
 * addresses and CIDR ranges.
 */
export type TrustProxy = false | number | string[];

/** Ranges that `@fastify/proxy-addr` knows by name. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MAX_HOPS = 10;

const REPLACEMENT =
  'set the number of proxies in front of the server (TRUST_PROXY=1) or their addresses (TRUST_PROXY=10.0.0.0/8,192.168.1.1)';

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Reads `TRUST_PROXY`. `true` is refused rather than guessed: it used to mean
 * "believe the left-most entry", which the client writes itself, and no
 * single replacement is right for every proxy chain (one hop behind nginx,
 * two behind a CDN and a load balancer).
 */
export function parseTrustProxy(raw: string | undefined, problems: string[]): TrustProxy {
  if (raw === undefined || raw === '0' || raw.toLowerCase() === 'false') return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops <= MAX_HOPS) return hops;
    problems.push(`TRUST_PROXY must be a hop count from 0 to ${MAX_HOPS} (got "${raw}")`);
    return false;
  }
  if (['true', 'yes', 'on'].includes(raw.toLowerCase())) {
    problems.push(
      `TRUST_PROXY=${raw} is no longer accepted: it let every client choose its own IP with X-Forwarded-For; ${REPLACEMENT}`,
    );
    return false;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  const invalid = entries.filter((entry) => !isAddressOrRange(entry));
  if (invalid.length > 0) {
    problems.push(
      `TRUST_PROXY must be a hop count or a comma-separated list of proxy addresses and CIDR ranges (not understood: "${invalid.join('", "')}")`,
    );
    return false;
  }
  return entries;
}

/**
 * The setting as Fastify's `trustProxy` option. Fastify (5.12 and later)
 * ignores a plain number, because a hop count cannot tell a proxy from a
 * client that connects directly; the hop count is therefore passed as the
 * equivalent trust function (`@fastify/proxy-addr` calls it with hop 0 for
 * the socket peer, 1 for the right-most `X-Forwarded-For` entry, and so on).
 */
export function fastifyTrustProxy(
  setting: TrustProxy,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting;
  if (setting === 0) return false;
  return (_address, hop) => hop < setting;
}
