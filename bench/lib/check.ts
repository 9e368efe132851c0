import { readFileSync } from 'node:fs';

/**
 * `npm run bench -- --check`: the run's ratios against the floors kept in
 * `bench/thresholds.json`. Ratios, not raw req/s: both sides of each ratio
 * are measured in the same run on the same machine, so a busy or a slower
 * machine moves them far less than it moves the absolute figures.
 */
export type Thresholds = Record<string, Record<string, number>>;

export interface CheckFinding {
  mode: string;
  ratio: string;
  value: number;
  floor: number;
  pass: boolean;
}

/** Reads and validates the thresholds file: `{ "<mode>": { "<ratio>": <floor> } }`, floors in (0, 10]. */
export function readThresholds(path: string): Thresholds {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  return validThresholds(parsed, path);
}

export function validThresholds(parsed: unknown, source = 'thresholds'): Thresholds {
  const fail = (why: string) => {
    throw new Error(`${source}: ${why}`);
  };
  if (!isObject(parsed)) fail('expected an object of modes');
  const thresholds: Thresholds = {};
  for (const [mode, ratios] of Object.entries(parsed as Record<string, unknown>)) {
    if (mode.startsWith('$')) continue; // "$comment" and the like
    if (!isObject(ratios)) fail(`mode "${mode}" must map ratio names to floors`);
    thresholds[mode] = {};
    for (const [ratio, floor] of Object.entries(ratios as Record<string, unknown>)) {
      if (typeof floor !== 'number' || !Number.isFinite(floor) || floor <= 0 || floor > 10) {
        fail(`${mode}.${ratio} must be a number above 0 and at most 10`);
      }
      thresholds[mode][ratio] = floor as number;
    }
  }
  return thresholds;
}

/**
 * One finding per floor of a mode that ran. A ratio the run did not produce
 * (a typo in the file, a ratio since renamed) or did not measure (NaN) fails:
 * a check that silently checks nothing is worse than none. Modes that did not
 * run are skipped.
 */
export function checkRatios(
  ratiosByMode: Record<string, Record<string, number>>,
  thresholds: Thresholds,
): CheckFinding[] {
  const findings: CheckFinding[] = [];
  for (const [mode, floors] of Object.entries(thresholds)) {
    const ratios = ratiosByMode[mode];
    if (!ratios) continue;
    for (const [ratio, floor] of Object.entries(floors)) {
      const value = ratios[ratio] ?? Number.NaN;
      findings.push({ mode, ratio, value, floor, pass: Number.isFinite(value) && value >= floor });
    }
  }
  return findings;
}

/** The lines `--check` prints, and whether every finding passed. */
export function describeFindings(findings: CheckFinding[]): { ok: boolean; lines: string[] } {
  const lines = findings.map(
    (f) =>
      `${f.pass ? 'ok  ' : 'FAIL'} ${f.mode} ${f.ratio}: ${Number.isFinite(f.value) ? f.value.toFixed(3) : 'not measured'} (floor ${f.floor})`,
  );
  if (findings.length === 0) lines.push('FAIL no threshold applies to the modes that ran');
  return { ok: findings.length > 0 && findings.every((f) => f.pass), lines };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
