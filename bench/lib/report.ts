import type { CeilingResult } from './ceilings.js';
import type { LoadResult } from './load.js';
import type { WaitProfile } from './waits.js';
import type { ModeName } from './options.js';
import type { HeapReading, RssReading } from './server.js';
import { SCENARIOS, type ScenarioId } from './scenarios.js';
import { formatNumber, percent, round, spread, Spread, median } from './stats.js';

/** Keycloak's published sizing, per vCPU (its "Concepts for sizing CPU and memory resources"). */
export const KEYCLOAK_PER_VCPU: Partial<Record<ScenarioId, number>> = {
  login: 15,
  refresh: 120,
  'client-credentials': 120,
};

export const TARGETS = {
  meOverLive: 0.3,
  meOverLiveAim: 0.5,
  usersMeOverAuthMe: 0.4,
  refreshOverRotation: 0.5,
  refreshOverCeiling: 0.6,
  loginOverArgon2: 0.9,
  rssMb: 200,
};

export interface ScenarioResult {
  warmup: LoadResult | null;
  rounds: LoadResult[];
}

export interface ScenarioSummary {
  rps: Spread;
  /** Medians over the rounds of each round's percentile. */
  p50: number;
  p99: number;
  /** Median over rounds of the server's CPU milliseconds per 2xx response (all its processes). */
  cpuMsPerRequest: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Medians over the rounds of each round's wait profile (backends: mean over rounds). */
  waits: WaitSummary | null;
}

export type WaitSummary = Omit<WaitProfile, 'samples'>;

export function summarizeWaits(profiles: WaitProfile[]): WaitSummary | null {
  if (profiles.length === 0) return null;
  const med = (pick: (w: WaitProfile) => number) => median(profiles.map(pick));
  const meanOf = (pick: (w: WaitProfile) => Record<string, number>) => {
    const sums: Record<string, number> = {};
    for (const profile of profiles) {
      for (const [what, count] of Object.entries(pick(profile))) {
        sums[what] = (sums[what] ?? 0) + count / profiles.length;
      }
    }
    return sums;
  };
  const backends = meanOf((w) => w.backends);
  return {
    poolWaitingMean: med((w) => w.poolWaitingMean),
    poolWaitingMax: med((w) => w.poolWaitingMax),
    poolWaitingShare: med((w) => w.poolWaitingShare),
    backends,
    redisCommandsPerRequest: med((w) => w.redisCommandsPerRequest),
    redisCommands: meanOf((w) => w.redisCommands),
    redisPingMs: med((w) => w.redisPingMs),
    eventLoopLagP99Ms: med((w) => w.eventLoopLagP99Ms),
    serverCores: med((w) => w.serverCores),
    loadGeneratorCores: med((w) => w.loadGeneratorCores),
    loadGeneratorCpuMsPerRequest: med((w) => w.loadGeneratorCpuMsPerRequest),
  };
}

export interface CeilingSet {
  argon2: CeilingResult[];
  rotation: CeilingResult[];
  /** Rotation + one primary-key read + one RS256 signature per operation (absent in older results). */
  refresh?: CeilingResult[];
}

export interface ModeResult {
  mode: ModeName;
  workers: number;
  /** node-postgres connections the server holds (pool size × processes); the raw ceiling uses as many. */
  databaseConnections: number;
  scenarios: Record<ScenarioId, ScenarioResult>;
  ceilings: CeilingSet;
  rssBeforeLoad: RssReading | null;
  rssAfterRun: RssReading | null;
  /** One serving process's V8 heap, from its /metrics. */
  heapBeforeLoad: HeapReading | null;
  heapAfterRun: HeapReading | null;
  liveSessionsAtRss: number;
  failures: string[];
}

export interface Check {
  name: string;
  target: string;
  value: number;
  display: string;
  pass: boolean | null;
}

export interface ModeSummary {
  scenarios: Record<ScenarioId, ScenarioSummary>;
  ceilings: {
    argon2: Spread;
    rotation: Spread;
    refresh: Spread;
    argon2CpuMs: number;
    rotationCpuMs: number;
    refreshCpuMs: number;
  };
  /** Named as in bench/thresholds.json. */
  ratios: {
    meOverLive: number;
    usersMeOverLive: number;
    usersMeOverAuthMe: number;
    refreshOverRotation: number;
    refreshOverCeiling: number;
    loginOverArgon2: number;
  };
  checks: Check[];
  perVcpu: Partial<Record<ScenarioId, { ours: number; keycloak: number; multiple: number }>>;
}

export function summarizeScenario(result: ScenarioResult): ScenarioSummary {
  const rounds = result.rounds;
  const all = [...rounds, ...(result.warmup ? [result.warmup] : [])];
  return {
    rps: spread(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    cpuMsPerRequest: median(rounds.map((r) => r.serverCpuMsPerRequest ?? Number.NaN)),
    ok: rounds.reduce((sum, r) => sum + r.ok, 0),
    non2xx: all.reduce((sum, r) => sum + r.non2xx, 0),
    errors: all.reduce((sum, r) => sum + r.errors, 0),
    waits: summarizeWaits(rounds.flatMap((r) => (r.waits ? [r.waits] : []))),
  };
}

export function summarizeMode(mode: ModeResult, vcpus: number): ModeSummary {
  const scenarios = Object.fromEntries(
    SCENARIOS.map(({ id }) => [id, summarizeScenario(mode.scenarios[id])]),
  ) as Record<ScenarioId, ScenarioSummary>;
  const ceilings = {
    argon2: spread(mode.ceilings.argon2.map((c) => c.rate)),
    rotation: spread(mode.ceilings.rotation.map((c) => c.rate)),
    refresh: spread((mode.ceilings.refresh ?? []).map((c) => c.rate)),
    argon2CpuMs: median(mode.ceilings.argon2.map((c) => c.cpuMsPerOperation)),
    rotationCpuMs: median(mode.ceilings.rotation.map((c) => c.cpuMsPerOperation)),
    refreshCpuMs: median((mode.ceilings.refresh ?? []).map((c) => c.cpuMsPerOperation)),
  };
  const rps = (id: ScenarioId) => scenarios[id].rps.median;
  const ratios = {
    meOverLive: rps('auth-me') / rps('live'),
    usersMeOverLive: rps('users-me') / rps('live'),
    usersMeOverAuthMe: rps('users-me') / rps('auth-me'),
    refreshOverRotation: rps('refresh') / ceilings.rotation.median,
    refreshOverCeiling: rps('refresh') / ceilings.refresh.median,
    loginOverArgon2: rps('login') / ceilings.argon2.median,
  };
  const rss = mode.rssAfterRun;
  const checks: Check[] = [
    {
      name: '/auth/me ÷ /health/live',
      target: `≥ ${percent(TARGETS.meOverLive)} (aim ${percent(TARGETS.meOverLiveAim)})`,
      value: ratios.meOverLive,
      display: percent(ratios.meOverLive),
      pass: ratios.meOverLive >= TARGETS.meOverLive,
    },
    {
      name: '/users/me ÷ /health/live',
      target: 'none (for reference)',
      value: ratios.usersMeOverLive,
      display: percent(ratios.usersMeOverLive),
      pass: null,
    },
    {
      name: '/users/me ÷ /auth/me',
      target: `≥ ${percent(TARGETS.usersMeOverAuthMe)}`,
      value: ratios.usersMeOverAuthMe,
      display: percent(ratios.usersMeOverAuthMe),
      pass: ratios.usersMeOverAuthMe >= TARGETS.usersMeOverAuthMe,
    },
    {
      name: '/auth/refresh ÷ refresh ceiling (rotation + PK read + RS256 signature)',
      target: `≥ ${percent(TARGETS.refreshOverCeiling)}`,
      value: ratios.refreshOverCeiling,
      display: percent(ratios.refreshOverCeiling),
      pass: ratios.refreshOverCeiling >= TARGETS.refreshOverCeiling,
    },
    {
      name: '/auth/refresh ÷ raw rotation tx/s',
      target: `≥ ${percent(TARGETS.refreshOverRotation)}`,
      value: ratios.refreshOverRotation,
      display: percent(ratios.refreshOverRotation),
      pass: ratios.refreshOverRotation >= TARGETS.refreshOverRotation,
    },
    {
      name: '/auth/login ÷ Argon2id hashes/s',
      target: `≥ ${percent(TARGETS.loginOverArgon2)}`,
      value: ratios.loginOverArgon2,
      display: percent(ratios.loginOverArgon2),
      pass: ratios.loginOverArgon2 >= TARGETS.loginOverArgon2,
    },
    {
      name: 'Server RSS after the run (largest serving process)',
      target: `≤ ${TARGETS.rssMb} MB`,
      value: rss?.largestServingMb ?? Number.NaN,
      display: rss ? `${rss.largestServingMb} MB` : 'n/a',
      pass: rss ? rss.largestServingMb <= TARGETS.rssMb : false,
    },
  ];
  const perVcpu: ModeSummary['perVcpu'] = {};
  for (const [id, keycloak] of Object.entries(KEYCLOAK_PER_VCPU) as [ScenarioId, number][]) {
    const ours = rps(id) / vcpus;
    perVcpu[id] = { ours, keycloak, multiple: ours / keycloak };
  }
  return { scenarios, ceilings, ratios, checks, perVcpu };
}

export interface Machine {
  cpuModel: string;
  vcpus: number;
  availableParallelism: number;
  memoryGb: number;
  platform: string;
  kernel: string;
  node: string;
  postgres: string;
  redis: string;
  date: string;
  /** 1-minute load averages: anything else running on the machine shows here. */
  loadAverageAtStart: number;
  loadAverageAtEnd: number;
}

export interface BenchConfigRecord {
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  connections: number;
  liveSessionsSeeded: number;
  poolSizePerProcess: number;
  jwtAlgorithm: string;
  argon2: string;
  loadGenerator: string;
  /** Extra `node` flags the server ran with (BENCH_SERVER_NODE_ARGS). */
  serverNodeArgs: string[];
  modes: { mode: ModeName; workers: number }[];
}

const modeLabel = (mode: ModeResult) =>
  mode.workers > 1 ? `${mode.mode} (${mode.workers} workers)` : `${mode.mode} (1 process)`;

const ms = (value: number) => (Number.isFinite(value) ? round(value).toString() : 'n/a');
const verdict = (pass: boolean | null) => (pass === null ? '' : pass ? ' **pass**' : ' **miss**');
const rpsCell = (s: Spread) =>
  `${formatNumber(s.median)} (${formatNumber(s.min)}–${formatNumber(s.max)})`;

export function markdown(
  machine: Machine,
  config: BenchConfigRecord,
  modes: ModeResult[],
  summaries: ModeSummary[],
  failures: string[],
): string {
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  push(
    '# Benchmark results',
    '',
    `${machine.date} · ${machine.cpuModel}, ${machine.vcpus} vCPUs, ${machine.memoryGb} GB · ` +
      `Node ${machine.node} · PostgreSQL ${machine.postgres} · Redis ${machine.redis} · ` +
      `${config.jwtAlgorithm} access tokens` +
      (config.serverNodeArgs.length
        ? ` · server flags \`${config.serverNodeArgs.join(' ')}\``
        : '') +
      ` · load average ${machine.loadAverageAtStart} at start, ` +
      `${machine.loadAverageAtEnd} at end`,
    '',
    `Load generator (${config.loadGenerator}, ${config.connections} connections, one request in flight each) on the same ` +
      `machine as the server, PostgreSQL and Redis: the figures are lower bounds. Each scenario ran ` +
      `${config.warmupSeconds} s of warm-up, then ${config.rounds} rounds of ${config.durationSeconds} s, ` +
      'interleaved with the other scenarios and the ceilings; req/s is the median over the rounds (min–max), ' +
      'p50/p99 the median of the rounds’ percentiles, over 2xx responses; CPU ms/req is the server’s ' +
      'CPU time (all its processes, from /proc) per 2xx response, median over rounds; a ceiling’s ' +
      'CPU ms/op is the measuring process’s own CPU per operation (first mode), PostgreSQL’s not included.',
    '',
  );
  if (failures.length > 0) {
    push('**The run FAILED:**', '', ...failures.map((f) => `- ${f}`), '');
  }

  const header = [
    'Scenario',
    ...modes.flatMap((m) => [`${modeLabel(m)} req/s`, 'p50 ms', 'p99 ms', 'server CPU ms/req']),
  ];
  push(
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
  );
  for (const { id, title } of SCENARIOS) {
    const cells = summaries.flatMap((s) => {
      const sc = s.scenarios[id];
      return [rpsCell(sc.rps), ms(sc.p50), ms(sc.p99), ms(sc.cpuMsPerRequest)];
    });
    push(`| ${title} | ${cells.join(' | ')} |`);
  }
  push(...waitTable(modes, summaries));
  push(
    '',
    `| Ceiling (same run) | ${modes.map((m) => `${modeLabel(m)} ops/s`).join(' | ')} | CPU ms/op |`,
    `| --- |${modes.map(() => ' ---: ').join('|')}| ---: |`,
    `| Argon2id hashes/s in-process (${config.argon2}) | ${summaries.map((s) => rpsCell(s.ceilings.argon2)).join(' | ')} | ${ms(summaries[0].ceilings.argon2CpuMs)} |`,
    `| Raw rotation transactions/s (node-postgres; connections: ${modes
      .map((m) => m.databaseConnections)
      .join(
        ' / ',
      )}) | ${summaries.map((s) => rpsCell(s.ceilings.rotation)).join(' | ')} | ${ms(summaries[0].ceilings.rotationCpuMs)} |`,
    `| Refresh ceiling/s: raw rotation + one primary-key read + one RS256 signature (libuv pool), same connections | ${summaries.map((s) => rpsCell(s.ceilings.refresh)).join(' | ')} | ${ms(summaries[0].ceilings.refreshCpuMs)} |`,
    '',
    `| Ratio | Target | ${modes.map(modeLabel).join(' | ')} |`,
    `| --- | --- |${modes.map(() => ' ---: ').join('|')}|`,
  );
  const checkNames = summaries[0]?.checks.map((c) => c.name) ?? [];
  checkNames.forEach((_, index) => {
    const first = summaries[0].checks[index];
    const name = first.name;
    push(
      `| ${name} | ${first.target} | ${summaries.map((s) => `${s.checks[index].display}${verdict(s.checks[index].pass)}`).join(' | ')} |`,
    );
  });
  push(
    '',
    `| Per vCPU (${machine.vcpus} vCPUs, shared with the load generator) | Keycloak | ${modes
      .map(modeLabel)
      .join(' | ')} |`,
    `| --- | ---: |${modes.map(() => ' ---: ').join('|')}|`,
  );
  for (const id of Object.keys(KEYCLOAK_PER_VCPU) as ScenarioId[]) {
    const title = SCENARIOS.find((s) => s.id === id)!.title;
    const cells = summaries.map((s) => {
      const v = s.perVcpu[id]!;
      return `${formatNumber(v.ours)}/s (${round(v.multiple)}×)`;
    });
    push(`| ${title} | ${KEYCLOAK_PER_VCPU[id]}/s | ${cells.join(' | ')} |`);
  }
  push(
    '',
    `| Server memory (VmRSS) | ${modes.map(modeLabel).join(' | ')} |`,
    `| --- |${modes.map(() => ' ---: ').join('|')}|`,
    `| After start-up | ${modes.map((m) => rssCell(m.rssBeforeLoad)).join(' | ')} |`,
    `| After the run | ${modes.map((m) => rssCell(m.rssAfterRun)).join(' | ')} |`,
    `| V8 heap used / total, external (one serving process, from /metrics): after start-up | ${modes.map((m) => heapCell(m.heapBeforeLoad)).join(' | ')} |`,
    `| V8 heap used / total, external (one serving process, from /metrics): after the run | ${modes.map((m) => heapCell(m.heapAfterRun)).join(' | ')} |`,
    `| Live refresh sessions at the reading | ${modes.map((m) => formatNumber(m.liveSessionsAtRss)).join(' | ')} |`,
    '',
  );
  return lines.join('\n');
}

/** Backends per state, largest first: "2.1 active: CPU, 0.4 active: Client/ClientRead, 7.5 idle". */
function backendsCell(backends: Record<string, number>): string {
  const entries = Object.entries(backends).filter(([, n]) => n >= 0.05);
  if (entries.length === 0) return 'none';
  return entries
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${round(n)} ${what}`)
    .join(', ');
}

function redisCell(commands: Record<string, number>): string {
  const entries = Object.entries(commands).filter(([, n]) => n >= 0.05);
  return entries.length === 0
    ? ''
    : ` (${entries
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]) => `${name} ${round(n)}`)
        .join(', ')})`;
}

/** Where each scenario's requests waited, and which side's CPU was full: one table per mode. */
function waitTable(modes: ModeResult[], summaries: ModeSummary[]): string[] {
  const lines: string[] = [];
  modes.forEach((mode, index) => {
    lines.push(
      '',
      `| Where requests wait, ${modeLabel(mode)} | server cores | load generator cores | load generator CPU ms/req | pool: queries waiting (mean, max, share of samples) | PostgreSQL backends of the server (mean per state) | Redis commands/req | Redis PING ms | event-loop delay p99 ms |`,
      '| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |',
    );
    for (const { id, title } of SCENARIOS) {
      const w = summaries[index].scenarios[id].waits;
      if (!w) continue;
      lines.push(
        `| ${title} | ${ms(w.serverCores)} | ${ms(w.loadGeneratorCores)} | ${ms(w.loadGeneratorCpuMsPerRequest)} | ` +
          `${ms(w.poolWaitingMean)}, ${ms(w.poolWaitingMax)}, ${percent(w.poolWaitingShare)} | ${backendsCell(w.backends)} | ` +
          `${ms(w.redisCommandsPerRequest)}${redisCell(w.redisCommands)} | ${ms(w.redisPingMs)} | ${ms(w.eventLoopLagP99Ms)} |`,
      );
    }
  });
  return lines;
}

function heapCell(heap: HeapReading | null): string {
  if (!heap) return 'n/a';
  return `${heap.heapUsedMb} / ${heap.heapTotalMb} MB, ${heap.externalMb} MB`;
}

function rssCell(rss: RssReading | null): string {
  if (!rss) return 'n/a';
  if (rss.workers.length === 0) return `${rss.mainMb} MB`;
  return `${rss.totalMb} MB total: primary ${rss.mainMb} MB, workers ${rss.workers.map((w) => `${w.rssMb}`).join(' + ')} MB`;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A horizontal grouped bar chart of req/s per scenario, one bar per mode, on
 * a logarithmic axis (login is ~100/s, the baseline tens of thousands), with
 * the min–max spread over rounds as a whisker and the median as a label.
 */
export function svgChart(machine: Machine, modes: ModeResult[], summaries: ModeSummary[]): string {
  const colours = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759'];
  const left = 270;
  const right = 90;
  const width = 960;
  const plotWidth = width - left - right;
  const barHeight = 16;
  const barGap = 4;
  const groupGap = 18;
  const top = 70;
  const groupHeight = modes.length * (barHeight + barGap) - barGap;
  const plotHeight = SCENARIOS.length * (groupHeight + groupGap) - groupGap;
  const height = top + plotHeight + 60;
  const allValues = summaries.flatMap((s) => SCENARIOS.map(({ id }) => s.scenarios[id].rps.max));
  const maxValue = Math.max(10, ...allValues.filter(Number.isFinite));
  const decades = Math.ceil(Math.log10(maxValue));
  const minDecade = 0;
  const x = (value: number) =>
    left + (Math.log10(Math.max(1, value)) - minDecade) * (plotWidth / (decades - minDecade));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="20" y="26" font-size="17" font-weight="600">Requests per second by scenario: median of rounds (log scale), whisker min–max</text>`,
    `<text x="20" y="46" fill="#555">${escapeXml(`${machine.cpuModel}, ${machine.vcpus} vCPUs, Node ${machine.node}, ${machine.date.slice(0, 10)}; load generator on the same machine`)}</text>`,
  );
  for (let decade = minDecade; decade <= decades; decade++) {
    const value = 10 ** decade;
    const gx = x(value);
    out.push(
      `<line x1="${gx.toFixed(1)}" y1="${top - 6}" x2="${gx.toFixed(1)}" y2="${top + plotHeight + 4}" stroke="#ddd"/>`,
      `<text x="${gx.toFixed(1)}" y="${top + plotHeight + 20}" text-anchor="middle" fill="#555">${formatNumber(value)}</text>`,
    );
  }
  SCENARIOS.forEach(({ id, title }, group) => {
    const gy = top + group * (groupHeight + groupGap);
    out.push(
      `<text x="${left - 10}" y="${(gy + groupHeight / 2 + 4).toFixed(1)}" text-anchor="end">${escapeXml(title)}</text>`,
    );
    summaries.forEach((summary, index) => {
      const s = summary.scenarios[id].rps;
      const y = gy + index * (barHeight + barGap);
      const x0 = x(1);
      const x1 = x(s.median);
      out.push(
        `<rect x="${x0.toFixed(1)}" y="${y}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${barHeight}" fill="${colours[index % colours.length]}"/>`,
        `<line x1="${x(s.min).toFixed(1)}" y1="${y + barHeight / 2}" x2="${x(s.max).toFixed(1)}" y2="${y + barHeight / 2}" stroke="#222" stroke-width="1.5"/>`,
        `<line x1="${x(s.min).toFixed(1)}" y1="${y + 3}" x2="${x(s.min).toFixed(1)}" y2="${y + barHeight - 3}" stroke="#222" stroke-width="1.5"/>`,
        `<line x1="${x(s.max).toFixed(1)}" y1="${y + 3}" x2="${x(s.max).toFixed(1)}" y2="${y + barHeight - 3}" stroke="#222" stroke-width="1.5"/>`,
        `<text x="${(Math.max(x1, x(s.max)) + 6).toFixed(1)}" y="${y + barHeight - 3}" fill="#222">${formatNumber(s.median)}</text>`,
      );
    });
  });
  const legendY = top + plotHeight + 42;
  modes.forEach((mode, index) => {
    const lx = left + index * 240;
    out.push(
      `<rect x="${lx}" y="${legendY - 11}" width="14" height="14" fill="${colours[index % colours.length]}"/>`,
      `<text x="${lx + 20}" y="${legendY}">${escapeXml(modeLabel(mode))}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}
