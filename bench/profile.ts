/**
 * Profiles the built server under one scenario's load:
 *
 *   DATABASE_URL=… REDIS_URL=… node --import tsx bench/profile.ts auth-me [seconds]
 *
 * Scenarios: the ids of SCENARIOS in bench/lib/scenarios.ts (an unknown one lists them).
 * Starts `node --cpu-prof dist/src/main.js` (one process) in a schema and
 * Redis prefix of its own, warms up, loads it for `seconds` (10), stops it,
 * prints where the CPU went (self time by package and by function, with
 * start-up excluded as far as possible), and leaves the .cpuprofile in
 * bench/results/profiles/ for Chrome DevTools or speedscope.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/net.js';
import { runLoad } from './lib/load.js';
import { SCENARIOS, ScenarioId, scenarioSpec } from './lib/scenarios.js';
import { readOptions, UsageError } from './lib/options.js';
import {
  cleanUp,
  cleanUpOnSignals,
  isInterrupted,
  log,
  onCleanup,
  openSandbox,
} from './lib/sandbox.js';
import { login, seedThroughApi } from './lib/seed.js';
import { ServerProcess } from './lib/server.js';
import { round } from './lib/stats.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

/** Self time by package and by function, over the samples taken after `fromMicros`. */
function summarize(profile: CpuProfile, fromMicros: number, top = 25): string {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  let time = profile.startTime;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    time += profile.timeDeltas[index] ?? 0;
    if (time < fromMicros) return;
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    const where = url
      .replace(/^file:\/\//, '')
      .replace(/^.*node_modules\//, '')
      .replace(`${ROOT}/`, '');
    const fn = `${functionName || '(anonymous)'} ${where}${where ? `:${lineNumber + 1}` : ''}`;
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.includes('/dist/src/') ? `app: ${url.split('/dist/src/')[1]}` : url || functionName);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + 1);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + 1);
    total++;
  });
  const table = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, count]) => `${((100 * count) / total).toFixed(1).padStart(6)}%  ${name}`)
      .join('\n');
  return `${total} samples under load\n\nSelf time by package or file:\n${table(byPackage)}\n\nSelf time by function:\n${table(byFunction)}`;
}

async function main(): Promise<void> {
  const options = readOptions(process.env);
  const scenario = (process.argv[2] ?? 'auth-me') as ScenarioId;
  if (!SCENARIOS.some((s) => s.id === scenario)) {
    throw new UsageError(`scenario must be one of ${SCENARIOS.map((s) => s.id).join(', ')}`);
  }
  const seconds = Number(process.argv[3] ?? 10);
  if (!(seconds > 0 && seconds <= 600)) throw new UsageError('seconds must be from 1 to 600');
  const profileDir = join(ROOT, 'bench', 'results', 'profiles');
  mkdirSync(profileDir, { recursive: true });
  const before = new Set(readdirSync(profileDir));

  const sandbox = await openSandbox({
    root: ROOT,
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    poolSize: options.poolSize,
  });
  const port = await freePort();
  const server = ServerProcess.start({
    root: ROOT,
    env: { ...sandbox.env, PORT: String(port), WEB_CONCURRENCY: '1' },
    port,
    logFile: join(sandbox.logDir, 'server-profile.log'),
    workers: 1,
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...options.serverNodeArgs],
  });
  onCleanup('stop the server', () => server.stop());
  await server.waitReady();
  const rssAtStart = server.rss().mainMb;
  const base = server.baseUrl;
  const seeded = await seedThroughApi(base, sandbox.admin);
  const tokens = await login(base, seeded.user);
  const spec = () =>
    scenarioSpec(scenario, {
      pool: sandbox.pool,
      seeded,
      accessToken: tokens.access_token,
      connections: options.connections,
    });

  // The warm-up is the same load; counting from its second second leaves start-up out of the summary.
  const loadStartedMicros = (Date.now() + 1000) * 1000;
  await runLoad(base, await spec(), options.warmup, options.connections);
  const cpuBefore = server.cpuSeconds();
  const result = await runLoad(base, await spec(), seconds, options.connections);
  const cpuMs = ((server.cpuSeconds() - cpuBefore) * 1000) / Math.max(1, result.ok);
  log(
    `${scenario}: ${round(result.rps)} req/s, p50 ${round(result.p50)} ms, p99 ${round(result.p99)} ms, ` +
      `${result.non2xx} non-2xx, server CPU ${round(cpuMs)} ms/req, ` +
      `RSS ${rssAtStart} MB after start-up, ${server.rss().mainMb} MB after the load`,
  );
  await server.stop();

  const written = readdirSync(profileDir).filter(
    (f) => f.endsWith('.cpuprofile') && !before.has(f),
  );
  if (written.length === 0) throw new Error('the server wrote no .cpuprofile');
  for (const file of written) {
    const path = join(profileDir, file);
    const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
    // Profile times are process-relative microseconds; align on the wall clock through its end.
    const endMicros = profile.startTime + profile.timeDeltas.reduce((a, b) => a + b, 0);
    const offset = Date.now() * 1000 - endMicros;
    process.stdout.write(`\n${path}\n${summarize(profile, loadStartedMicros - offset)}\n`);
  }
  sandbox.keepLogs = false;
}

cleanUpOnSignals();
main()
  .then(() => 0)
  .catch((error: unknown) => {
    if (isInterrupted()) return 130;
    log(error instanceof UsageError ? error.message : `profile failed: ${(error as Error).stack}`);
    return 1;
  })
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  });
