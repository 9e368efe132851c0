import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollUntil } from './lifecycle.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist/src/main.js');

const CLI = path.join(ROOT, 'dist/src/cli.js');

/** How a CLI run ended: its exit status and everything it wrote. */
export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * `npm run cli -- <args>` on the build (`npx nest build` first), with `env`
 * only and `input` on its standard input (a pipe, never a terminal). A
 * failing command is a result, not an error; a run that does not end within
 * `timeoutMs` (a process that does not close) rejects.
 */
export function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  { input = '', timeoutMs = 60_000 }: { input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx nest build\` first`);
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`cli ${args.join(' ')}: ${error.message}\n${stdout}${stderr}`));
          return;
        }
        resolve({ status: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
    child.stdin!.end(input);
  });
}

/** `npm run cli -- <args>` on the build, with `env` only; resolves with its output, rejects on failure. */
export async function runBuiltCli(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<string> {
  const result = await runCli(args, env);
  if (result.status !== 0) throw new Error(`cli ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/**
 * `node dist/src/main.js` as a child process, for what only the real entry
 * point does (the cluster primary and its workers). Needs the build
 * (`npm test` builds first). Runs in its own process group, so stopping it
 * stops its workers too, even if the primary is gone.
 */
export class BuiltServer {
  private output = '';
  private exit: Promise<void>;
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly env: Record<string, string | undefined>,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve();
      }),
    );
    // Never outlive the test process, whatever happens to its hooks.
    const killOnExit = () => this.killGroup();
    process.once('exit', killOnExit);
    void this.exit.then(() => process.off('exit', killOnExit));
  }

  static start(env: Record<string, string | undefined>): BuiltServer {
    if (!existsSync(MAIN)) {
      throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does it)`);
    }
    return new BuiltServer(
      spawn(process.execPath, [MAIN], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      }),
      env,
    );
  }

  /** Everything the server printed so far (for failure messages). */
  get log(): string {
    return this.output;
  }

  /** Waits until `processes` processes have logged that they listen. */
  async waitUntilListening(processes: number, timeoutMs = 90_000): Promise<void> {
    await pollUntil(
      `${processes} listening processes; output so far:\n${this.output}`,
      async () => {
        if (this.child.exitCode !== null) throw new Error(`the server exited:\n${this.output}`);
        return this.output.split('\n').filter((line) => line.includes('listening on')).length >=
          processes
          ? true
          : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
  }

  /** Sends `signal` to the server's process only (in a cluster: the primary). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** How the process ended; rejects if it is still running after `timeoutMs`. */
  async exited(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    await pollUntil(
      `the server to exit; output so far:\n${this.output}`,
      async () => this.exitStatus,
      {
        timeoutMs,
        intervalMs: 50,
      },
    );
    return this.exitStatus!;
  }

  /** Whether any process of the server's group (the primary or a worker) is still running. */
  get groupAlive(): boolean {
    try {
      process.kill(-this.child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * SIGTERM to the primary, which passes it on to its workers (graceful);
   * SIGKILL to the whole group if that takes longer than `graceMs`.
   */
  async stop(graceMs = 15_000): Promise<void> {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.killGroup(), graceMs);
    await this.exit;
    clearTimeout(timer);
    // Workers the primary left behind, if any.
    this.killGroup();
  }

  private killGroup(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  }
}
