import { describe, expect, it } from 'vitest';
import { parseDurationSeconds } from './duration.js';

describe(parseDurationSeconds.name, () => {
  it.each([
    ['900', 900],
    ['45s', 45],
    ['15m', 900],
    ['12h', 43_200],
    ['30d', 2_592_000],
    [' 15M ', 900],
  ])('reads %j as %i seconds', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each(['', '0', '0m', '-5', '1.5h', '15 minutes', '1w', 'm', '1234567890'])(
    'refuses %j',
    (text) => {
      expect(parseDurationSeconds(text)).toBeUndefined();
    },
  );
});
