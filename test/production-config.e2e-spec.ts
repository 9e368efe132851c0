import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Issue 7, point 8: in production the built server refuses to start without
 * an https:// JWT_ISSUER, as it does without its other required settings.
 * Runs `dist/src/main.js` as `npm run start:prod` would (`npm test` builds first).
 */

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/src/main.js');

/** Everything production requires except the issuer. Nothing here is ever connected to. */
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://auth@127.0.0.1:1/auth',
  REDIS_URL: 'redis://127.0.0.1:1',
  KEY_ENCRYPTION_SECRET: 'production-key-encryption-secret-0123456789',
  SMTP_URL: 'smtp://127.0.0.1:1',
  LOG_FORMAT: 'json',
};

interface Outcome {
  /** Exit code, or null if the server was still running when stopped. */
  code: number | null;
  output: string;
}

/**
 * Starts the built server and waits until it exits, or until it shows it got
 * past its configuration (Nest starting the application), when it is stopped.
 */
function startServer(env: Record<string, string>): Promise<Outcome> {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does it)`);
  }
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(DATABASE_|REDIS_|JWT_)/.test(name)),
  );
  const child = spawn(process.execPath, [MAIN], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Starting Nest application')) child.kill('SIGKILL');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('production configuration of the built server', () => {
  it('refuses to start without JWT_ISSUER, and says so', async () => {
    const { code, output } = await startServer(PRODUCTION);

    expect(code).toBe(1);
    expect(output).toContain('Invalid configuration');
    expect(output).toContain('JWT_ISSUER is required in production');
    expect(output).not.toContain('Starting Nest application');
  });

  it.each(['http://auth.example.com', 'http://localhost:3000', 'auth.example.com'])(
    'refuses to start with JWT_ISSUER=%s (not https://)',
    async (issuer) => {
      const { code, output } = await startServer({ ...PRODUCTION, JWT_ISSUER: issuer });

      expect(code).toBe(1);
      expect(output).toContain(`JWT_ISSUER must be an https:// URL`);
    },
  );

  it('refuses to start without SMTP_URL (registration and password reset send mail), and says so', async () => {
    const { SMTP_URL: _, ...withoutSmtp } = PRODUCTION;
    const { code, output } = await startServer({
      ...withoutSmtp,
      JWT_ISSUER: 'https://auth.example.com',
    });

    expect(code).toBe(1);
    expect(output).toContain('SMTP_URL is required in production');
    expect(output).not.toContain('Starting Nest application');
  });

  it('gets past its configuration with an https:// JWT_ISSUER', async () => {
    const { code, output } = await startServer({
      ...PRODUCTION,
      JWT_ISSUER: 'https://auth.example.com',
    });

    expect(output).not.toContain('Invalid configuration');
    expect(output).toContain('Starting Nest application');
    expect(code).toBeNull();
  });
});
