import { ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const LOOPBACK = '127.0.0.1';

/** `npm run migration:run`, with the benchmark's environment (its own schema). */
export async function runMigrations(root: string, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await run(
      process.execPath,
      ['node_modules/typeorm/cli.js', 'migration:run', '-d', 'dist/src/database/data-source.js'],
      { cwd: root, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`migration:run failed:\n${stderr || stdout || String(error)}`);
  }
}

export interface RssReading {
  /** The process started by the benchmark (the cluster primary in cluster mode). */
  mainPid: number;
  mainMb: number;
  /** Cluster workers, each with its own RSS. */
  workers: { pid: number; rssMb: number }[];
  /** Main process plus every worker. */
  totalMb: number;
  /** The largest process serving requests (the main process, or the largest worker). */
  largestServingMb: number;
}

function vmRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}

/** Direct children of a process, from /proc (the `children` file, or every process's parent id). */
function childrenOf(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (existsSync(file)) {
    return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  }
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may contain spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const CLOCK_TICKS = 100;

/** User + system CPU seconds a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ": state is field 0, utime field 11, stime field 12.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The first sample of `name` (any labels) in a Prometheus exposition text; NaN when absent. */
export function metricValue(text: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

export interface HeapReading {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;

/**
 * A built server (`node dist/src/main.js`) in its own process group, so that
 * stopping it also stops its cluster workers. Output goes to a log file.
 */
export class ServerProcess {
  private exited = false;
  private exitCode: number | string | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
    readonly logFile: string,
    readonly workers: number,
    private readonly metricsToken: string | undefined,
  ) {
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.exitCode = signal ?? code;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  static start(options: {
    root: string;
    env: NodeJS.ProcessEnv;
    port: number;
    logFile: string;
    workers: number;
    nodeArgs: string[];
  }): ServerProcess {
    const log = openSync(options.logFile, 'a');
    try {
      const child = spawn(process.execPath, [...options.nodeArgs, 'dist/src/main.js'], {
        cwd: options.root,
        env: options.env,
        stdio: ['ignore', log, log],
        detached: true,
      });
      return new ServerProcess(
        child,
        `http://${LOOPBACK}:${options.port}`,
        options.logFile,
        options.workers,
        options.env.METRICS_TOKEN,
      );
    } finally {
      closeSync(log);
    }
  }

  /** The last lines of the server's output, for error messages. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server output)';
    }
  }

  /** Waits until /health/ready answers 200 and every worker reported that it listens. */
  async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastProblem = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(
          `the server exited (${String(this.exitCode)}) before it was ready:\n${this.logTail()}`,
        );
      }
      try {
        const response = await fetch(`${this.baseUrl}/health/ready`, {
          signal: AbortSignal.timeout(2_000),
        });
        await response.arrayBuffer();
        const listening = this.countListening();
        if (response.status === 200 && listening >= this.workers) return;
        lastProblem = `ready ${response.status}, ${listening}/${this.workers} processes listening`;
      } catch (error) {
        lastProblem = (error as Error).message;
      }
      await sleep(250);
    }
    throw new Error(
      `the server was not ready after ${timeoutMs / 1000} s (${lastProblem}):\n${this.logTail()}`,
    );
  }

  private countListening(): number {
    try {
      return readFileSync(this.logFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes('listening on')).length;
    } catch {
      return 0;
    }
  }

  /** VmRSS of the server process and of each of its workers. */
  rss(): RssReading {
    const mainKb = vmRssKb(this.pid);
    const workers = this.workers > 1 ? childrenOf(this.pid) : [];
    const workerRss = workers.map((pid) => ({ pid, rssMb: mb(vmRssKb(pid)) }));
    const totalKb = mainKb + workers.reduce((sum, pid) => sum + vmRssKb(pid), 0);
    return {
      mainPid: this.pid,
      mainMb: mb(mainKb),
      workers: workerRss,
      totalMb: mb(totalKb),
      largestServingMb:
        workerRss.length > 0 ? Math.max(...workerRss.map((w) => w.rssMb)) : mb(mainKb),
    };
  }

  /** CPU seconds used so far by the server process and its workers. */
  cpuSeconds(): number {
    const pids = [this.pid, ...(this.workers > 1 ? childrenOf(this.pid) : [])];
    let total = 0;
    for (const pid of pids) {
      try {
        total += cpuSeconds(pid);
      } catch {
        // A worker that just ended.
      }
    }
    return total;
  }

  /**
   * V8 heap and external memory of one serving process, from the app's own
   * /metrics (prom-client default metrics, with the `METRICS_TOKEN` of the
   * server's environment); in cluster mode, the first worker listed (each
   * worker's process metrics carry a `worker` label). Megabytes; `null` when
   * /metrics does not answer.
   */
  async heap(): Promise<HeapReading | null> {
    const text = await this.metricsText();
    if (text === null) return null;
    const metric = (name: string) => mb(metricValue(text, name) / 1024);
    return {
      rssMb: metric('process_resident_memory_bytes'),
      heapUsedMb: metric('nodejs_heap_size_used_bytes'),
      heapTotalMb: metric('nodejs_heap_size_total_bytes'),
      externalMb: metric('nodejs_external_memory_bytes'),
    };
  }

  /** The app's /metrics exposition text; `null` when it does not answer. */
  async metricsText(): Promise<string | null> {
    try {
      const response = await fetch(`${this.baseUrl}/metrics`, {
        headers: { authorization: `Bearer ${this.metricsToken}` },
        signal: AbortSignal.timeout(5_000),
      });
      const text = await response.text();
      return response.ok ? text : null;
    } catch {
      return null;
    }
  }

  /** SIGTERM (graceful: workers finish, profiles are written), then SIGKILL to the whole group. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = sleep(graceMs).then(() => 'timeout' as const);
    if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await Promise.race([exited, sleep(5_000)]);
    }
    // Workers left behind by a primary that ended first: a moment to finish, then SIGKILL.
    for (let attempt = 0; attempt < 20 && this.groupAlive(); attempt++) await sleep(100);
    if (this.groupAlive()) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  }

  private groupAlive(): boolean {
    try {
      process.kill(-this.pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}
