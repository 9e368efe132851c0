/**
 * `npm run bench`: the built server on real PostgreSQL and Redis, under load
 * from autocannon in this process, next to the raw ceilings it is compared
 * with (Argon2id hashes/s, the bare rotation transaction). See
 * docs/performance.md for the method and how to read the results.
 *
 *   npm run build
 *   DATABASE_URL=postgres://… REDIS_URL=redis://… npm run bench
 *
 * Knobs: BENCH_DURATION (s per round, 4), BENCH_WARMUP (s, 2), BENCH_ROUNDS
 * (3), BENCH_CONNECTIONS (50), BENCH_SESSIONS (10000), BENCH_MODES
 * (single,cluster), BENCH_WORKERS (CPUs), BENCH_SERVER_NODE_ARGS (e.g.
 * "--max-semi-space-size=4"), BENCH_TIMEOUT (s, 1200). To profile one scenario:
 * `node --import tsx bench/profile.ts auth-me`.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARGON2_OPTIONS } from '../src/users/password-hasher.service.js';
import { freePort } from '../test/support/net.js';
import { checkRatios, describeFindings, readThresholds } from './lib/check.js';
import { argon2Ceiling, CeilingResult, RotationCeiling } from './lib/ceilings.js';
import { LoadResult, runLoad } from './lib/load.js';
import {
  expectScenarioAnswers,
  scenarioById,
  ScenarioId,
  SCENARIOS,
  scenarioSpec,
} from './lib/scenarios.js';
import { BenchOptions, ModeName, readOptions, UsageError } from './lib/options.js';
import {
  BenchConfigRecord,
  Machine,
  markdown,
  ModeResult,
  summarizeMode,
  svgChart,
} from './lib/report.js';
import { countLiveSessions, login, Seeded, seedIdleSessions, seedThroughApi } from './lib/seed.js';
import {
  cleanUp,
  cleanUpOnSignals,
  isInterrupted,
  log,
  onCleanup,
  openSandbox,
  Sandbox,
} from './lib/sandbox.js';
import { ServerProcess } from './lib/server.js';
import { WaitSampler } from './lib/waits.js';
import { formatNumber, round } from './lib/stats.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');
const FILLER_USERS = 100;
const THRESHOLDS = join(ROOT, 'bench', 'thresholds.json');
/** `--check`: a ratio fell below its floor in bench/thresholds.json. */
const CHECK_FAILED = 3;

cleanUpOnSignals();

function autocannonVersion(): string {
  try {
    const manifest = readFileSync(join(ROOT, 'node_modules/autocannon/package.json'), 'utf8');
    return (JSON.parse(manifest) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

// --- Preconditions ------------------------------------------------------------------

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function checkBuild(): void {
  const main = join(ROOT, 'dist/src/main.js');
  if (!existsSync(main) || !existsSync(join(ROOT, 'dist/src/database/data-source.js'))) {
    throw new UsageError(
      'dist/ is missing: run `npm run build` first (the benchmark measures the built server).',
    );
  }
  const built = statSync(main).mtimeMs;
  const sources = Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'migrations')));
  if (sources > built) {
    log(
      'warning: src/ changed after the last build; run `npm run build` to measure the current code.',
    );
  }
}

// --- One mode: a server, its warm-up and interleaved rounds -------------------------

interface Context {
  options: BenchOptions;
  sandbox: Sandbox;
  seeded: Seeded | null;
}

type Task =
  | { kind: 'scenario'; id: ScenarioId }
  | { kind: 'argon2' }
  | { kind: 'rotation' }
  | { kind: 'refresh-ceiling' };

const TASKS: Task[] = [
  ...SCENARIOS.map(({ id }) => ({ kind: 'scenario', id }) as Task),
  { kind: 'argon2' },
  { kind: 'rotation' },
  { kind: 'refresh-ceiling' },
];

/** The key the refresh ceiling signs with: RSA-2048, as the server's RS256 keys. */
const CEILING_SIGNING_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

function describe(result: LoadResult): string {
  const extra =
    result.non2xx + result.errors > 0 ? `, ${result.non2xx} non-2xx, ${result.errors} errors` : '';
  const cpu =
    result.serverCpuMsPerRequest === undefined
      ? ''
      : `, server CPU ${round(result.serverCpuMsPerRequest)} ms/req`;
  const waits = result.waits
    ? `, cores: server ${round(result.waits.serverCores)} / load generator ${round(result.waits.loadGeneratorCores)}` +
      `, pool waiting ${round(result.waits.poolWaitingMean)}`
    : '';
  return `${formatNumber(result.rps)} req/s, p50 ${round(result.p50)} ms, p99 ${round(result.p99)} ms${cpu}${waits}${extra}`;
}

function loadProblems(mode: ModeName, what: string, result: LoadResult): string[] {
  const problems: string[] = [];
  if (result.non2xx > 0) {
    const codes = Object.entries(result.statusCodes)
      .filter(([code]) => !code.startsWith('2'))
      .map(([code, count]) => `${count}× ${code}`)
      .join(', ');
    problems.push(`${mode} ${what}: ${result.non2xx} non-2xx responses (${codes})`);
  }
  if (result.errors > 0) {
    problems.push(
      `${mode} ${what}: ${result.errors} connection errors (${result.timeouts} timeouts)`,
    );
  }
  if (result.ok === 0) problems.push(`${mode} ${what}: no successful response`);
  problems.push(...result.problems.map((p) => `${mode} ${what}: ${p}`));
  return problems;
}

async function runMode(context: Context, mode: ModeName): Promise<ModeResult> {
  const { options } = context;
  const workers = mode === 'single' ? 1 : options.workers;
  const port = await freePort();
  const server = ServerProcess.start({
    root: ROOT,
    env: { ...context.sandbox.env, PORT: String(port), WEB_CONCURRENCY: String(workers) },
    port,
    logFile: join(context.sandbox.logDir, `server-${mode}.log`),
    workers,
    nodeArgs: options.serverNodeArgs,
  });
  onCleanup(`stop the ${mode} server`, () => server.stop());
  log(
    `[${mode}] server pid ${server.pid} on ${server.baseUrl}, ${workers} process(es); log ${server.logFile}`,
  );
  await server.waitReady();
  const base = server.baseUrl;

  if (!context.seeded) {
    log('seeding: a user and a service client through the API, idle sessions in SQL…');
    context.seeded = await seedThroughApi(base, context.sandbox.admin);
    const { rows } = await context.sandbox.pool.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE id = $1',
      [context.seeded.user.id],
    );
    await seedIdleSessions(
      context.sandbox.pool,
      options.sessions,
      FILLER_USERS,
      rows[0].password_hash,
    );
  }
  const seeded = context.seeded;
  const databaseConnections = options.poolSize * workers;
  const { rows: sessionRows } = await context.sandbox.pool.query<{ count: string }>(
    'SELECT count(*) FROM refresh_sessions',
  );
  const rotation = await RotationCeiling.create(
    options.databaseUrl,
    context.sandbox.schema,
    databaseConnections,
    seeded.user.id,
    Number(sessionRows[0].count),
  );
  onCleanup(`close the ${mode} rotation pool`, () => rotation.close());

  const rssBeforeLoad = server.rss();
  const heapBeforeLoad = await server.heap();
  const tokens = await login(base, seeded.user);
  const scenarioContext = {
    pool: context.sandbox.pool,
    seeded,
    accessToken: tokens.access_token,
    connections: options.connections,
  };

  // Every scenario answers 2xx once before any load, with its response shown if not.
  for (const { id } of SCENARIOS) await expectScenarioAnswers(base, id, scenarioContext);

  const spec = (id: ScenarioId) => scenarioSpec(id, scenarioContext);

  const scenarios = Object.fromEntries(
    SCENARIOS.map(({ id }) => [id, { warmup: null, rounds: [] }]),
  ) as unknown as ModeResult['scenarios'];
  const ceilings = {
    argon2: [] as CeilingResult[],
    rotation: [] as CeilingResult[],
    refresh: [] as CeilingResult[],
  };
  const failures: string[] = [];
  const title = (id: ScenarioId) => scenarioById(id).title;
  const assertAlive = () => {
    try {
      process.kill(server.pid, 0);
    } catch {
      throw new Error(`the ${mode} server exited during the run:\n${server.logTail()}`);
    }
  };

  log(`[${mode}] warm-up: ${options.warmup} s per scenario`);
  for (const { id } of SCENARIOS) {
    const result = await runLoad(base, await spec(id), options.warmup, options.connections);
    scenarios[id].warmup = result;
    failures.push(...loadProblems(mode, `warm-up ${title(id)}`, result));
    assertAlive();
  }
  await argon2Ceiling(Math.min(1, options.warmup));
  await rotation.measure(Math.min(1, options.warmup), databaseConnections);
  await rotation.measureRefresh(
    Math.min(1, options.warmup),
    databaseConnections,
    CEILING_SIGNING_KEY,
  );

  for (let round = 0; round < options.rounds; round++) {
    // Interleaved, each round starting one task later, so no scenario always follows the same one.
    const order = TASKS.map((_, i) => TASKS[(i + round) % TASKS.length]);
    for (const task of order) {
      const label = `[${mode}] round ${round + 1}/${options.rounds}`;
      if (task.kind === 'scenario') {
        const load = await spec(task.id);
        const sampler = new WaitSampler({
          pool: context.sandbox.pool,
          applicationName: context.sandbox.applicationName,
          redis: context.sandbox.redis,
          server,
        });
        await sampler.start();
        const cpuBefore = server.cpuSeconds();
        const result = await runLoad(base, load, options.duration, options.connections);
        result.serverCpuMsPerRequest =
          ((server.cpuSeconds() - cpuBefore) * 1000) / Math.max(1, result.ok);
        result.waits = await sampler.stop(result.ok);
        scenarios[task.id].rounds.push(result);
        failures.push(...loadProblems(mode, `round ${round + 1} ${title(task.id)}`, result));
        log(`${label} ${title(task.id)}: ${describe(result)}`);
        assertAlive();
      } else if (task.kind === 'argon2') {
        const result = await argon2Ceiling(options.duration);
        ceilings.argon2.push(result);
        log(`${label} Argon2id ceiling: ${formatNumber(result.rate)} hashes/s`);
      } else if (task.kind === 'refresh-ceiling') {
        const result = await rotation.measureRefresh(
          options.duration,
          databaseConnections,
          CEILING_SIGNING_KEY,
        );
        ceilings.refresh.push(result);
        log(
          `${label} refresh ceiling (rotation + PK read + RS256 signature): ${formatNumber(result.rate)} ops/s`,
        );
      } else {
        const result = await rotation.measure(options.duration, databaseConnections);
        ceilings.rotation.push(result);
        log(
          `${label} raw rotation ceiling: ${formatNumber(result.rate)} tx/s (${databaseConnections} connections)`,
        );
      }
    }
  }

  const liveSessionsAtRss = await countLiveSessions(context.sandbox.pool);
  const rssAfterRun = server.rss();
  const heapAfterRun = await server.heap();
  log(
    `[${mode}] RSS after the run: ${rssAfterRun.totalMb} MB` +
      (rssAfterRun.workers.length
        ? ` (workers ${rssAfterRun.workers.map((w) => w.rssMb).join(' + ')} MB)`
        : '') +
      `, ${formatNumber(liveSessionsAtRss)} live sessions`,
  );
  if (liveSessionsAtRss < options.sessions) {
    failures.push(
      `${mode}: only ${liveSessionsAtRss} live sessions at the RSS reading (wanted ${options.sessions})`,
    );
  }
  await rotation.close();
  await server.stop();
  return {
    mode,
    workers,
    databaseConnections,
    scenarios,
    ceilings,
    rssBeforeLoad,
    rssAfterRun,
    heapBeforeLoad,
    heapAfterRun,
    liveSessionsAtRss,
    failures,
  };
}

// --- The whole run -----------------------------------------------------------------

async function main(): Promise<number> {
  const options = readOptions(process.env);
  checkBuild();
  const started = Date.now();
  const loadBefore = loadavg()[0];
  if (loadBefore > cpus().length / 2) {
    log(
      `warning: the machine is busy (load average ${loadBefore.toFixed(2)} on ${cpus().length} vCPUs); ` +
        'other work will lower and scatter the figures.',
    );
  }
  const hardStop = setTimeout(() => {
    log(`\nBENCH_TIMEOUT (${options.timeout} s) reached: stopping.`);
    void cleanUp().finally(() => process.exit(1));
  }, options.timeout * 1000);
  hardStop.unref();

  const sandbox = await openSandbox({
    root: ROOT,
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    poolSize: options.poolSize,
  });
  const context: Context = { options, sandbox, seeded: null };
  const modes: ModeResult[] = [];
  let fatal: Error | null = null;
  try {
    for (const mode of options.modes) modes.push(await runMode(context, mode));
  } catch (error) {
    fatal = error as Error;
  }

  const machine: Machine = {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    vcpus: cpus().length,
    availableParallelism: availableParallelism(),
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    platform: process.platform,
    kernel: release(),
    node: process.versions.node,
    postgres: sandbox.postgresVersion,
    redis: sandbox.redisVersion,
    date: new Date().toISOString(),
    loadAverageAtStart: Math.round(loadBefore * 100) / 100,
    loadAverageAtEnd: Math.round(loadavg()[0] * 100) / 100,
  };
  const config: BenchConfigRecord = {
    durationSeconds: options.duration,
    warmupSeconds: options.warmup,
    rounds: options.rounds,
    connections: options.connections,
    liveSessionsSeeded: options.sessions,
    poolSizePerProcess: options.poolSize,
    jwtAlgorithm: (process.env.JWT_ALGORITHM ?? 'RS256').toUpperCase(),
    argon2: `Argon2id m=${ARGON2_OPTIONS.memoryCost} t=${ARGON2_OPTIONS.timeCost} p=${ARGON2_OPTIONS.parallelism}`,
    loadGenerator: `autocannon ${autocannonVersion()}`,
    serverNodeArgs: options.serverNodeArgs,
    modes: modes.map((m) => ({ mode: m.mode, workers: m.workers })),
  };
  const failures = [
    ...modes.flatMap((m) => m.failures),
    ...(fatal ? [`fatal: ${fatal.message}`] : []),
  ];

  if (isInterrupted()) return 130;
  let checkFailed = false;
  if (modes.length > 0) {
    const summaries = modes.map((m) => summarizeMode(m, machine.vcpus));
    const table = markdown(machine, config, modes, summaries, failures);
    mkdirSync(RESULTS, { recursive: true });
    const report = {
      machine,
      config,
      passed: failures.length === 0,
      failures,
      seconds: Math.round((Date.now() - started) / 1000),
      modes: modes.map((m, i) => ({ ...m, summary: summaries[i] })),
    };
    writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(RESULTS, 'latest.md'), table);
    writeFileSync(join(RESULTS, 'latest.svg'), svgChart(machine, modes, summaries));
    process.stdout.write(`\n${table}\n`);
    log(`wrote bench/results/latest.json, latest.md and latest.svg (${report.seconds} s)`);
    if (process.argv.includes('--check') && !fatal) {
      const ratios = Object.fromEntries(modes.map((m, i) => [m.mode, summaries[i].ratios]));
      const { ok, lines } = describeFindings(checkRatios(ratios, readThresholds(THRESHOLDS)));
      log(`\n--check against bench/thresholds.json:\n  ${lines.join('\n  ')}`);
      if (!ok) {
        log(
          'A ratio fell below its floor: a hot path got slower (or the floor needs a reason to move).',
        );
        checkFailed = true;
      }
    }
  }
  sandbox.keepLogs = failures.length > 0 || options.serverNodeArgs.length > 0;
  if (fatal) log(`\nThe benchmark stopped: ${fatal.message}`);
  else if (failures.length > 0) log(`\nThe run FAILED its checks:\n  - ${failures.join('\n  - ')}`);
  if (failures.length > 0) return 1;
  return checkFailed ? CHECK_FAILED : 0;
}

main()
  .catch((error: unknown) => {
    if (isInterrupted()) return 130;
    log(
      error instanceof UsageError
        ? error.message
        : `The benchmark failed: ${(error as Error).stack}`,
    );
    return 1;
  })
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  });
