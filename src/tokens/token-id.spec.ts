import { describe, expect, it } from 'vitest';
import { tokenIdTime } from './token-id.js';

describe(tokenIdTime.name, () => {
  const sut = tokenIdTime;

  it('reads the millisecond a UUIDv7 carries (the example of RFC 9562, appendix A.6)', () => {
    // 2022-02-22 14:22:22.000 UTC-5, the RFC's own example.
    expect(sut('017f22e2-79b0-7cc3-98c4-dc0c0c07398f')).toBe(Date.UTC(2022, 1, 22, 19, 22, 22));
  });

  it('reads the full 48 bits, the highest millisecond included', () => {
    expect(sut('ffffffff-ffff-7fff-bfff-ffffffffffff')).toBe(2 ** 48 - 1);
    expect(sut('00000000-0001-7000-8000-000000000000')).toBe(1);
  });
});
