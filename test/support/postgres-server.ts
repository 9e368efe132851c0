/**
 * A throw-away PostgreSQL cluster of a test's own (`initdb` + `pg_ctl` in a
 * temporary folder, on a free port), which the test may stop and start: the
 * shared server is never touched. PostgreSQL refuses to run as root, so when
 * the tests run as root every command runs as the `postgres` OS user.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.js';

const BIN = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';
const run = promisify(execFile);
const asRoot = () => userInfo().uid === 0;

/** `command args...` as the postgres OS user when we are root, as ourselves otherwise. */
function commandLine(command: string, args: string[]): [string, string[]] {
  const binary = path.join(BIN, command);
  return asRoot() ? ['runuser', ['-u', OS_USER, '--', binary, ...args]] : [binary, args];
}

/** Whether this machine can run a cluster of its own (the binaries, and the OS user if we are root). */
export function canRunOwnPostgres(): boolean {
  if (!existsSync(path.join(BIN, 'initdb')) || !existsSync(path.join(BIN, 'pg_ctl'))) return false;
  if (!asRoot()) return true;
  try {
    execFileSync('id', [OS_USER], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export class PostgresServer {
  private running = false;
  private readonly removeOnExit = () => this.destroySync();

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {
    // Never outlive the test process, whatever happens to its hooks.
    process.once('exit', this.removeOnExit);
  }

  /** A new, empty cluster (not started yet). */
  static async create(): Promise<PostgresServer> {
    const dir = mkdtempSync(path.join(tmpdir(), 'auth-pg-'));
    if (asRoot()) {
      const { uid, gid } = userIds();
      chownSync(dir, uid, gid);
    }
    const server = new PostgresServer(await freePort(), dir);
    try {
      await server.pg('initdb', [
        '-D',
        server.dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--no-sync',
      ]);
    } catch (error) {
      server.destroySync();
      throw error;
    }
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** Starts the cluster and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    // Marked first: a start that fails halfway may leave a server behind for destroy() to stop.
    this.running = true;
    await this.pg('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      path.join(this.dir, 'log'),
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }

  /**
   * Stops the cluster and waits until it is down. `immediate` is a crash:
   * every connection is cut and open transactions are rolled back at the
   * next start; `fast` rolls them back and shuts down cleanly.
   */
  async stop(mode: 'fast' | 'immediate' = 'immediate'): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    this.running = false;
  }

  /** Stops it if it runs and removes its folder; safe to call more than once. */
  async destroy(): Promise<void> {
    this.destroySync();
  }

  private destroySync(): void {
    process.off('exit', this.removeOnExit);
    if (this.running) {
      const [command, args] = commandLine('pg_ctl', [
        '-D',
        this.dataDir,
        '-m',
        'immediate',
        '-w',
        'stop',
      ]);
      try {
        execFileSync(command, args, { stdio: 'ignore' });
      } catch {
        // Already down.
      }
      this.running = false;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async pg(command: string, args: string[]): Promise<void> {
    const [binary, fullArgs] = commandLine(command, args);
    try {
      await run(binary, fullArgs, { cwd: this.dir, timeout: 90_000 });
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(`${command} failed: ${stderr?.trim() || (error as Error).message}`);
    }
  }
}

function userIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', OS_USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', OS_USER]).toString().trim());
  return { uid, gid };
}
