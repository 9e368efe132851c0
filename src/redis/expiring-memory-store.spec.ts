import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpiringMemoryStore, StoreFullError } from './expiring-memory-store.js';

const MINUTE = 60_000;

describe(ExpiringMemoryStore.name, () => {
  let sut: ExpiringMemoryStore;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    sut = new ExpiringMemoryStore(3);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const later = (ms: number) => vi.setSystemTime(Date.now() + ms);

  it('answers an entry until its TTL is up, then forgets it', async () => {
    await sut.set('a', 1, MINUTE);

    later(MINUTE - 1);
    expect(await sut.mget('a', 'missing')).toEqual([1, undefined]);
    later(1);
    expect(await sut.get('a')).toBeUndefined();
  });

  it('keeps an entry without a TTL', async () => {
    await sut.set('marker', 1);

    later(365 * 24 * 60 * MINUTE);
    expect(await sut.get('marker')).toBe(1);
    expect(await sut.ttl('marker')).toBe(-1);
  });

  it('refuses a new key when full, and evicts nothing to make room', async () => {
    await sut.mset(
      [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ],
      MINUTE,
    );

    await expect(sut.set('d', 4, MINUTE)).rejects.toBeInstanceOf(StoreFullError);
    expect(await sut.mget('a', 'b', 'c', 'd')).toEqual([1, 2, 3, undefined]);
  });

  it('still overwrites a key it holds when full', async () => {
    await sut.mset(
      [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ],
      MINUTE,
    );

    await sut.set('c', 30, 2 * MINUTE);
    expect(await sut.get('c')).toBe(30);
  });

  it('makes room once entries have expired', async () => {
    await sut.mset(
      [
        ['a', 1],
        ['b', 2],
      ],
      MINUTE,
    );
    await sut.set('c', 3, 10 * MINUTE);

    later(MINUTE);
    await sut.set('d', 4, MINUTE);

    expect(sut.size).toBe(2);
    expect(await sut.mget('a', 'b', 'c', 'd')).toEqual([undefined, undefined, 3, 4]);
  });

  it('sweeps expired entries out as writes come in, without being full', async () => {
    const roomy = new ExpiringMemoryStore(1_000);
    for (let i = 0; i < 100; i++) await roomy.set(`old:${i}`, 1, MINUTE);

    later(2 * MINUTE);
    await roomy.set('new', 1, MINUTE);

    expect(roomy.size).toBe(1);
  });

  it('lists live keys matching a glob', async () => {
    await sut.set('bl:jti:1', 1, MINUTE);
    await sut.set('bl:sid:1', 1, MINUTE);
    await sut.set('bl:jti:2', 1, 1);

    later(1);
    expect(await sut.keys('bl:jti:*')).toEqual(['bl:jti:1']);
  });
});
