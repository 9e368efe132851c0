import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Env, testApp, type TestApp, testEnvironment } from './app.js';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src');

/**
 * Boots the app as `nest build` compiled it. Only the build runs the Swagger
 * CLI plugin, which documents DTO schemas from their types, so the document
 * that users get can only be checked here. `npm test` builds first (pretest).
 * The environment is the one `startApp` would give, with `env` on top; the
 * clean-up is the same.
 */
export async function startCompiledApp(options: { env?: Env } = {}): Promise<TestApp> {
  const factory = path.join(DIST, 'app.factory.js');
  if (!existsSync(factory)) {
    throw new Error(
      `${factory} is missing: run \`npm run build\` first (\`npm test\` does it through pretest)`,
    );
  }
  const { createApp } = (await import(factory)) as typeof import('../../src/app.factory.js');
  const { loadConfig } = (await import(
    path.join(DIST, 'config/config.js')
  )) as typeof import('../../src/config/config.js');
  const env = { ...(await testEnvironment()), ...options.env };
  const app = await createApp(loadConfig(env), {
    logLevels: process.env.TEST_LOGS ? undefined : false,
  });
  return testApp(app, env, { ownsData: true });
}
