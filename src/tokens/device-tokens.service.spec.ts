import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, strongSecret } from '../../test/support/unit.js';
import { DEVICE_TOKEN_TTL_SECONDS, DeviceTokensService } from './device-tokens.service.js';

/** Replaces the `index`-th dot-separated part of a token. */
function withPart(token: string, index: number, replace: (part: string) => string): string {
  const parts = token.split('.');
  parts[index] = replace(parts[index]);
  return parts.join('.');
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same 32 bytes, spelt differently: the last of 43 characters carries
 * two unused bits, and flipping one leaves the decoded bytes alone.
 */
function respell(mac: string): string {
  const last = BASE64URL[BASE64URL.indexOf(mac[42]) ^ 1];
  const other = mac.slice(0, 42) + last;
  expect(Buffer.from(other, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
  return other;
}

/** A different character of the same base64url alphabet. */
const flipFirst = (part: string) => (part[0] === 'A' ? 'B' : 'A') + part.slice(1);

describe(DeviceTokensService.name, () => {
  const secret = strongSecret();
  let clock: FakeClock;
  let sut: DeviceTokensService;
  let userId: string;
  beforeEach(() => {
    clock = new FakeClock();
    sut = new DeviceTokensService(secret, clock);
    userId = randomUUID();
  });

  it('issues a token that names the account and a device, and holds no secret', () => {
    const token = sut.issue(userId);

    expect(token).toMatch(/^d1\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(token.split('.')[1]).toBe(userId);
    expect(token).not.toContain(secret);
  });

  it('gives each token its own device id, which is the one it accepts', () => {
    const first = sut.issue(userId);
    const second = sut.issue(userId);

    expect(sut.deviceOf([first], userId)).toBe(first.split('.')[2]);
    expect(sut.deviceOf([second], userId)).not.toBe(sut.deviceOf([first], userId));
  });

  it.each([
    ['a changed user id', (t: string) => withPart(t, 1, () => randomUUID())],
    ['a changed device id', (t: string) => withPart(t, 2, flipFirst)],
    ['a later expiry', (t: string) => withPart(t, 3, (exp) => String(Number(exp) + 86400))],
    ['a changed signature', (t: string) => withPart(t, 4, flipFirst)],
    ['another spelling of the same signature bytes', (t: string) => withPart(t, 4, respell)],
    ['another version', (t: string) => t.replace(/^d1/, 'd2')],
    ['a missing part', (t: string) => t.split('.').slice(0, 4).join('.')],
    ['garbage', () => 'not-a-device-token'],
  ])('refuses a token with %s', (_, tamper) => {
    const token = tamper(sut.issue(userId));

    expect(sut.deviceOf([token], userId)).toBeNull();
  });

  it('refuses a token issued for another account', () => {
    const other = sut.issue(randomUUID());

    expect(sut.deviceOf([other], userId)).toBeNull();
  });

  it('refuses a token signed under another KEY_ENCRYPTION_SECRET', () => {
    const foreign = new DeviceTokensService(strongSecret(), clock).issue(userId);

    expect(sut.deviceOf([foreign], userId)).toBeNull();
  });

  it('accepts a token until it expires, DEVICE_TOKEN_TTL_SECONDS after issue', () => {
    const token = sut.issue(userId);
    clock.advance(DEVICE_TOKEN_TTL_SECONDS * 1000 - 1);
    expect(sut.deviceOf([token], userId)).not.toBeNull();

    clock.advance(1);

    expect(sut.deviceOf([token], userId)).toBeNull();
  });

  it('takes the first presented token that is valid for the account', () => {
    const valid = sut.issue(userId);

    expect(sut.deviceOf([undefined, 'garbage', sut.issue(randomUUID()), valid], userId)).toBe(
      valid.split('.')[2],
    );
    expect(sut.deviceOf([undefined, undefined], userId)).toBeNull();
  });
});
