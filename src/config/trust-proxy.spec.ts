import Fastify, { type FastifyServerOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { fastifyTrustProxy, parseTrustProxy, TrustProxy } from './trust-proxy.js';

function parse(raw: string | undefined): { value: TrustProxy; problems: string[] } {
  const problems: string[] = [];
  return { value: parseTrustProxy(raw, problems), problems };
}

/** The client IP Fastify resolves for a request from `peer` carrying `forwardedFor`. */
async function clientIp(
  trustProxy: FastifyServerOptions['trustProxy'],
  peer: string,
  forwardedFor?: string,
): Promise<string> {
  const app = Fastify({ trustProxy });
  app.get('/', async (request) => ({ ip: request.ip }));
  const response = await app.inject({
    url: '/',
    remoteAddress: peer,
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });
  await app.close();
  return response.json<{ ip: string }>().ip;
}

describe(parseTrustProxy.name, () => {
  it.each([undefined, '0', 'false', 'FALSE'])('reads %s as off', (raw) => {
    expect(parse(raw)).toEqual({ value: false, problems: [] });
  });

  it.each([
    ['1', 1],
    ['2', 2],
    ['10', 10],
  ])('reads %s as a hop count', (raw, hops) => {
    expect(parse(raw)).toEqual({ value: hops, problems: [] });
  });

  it('reads a list of addresses, CIDR ranges and named ranges', () => {
    expect(parse('10.0.0.0/8, 192.168.1.1,fd00::/8 , ::1,loopback')).toEqual({
      value: ['10.0.0.0/8', '192.168.1.1', 'fd00::/8', '::1', 'loopback'],
      problems: [],
    });
  });

  it.each(['true', 'TRUE', 'yes', 'on'])(
    'refuses %s and names the replacements instead of guessing one',
    (raw) => {
      const { value, problems } = parse(raw);

      expect(value).toBe(false);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(`TRUST_PROXY=${raw} is no longer accepted`);
      expect(problems[0]).toContain('TRUST_PROXY=1');
      expect(problems[0]).toContain('TRUST_PROXY=10.0.0.0/8');
    },
  );

  it.each(['11', '10.0.0.0/33', '::/129', '10.0.0/8', 'proxy.internal', '10.0.0.1/8/8', '1,,2'])(
    'refuses %s',
    (raw) => {
      const { value, problems } = parse(raw);

      expect(value).toBe(false);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^TRUST_PROXY must be a hop count/);
    },
  );
});

describe(fastifyTrustProxy.name, () => {
  const spoofed = '1.2.3.4, 198.51.100.7';

  it('ignores X-Forwarded-For when off', async () => {
    expect(await clientIp(fastifyTrustProxy(false), '10.0.0.5', spoofed)).toBe('10.0.0.5');
  });

  it('with 1 hop takes the right-most entry, the one the proxy appended', async () => {
    const trust = fastifyTrustProxy(1);

    expect(await clientIp(trust, '10.0.0.5', spoofed)).toBe('198.51.100.7');
    expect(await clientIp(trust, '10.0.0.5', '5.6.7.8, 198.51.100.7')).toBe('198.51.100.7');
    expect(await clientIp(trust, '10.0.0.5')).toBe('10.0.0.5');
  });

  it('with 2 hops takes the second entry from the right', async () => {
    expect(
      await clientIp(fastifyTrustProxy(2), '10.0.0.5', '1.2.3.4, 198.51.100.7, 10.0.0.9'),
    ).toBe('198.51.100.7');
  });

  it('with addresses skips trusted proxies from the right and stops at the first other address', async () => {
    const trust = fastifyTrustProxy(['10.0.0.0/8', '192.168.1.1']);

    expect(await clientIp(trust, '10.0.0.5', '1.2.3.4, 198.51.100.7, 192.168.1.1')).toBe(
      '198.51.100.7',
    );
    expect(await clientIp(trust, '10.0.0.5', '1.2.3.4, 10.9.9.9')).toBe('1.2.3.4');
  });

  it('with addresses ignores the header from a peer that is not a listed proxy', async () => {
    expect(await clientIp(fastifyTrustProxy(['10.0.0.0/8']), '203.0.113.9', spoofed)).toBe(
      '203.0.113.9',
    );
  });

  // Why the hop count is passed as a function: Fastify fails closed on a plain number.
  it('is needed because Fastify itself trusts nobody when given a number', async () => {
    // Its types no longer allow a number; plain JavaScript can still pass one.
    const hops = 1 as unknown as FastifyServerOptions['trustProxy'];

    expect(await clientIp(hops, '10.0.0.5', spoofed)).toBe('10.0.0.5');
  });
});
