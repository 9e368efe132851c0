import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRatios, describeFindings, readThresholds, validThresholds } from './check.js';

const thresholds = { single: { usersMeOverAuthMe: 0.4, refreshOverCeiling: 0.6 } };

describe(checkRatios.name, () => {
  it('passes when every ratio is at or above its floor', () => {
    const findings = checkRatios(
      { single: { usersMeOverAuthMe: 0.4, refreshOverCeiling: 0.75, other: 0.01 } },
      thresholds,
    );

    expect(findings.every((f) => f.pass)).toBe(true);
    expect(describeFindings(findings).ok).toBe(true);
  });

  it('fails the ratio that fell below its floor, and only that one', () => {
    const findings = checkRatios(
      { single: { usersMeOverAuthMe: 0.39, refreshOverCeiling: 0.9 } },
      thresholds,
    );

    expect(findings.filter((f) => !f.pass).map((f) => f.ratio)).toEqual(['usersMeOverAuthMe']);
    const { ok, lines } = describeFindings(findings);
    expect(ok).toBe(false);
    expect(lines).toContain('FAIL single usersMeOverAuthMe: 0.390 (floor 0.4)');
  });

  it('fails a floor whose ratio the run did not produce or could not measure', () => {
    const findings = checkRatios({ single: { usersMeOverAuthMe: Number.NaN } }, thresholds);

    expect(findings.map((f) => f.pass)).toEqual([false, false]);
    expect(describeFindings(findings).lines[0]).toContain('not measured');
  });

  it('skips modes that did not run, and fails when nothing at all was checked', () => {
    const findings = checkRatios({ cluster: { usersMeOverAuthMe: 0.1 } }, thresholds);

    expect(findings).toEqual([]);
    expect(describeFindings(findings).ok).toBe(false);
  });
});

describe(validThresholds.name, () => {
  it('reads modes of ratio floors and ignores "$comment" keys', () => {
    expect(validThresholds({ $comment: 'why', single: { a: 0.5 } })).toEqual({
      single: { a: 0.5 },
    });
  });

  it.each([
    ['not an object', []],
    ['a mode that is not an object', { single: 0.5 }],
    ['a floor that is not a number', { single: { a: '0.5' } }],
    ['a floor of zero', { single: { a: 0 } }],
    ['a negative floor', { single: { a: -1 } }],
    ['an absurd floor', { single: { a: 11 } }],
  ])('refuses %s', (_, value) => {
    expect(() => validThresholds(value)).toThrow();
  });

  it('reads the file kept in the repository', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'thresholds-')), 'thresholds.json');
    writeFileSync(file, JSON.stringify(thresholds));

    expect(readThresholds(file)).toEqual(thresholds);
    expect(() =>
      readThresholds(new URL('../thresholds.json', import.meta.url).pathname),
    ).not.toThrow();
  });
});
