import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, vi } from 'vitest';
import { Clock } from '../../src/common/clock.js';
import { cleanUpTestApp, type Env, type RunningApp, startApp, type TestApp } from './app.js';
import { startCompiledApp } from './compiled-app.js';

export interface TestAppOptions {
  /**
   * Settings on top of the test defaults. A function is called when the app
   * starts, after the `beforeAll` hooks the spec registered before this call
   * (e.g. one that starts a server whose address goes in here).
   */
  env?: Env | (() => Env);
  /** Run as a second instance on the database, data folder and Redis prefix of `shareWith`. */
  shareWith?: AppHandle;
  /** Boot the build (`dist/`) instead of the sources: only it has the Swagger plugin's schemas. */
  compiled?: boolean;
  /** Capture the app's log here (source apps only); otherwise it logs nothing. */
  logDestination?: DestinationStream;
}

/** The app's clock, moved by the test instead of waiting (every token service and counter reads it). */
export interface TestClock {
  /** Moves time forward by `seconds`; it keeps running from there (or stays stopped). */
  advance(seconds: number): void;
  /** Stops time at `ms` since the epoch. */
  stopAt(ms: number): void;
  /** Back to the real time. */
  reset(): void;
}

/** What a spec holds: the running app, and what a test may do to it besides HTTP. */
export interface AppHandle extends RunningApp {
  /**
   * Closes the app and boots a new one on the same data (database, data
   * folder, Redis prefix), as restarting the process would; `env` on top of
   * the options' settings. The handle then points at the new app.
   */
  restart(env?: Env): Promise<void>;
  /** Closes the app now; its data is still removed after the last test. */
  stop(): Promise<void>;
  /** The app's clock, under the test's control until the file ends (source apps only). */
  clock(): TestClock;
  /** A query on the app's database, e.g. to move a timestamp that PostgreSQL's now() is compared with. */
  sql<T = Record<string, unknown>>(query: string, parameters?: unknown[]): Promise<T[]>;
}

/**
 * The one fixture of the e2e specs: registers `beforeAll` (start the app)
 * and `afterAll` (close it and remove its data: `cleanUpTestApp`), and
 * returns the handle the tests use (`t.http`, `t.app`, ...). Call it in a
 * `describe` body; hooks registered after it run after the app has started
 * (and, in `afterAll`, before it closes).
 */
export function useTestApp(options: TestAppOptions = {}): AppHandle {
  let first: TestApp | undefined;
  let current: TestApp | undefined;
  let stopped = false;
  let clock: (TestClock & { restore(): void }) | undefined;

  const settings = () => (typeof options.env === 'function' ? options.env() : options.env);
  const running = (): TestApp => {
    if (!current) {
      throw new Error('useTestApp: the app starts in beforeAll; use it inside a test or a hook');
    }
    return current;
  };
  const releaseClock = () => {
    clock?.restore();
    clock = undefined;
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await running().app.close();
  };

  beforeAll(async () => {
    const env = settings();
    first = options.compiled
      ? await startCompiledApp({ env })
      : await startApp({
          env,
          shareWith: options.shareWith,
          logDestination: options.logDestination,
        });
    current = first;
  });

  afterAll(async () => {
    releaseClock();
    if (!first) return;
    await cleanUpTestApp(stopped ? null : running().app, first.env, {
      ownsData: !options.shareWith,
    });
  });

  return {
    get app() {
      return running().app;
    },
    get http() {
      return running().http;
    },
    get env() {
      return running().env;
    },
    async restart(env: Env = {}) {
      if (options.compiled) throw new Error('useTestApp: restart is for apps built from source');
      releaseClock();
      await stop();
      current = await startApp({
        env: { ...settings(), ...env },
        shareWith: running(),
        logDestination: options.logDestination,
      });
      stopped = false;
    },
    stop,
    clock() {
      clock ??= controlClock(running().app);
      return clock;
    },
    sql<T>(query: string, parameters?: unknown[]) {
      return running().app.get(DataSource).query<T[]>(query, parameters);
    },
  };
}

/** Replaces the app clock's `now()` with one the test moves; `restore()` puts the real one back. */
function controlClock(app: NestFastifyApplication): TestClock & { restore(): void } {
  let offsetMs = 0;
  let stoppedAt: number | null = null;
  const spy = vi
    .spyOn(app.get(Clock), 'now')
    .mockImplementation(() => stoppedAt ?? Date.now() + offsetMs);
  return {
    advance(seconds) {
      if (stoppedAt === null) offsetMs += seconds * 1000;
      else stoppedAt += seconds * 1000;
    },
    stopAt(ms) {
      stoppedAt = ms;
    },
    reset() {
      offsetMs = 0;
      stoppedAt = null;
    },
    restore: () => spy.mockRestore(),
  };
}
