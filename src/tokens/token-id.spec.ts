import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { newTokenId, tokenIdTime } from './token-id.js';

describe(tokenIdTime.name, () => {
  const sut = tokenIdTime;

  it('reads the millisecond at which the token id was made', () => {
    const before = Date.now();
    const id = newTokenId();
    const after = Date.now();

    expect(sut(id)).toBeGreaterThanOrEqual(before);
    expect(sut(id)).toBeLessThanOrEqual(after);
  });

  it('orders ids made in later milliseconds later, by time and by text', async () => {
    const first = newTokenId();
    await sleep(5);
    const second = newTokenId();

    expect(sut(second)).toBeGreaterThan(sut(first));
    expect([second, first].sort()).toEqual([first, second]);
  });

  it('keeps ids made within one millisecond in the order they were made', () => {
    const ids = Array.from({ length: 200 }, newTokenId);

    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
