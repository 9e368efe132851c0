import { describe, expect, it } from 'vitest';
import { productionEnv, strongSecret } from '../../test/support/unit.js';
import { ConfigError, Environment, loadConfig } from './config.js';

function problemsOf(env: Environment): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected loadConfig to refuse the environment');
}

describe(loadConfig.name, () => {
  describe('with an empty environment', () => {
    const sut = () => loadConfig({});

    it('runs in development on the embedded database and in-process stores', () => {
      const config = sut();
      expect(config.app).toMatchObject({
        nodeEnv: 'development',
        production: false,
        port: 3000,
        logFormat: 'text',
        logLevel: 'info',
      });
      expect(config.database.url).toBeUndefined();
      expect(config.redis).toEqual({
        url: undefined,
        keyPrefix: 'auth:',
        inProcessMaxEntries: 100_000,
      });
    });

    it('issues RS256 tokens for 15 minutes, with 30-day sessions idling out after 7 days', () => {
      expect(sut().auth).toMatchObject({
        algorithm: 'RS256',
        issuer: 'http://localhost:3000',
        audience: 'http://localhost:3000',
        accessTokenTtl: 15 * 60,
        refreshTokenTtl: 30 * 86400,
        refreshIdleTtl: 7 * 86400,
      });
    });
  });

  it.each([
    ['600', 600],
    ['15m', 900],
    ['1h', 3600],
  ])('reads ACCESS_TOKEN_TTL=%s as %i seconds', (value, seconds) => {
    expect(loadConfig({ ACCESS_TOKEN_TTL: value }).auth.accessTokenTtl).toBe(seconds);
  });

  it.each([
    ['ACCESS_TOKEN_TTL', 'soon'],
    ['ACCESS_TOKEN_TTL', '2d'],
    ['REFRESH_TOKEN_TTL', '-1'],
    ['PORT', '70000'],
    ['PORT', '80a'],
    ['JWT_ALGORITHM', 'none'],
    ['NODE_ENV', 'staging'],
    ['DATABASE_URL', 'mysql://db/auth'],
    ['REDIS_URL', 'not a url'],
    ['LOG_FORMAT', 'xml'],
    ['LOG_LEVEL', 'verbose'],
    ['DATABASE_SCHEMA', 'Robert"; DROP'],
    ['ADMIN_EMAIL', 'admin'],
    ['THROTTLE_LOGIN_DEVICE', '10'],
    ['THROTTLE_LOGIN_LOCK_MAX', '31d'],
    ['JWT_ISSUER', 'auth.example.com'],
    ['JWT_ISSUER', 'ftp://auth.example.com'],
    ['JWT_ISSUER', 'https://auth.example.com/?tenant=1'],
    ['BLOCKLIST_MAX_ENTRIES', '0'],
  ])('refuses %s=%s with a ConfigError naming the variable', (name, value) => {
    const act = () => loadConfig({ [name]: value });

    expect(act).toThrow(ConfigError);
    expect(act).toThrow(name);
  });

  it('refuses an access token that outlives the refresh token', () => {
    expect(problemsOf({ ACCESS_TOKEN_TTL: '1h', REFRESH_TOKEN_TTL: '30m' })).toEqual([
      'ACCESS_TOKEN_TTL must be shorter than REFRESH_TOKEN_TTL',
    ]);
  });

  it('reads JWT_ALGORITHM in any case, and names a refused one in upper case', () => {
    expect(loadConfig({ JWT_ALGORITHM: 'es256' }).auth.algorithm).toBe('ES256');
    expect(problemsOf({ JWT_ALGORITHM: 'none' })).toEqual([
      'JWT_ALGORITHM must be one of RS256, ES256, HS256 (got "NONE")',
    ]);
  });

  it('refuses an ADMIN_PASSWORD that the password policy refuses, saying why', () => {
    expect(
      problemsOf({ ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'root@example.com' }),
    ).toEqual(['ADMIN_PASSWORD is refused: password must not be the username or email']);
  });

  it('refuses more than one worker process without a real database and Redis', () => {
    expect(problemsOf({ WEB_CONCURRENCY: '2', DATABASE_URL: 'postgres://db/auth' })).toEqual([
      'WEB_CONCURRENCY above 1 needs DATABASE_URL and REDIS_URL: the embedded database and in-process stores belong to one process',
    ]);
  });

  it('treats an empty or blank variable as unset', () => {
    expect(loadConfig({ PORT: '', LOG_FORMAT: '   ' }).app).toMatchObject({
      port: 3000,
      logFormat: 'text',
    });
  });

  it('refuses ADMIN_PASSWORD without ADMIN_EMAIL', () => {
    expect(problemsOf({ ADMIN_PASSWORD: 'a-long-admin-passphrase' })).toEqual([
      'ADMIN_PASSWORD is set but ADMIN_EMAIL is not',
    ]);
  });

  describe('in production', () => {
    it('starts with a database, Redis and a strong key-encryption secret', () => {
      const env = productionEnv();

      const config = loadConfig(env);

      expect(config.app).toMatchObject({ production: true, logFormat: 'json' });
      expect(config.database.url).toBe(env.DATABASE_URL);
      expect(config.redis.url).toBe(env.REDIS_URL);
      expect(config.auth.keyEncryptionSecret).toBe(env.KEY_ENCRYPTION_SECRET);
    });

    it.each(['DATABASE_URL', 'REDIS_URL', 'KEY_ENCRYPTION_SECRET', 'JWT_ISSUER', 'SMTP_URL'])(
      'refuses to start without %s',
      (name) => {
        const problems = problemsOf(productionEnv({ [name]: undefined }));

        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain(`${name}`);
        expect(problems[0]).toContain('required in production');
      },
    );

    it('signs tokens with the configured https:// issuer', () => {
      const config = loadConfig(productionEnv({ JWT_ISSUER: 'https://auth.example.com/realm' }));

      expect(config.auth).toMatchObject({
        issuer: 'https://auth.example.com/realm',
        audience: 'https://auth.example.com/realm',
      });
    });

    it.each([
      ['an http:// issuer', 'http://auth.example.com'],
      ['the development default', 'http://localhost:3000'],
      ['a bare host name', 'auth.example.com'],
    ])('refuses %s as JWT_ISSUER', (_, issuer) => {
      expect(problemsOf(productionEnv({ JWT_ISSUER: issuer }))).toEqual([
        `JWT_ISSUER must be an https:// URL without query or fragment (got "${issuer}")`,
      ]);
    });

    it.each([
      ['a 31-byte secret', strongSecret().slice(0, 31)],
      ['a placeholder', 'changeme'],
      ['a long placeholder', 'your-key-encryption-secret-goes-here'],
      ['a long run of x', 'x'.repeat(48)],
    ])('refuses %s as KEY_ENCRYPTION_SECRET', (_, secret) => {
      const problems = problemsOf(productionEnv({ KEY_ENCRYPTION_SECRET: secret }));

      expect(problems.join('\n')).toContain('KEY_ENCRYPTION_SECRET must be at least 32 bytes');
    });

    it('accepts a secret of exactly 32 bytes', () => {
      const secret = strongSecret().slice(0, 32);

      expect(
        loadConfig(productionEnv({ KEY_ENCRYPTION_SECRET: secret })).auth.keyEncryptionSecret,
      ).toBe(secret);
    });

    it('requires JWT_SECRET when signing with HS256', () => {
      expect(problemsOf(productionEnv({ JWT_ALGORITHM: 'HS256' }))).toEqual([
        'JWT_SECRET (at least 32 bytes) is required for HS256 in production',
      ]);
      expect(
        loadConfig(productionEnv({ JWT_ALGORITHM: 'HS256', JWT_SECRET: strongSecret() })).auth
          .algorithm,
      ).toBe('HS256');
    });

    it('never makes up an admin password', () => {
      expect(problemsOf(productionEnv({ ADMIN_EMAIL: 'root@example.com' }))).toEqual([
        'ADMIN_PASSWORD is required with ADMIN_EMAIL in production',
      ]);
    });

    it('reports every problem together in one error', () => {
      const act = () =>
        loadConfig({ NODE_ENV: 'production', PORT: 'eighty', KEY_ENCRYPTION_SECRET: 'secret' });

      expect(act).toThrow(ConfigError);
      for (const name of [
        'PORT',
        'DATABASE_URL',
        'REDIS_URL',
        'KEY_ENCRYPTION_SECRET',
        'JWT_ISSUER',
      ]) {
        expect(act).toThrow(name);
      }
    });
  });

  describe('CORS_ORIGINS', () => {
    it('is empty by default, so no origin gets CORS headers', () => {
      expect(loadConfig({}).app.corsOrigins).toEqual([]);
    });

    it('takes a comma-separated list of origins', () => {
      const sut = loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' });

      expect(sut.app.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    });

    it('names every origin it refuses, in one problem', () => {
      expect(problemsOf({ CORS_ORIGINS: 'https://ok.example.com, *, app.example.com' })).toEqual([
        'CORS_ORIGINS must list origins such as https://app.example.com (got "*", "app.example.com")',
      ]);
    });

    it.each(['*', 'https://app.example.com/path', 'app.example.com'])('refuses "%s"', (origin) => {
      expect(problemsOf({ CORS_ORIGINS: origin })).toEqual([
        `CORS_ORIGINS must list origins such as https://app.example.com (got "${origin}")`,
      ]);
    });
  });

  describe('TRUST_PROXY', () => {
    it('is off by default', () => {
      expect(loadConfig({}).app.trustProxy).toBe(false);
    });

    it('takes a hop count or a list of proxy addresses', () => {
      expect(loadConfig({ TRUST_PROXY: '1' }).app.trustProxy).toBe(1);
      expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,192.168.1.1' }).app.trustProxy).toEqual([
        '10.0.0.0/8',
        '192.168.1.1',
      ]);
    });

    it('refuses true, which used to let clients choose their own IP', () => {
      expect(problemsOf({ TRUST_PROXY: 'true' })).toEqual([
        expect.stringContaining('TRUST_PROXY=true is no longer accepted'),
      ]);
    });
  });

  describe('metrics', () => {
    it('are served nowhere by default', () => {
      expect(loadConfig({}).metrics).toEqual({
        token: undefined,
        port: undefined,
        host: '127.0.0.1',
      });
    });

    it('take a token, a port and a host', () => {
      const token = strongSecret();

      const sut = loadConfig({
        METRICS_TOKEN: token,
        METRICS_PORT: '9100',
        METRICS_HOST: '10.0.0.2',
      });

      expect(sut.metrics).toEqual({ token, port: 9100, host: '10.0.0.2' });
    });

    it.each([
      ['a 31-byte token', strongSecret().slice(0, 31)],
      ['a placeholder', 'changeme'],
    ])('refuse %s as METRICS_TOKEN without repeating it', (_, token) => {
      const problems = problemsOf({ METRICS_TOKEN: token });

      expect(problems).toEqual(['METRICS_TOKEN must be at least 32 bytes of random data']);
      expect(problems.join('\n')).not.toContain(token);
    });

    it('refuse a METRICS_TOKEN that cannot be sent in an Authorization header', () => {
      expect(problemsOf({ METRICS_TOKEN: `${strongSecret()} ${strongSecret()}` })).toEqual([
        'METRICS_TOKEN must be printable ASCII without spaces',
      ]);
    });

    it.each([
      [{ METRICS_PORT: '0' }, 'METRICS_PORT must be a whole number from 1 to 65535 (got "0")'],
      [{ METRICS_PORT: '3000' }, 'METRICS_PORT must differ from PORT'],
      [{ METRICS_HOST: '0.0.0.0' }, 'METRICS_HOST is set but METRICS_PORT is not'],
    ])('refuse %o', (env, problem) => {
      expect(problemsOf(env)).toEqual([problem]);
    });
  });

  describe('HTTP timeouts, connection cap and shutdown', () => {
    it('default to bounds that cut slow clients within seconds and outlast a load balancer', () => {
      expect(loadConfig({}).server).toEqual({
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        keepAliveTimeoutMs: 72_000,
        connectionTimeoutMs: 60_000,
        maxConnections: 10_000,
        shutdownTimeoutMs: 25_000,
      });
    });

    it('read durations and the cap', () => {
      const config = loadConfig({
        HTTP_HEADERS_TIMEOUT: '5',
        HTTP_REQUEST_TIMEOUT: '1m',
        HTTP_KEEP_ALIVE_TIMEOUT: '90s',
        HTTP_CONNECTION_TIMEOUT: '2m',
        HTTP_MAX_CONNECTIONS: '500',
        SHUTDOWN_TIMEOUT: '40s',
      });
      expect(config.server).toEqual({
        headersTimeoutMs: 5_000,
        requestTimeoutMs: 60_000,
        keepAliveTimeoutMs: 90_000,
        connectionTimeoutMs: 120_000,
        maxConnections: 500,
        shutdownTimeoutMs: 40_000,
      });
    });

    it.each([
      ['HTTP_HEADERS_TIMEOUT', '0'],
      ['HTTP_REQUEST_TIMEOUT', 'forever'],
      ['HTTP_KEEP_ALIVE_TIMEOUT', '2h'],
      ['HTTP_MAX_CONNECTIONS', '0'],
      ['SHUTDOWN_TIMEOUT', '-5'],
    ])('refuse %s=%s, naming it', (variable, value) => {
      expect(problemsOf({ [variable]: value }).join('\n')).toContain(variable);
    });

    it('refuse a headers timeout longer than the request timeout', () => {
      expect(problemsOf({ HTTP_HEADERS_TIMEOUT: '40s' })).toEqual([
        'HTTP_HEADERS_TIMEOUT must not be longer than HTTP_REQUEST_TIMEOUT',
      ]);
    });
  });

  describe('security webhook', () => {
    const url = 'https://alerts.example.com/hooks/auth';

    it('is off by default, and alerts on refresh-token reuse once a URL is set', () => {
      expect(loadConfig({}).securityWebhook.url).toBeUndefined();

      const secret = strongSecret();
      expect(
        loadConfig({ SECURITY_WEBHOOK_URL: url, SECURITY_WEBHOOK_SECRET: secret }).securityWebhook,
      ).toEqual({ url, secret, events: ['auth.refresh.reuse_detected'] });
    });

    it('takes a list of events', () => {
      const sut = loadConfig({
        SECURITY_WEBHOOK_URL: url,
        SECURITY_WEBHOOK_SECRET: strongSecret(),
        SECURITY_WEBHOOK_EVENTS: 'auth.refresh.reuse_detected, key.rotated',
      });

      expect(sut.securityWebhook.events).toEqual(['auth.refresh.reuse_detected', 'key.rotated']);
    });

    it.each([
      [
        { SECURITY_WEBHOOK_URL: url },
        'SECURITY_WEBHOOK_SECRET is required with SECURITY_WEBHOOK_URL',
      ],
      [
        { SECURITY_WEBHOOK_SECRET: strongSecret() },
        'SECURITY_WEBHOOK_SECRET is set but SECURITY_WEBHOOK_URL is not',
      ],
      [
        { SECURITY_WEBHOOK_URL: url, SECURITY_WEBHOOK_SECRET: 'changeme' },
        'SECURITY_WEBHOOK_SECRET must be at least 32 bytes of random data',
      ],
      [
        {
          SECURITY_WEBHOOK_URL: url,
          SECURITY_WEBHOOK_SECRET: strongSecret(),
          SECURITY_WEBHOOK_EVENTS: 'a;b',
        },
        'SECURITY_WEBHOOK_EVENTS must be a comma-separated list of event names such as auth.refresh.reuse_detected (got "a;b")',
      ],
    ])('refuses %o', (env, problem) => {
      expect(problemsOf(env)).toContain(problem);
    });

    it('refuses an http:// URL in production, without repeating it (it may hold credentials)', () => {
      const insecure = 'http://user:pass@alerts.internal/hook';

      const problems = problemsOf(
        productionEnv({ SECURITY_WEBHOOK_URL: insecure, SECURITY_WEBHOOK_SECRET: strongSecret() }),
      );

      expect(problems).toEqual(['SECURITY_WEBHOOK_URL must be an https:// URL']);
      expect(
        loadConfig({ SECURITY_WEBHOOK_URL: insecure, SECURITY_WEBHOOK_SECRET: strongSecret() })
          .securityWebhook.url,
      ).toBe(insecure);
    });
  });

  describe('mail', () => {
    it('logs mails without SMTP_URL in development, with links under JWT_ISSUER', () => {
      expect(loadConfig({}).mail).toEqual({
        smtpUrl: undefined,
        from: undefined,
        publicUrl: 'http://localhost:3000',
      });
      expect(loadConfig({ JWT_ISSUER: 'https://id.example.com' }).mail.publicUrl).toBe(
        'https://id.example.com',
      );
    });

    it('takes SMTP_URL, MAIL_FROM and PUBLIC_URL', () => {
      const env = {
        SMTP_URL: 'smtps://mailer:secret@smtp.example.com:465',
        MAIL_FROM: '"Example ID" <id@example.com>',
        PUBLIC_URL: 'https://accounts.example.com/id',
      };

      expect(loadConfig(env).mail).toEqual({
        smtpUrl: env.SMTP_URL,
        from: env.MAIL_FROM,
        publicUrl: env.PUBLIC_URL,
      });
      expect(loadConfig({ MAIL_FROM: 'id@example.com' }).mail.from).toBe('id@example.com');
    });

    it.each(['http://mailer:hunter2@smtp.example.com', 'smtp://mailer:hunter2@'])(
      'refuses SMTP_URL=%s, without repeating it (it holds credentials)',
      (url) => {
        expect(problemsOf({ SMTP_URL: url })).toEqual([
          'SMTP_URL must be an smtp:// or smtps:// URL such as smtp://user:pass@host:587',
        ]);
      },
    );

    it.each([
      ['MAIL_FROM', 'no-reply'],
      ['MAIL_FROM', 'a@example.com\r\nBcc: b@example.com'],
      ['MAIL_FROM', 'a@example.com, b@example.com'],
      ['PUBLIC_URL', 'accounts.example.com'],
      ['PUBLIC_URL', 'https://accounts.example.com/?next=x'],
      ['PUBLIC_URL', 'ftp://accounts.example.com'],
    ])('refuses %s=%j', (name, value) => {
      expect(problemsOf({ [name]: value })).toEqual([expect.stringContaining(`${name} must be`)]);
    });

    it('wants an https:// PUBLIC_URL in production, and refuses to start without SMTP_URL', () => {
      expect(problemsOf(productionEnv({ PUBLIC_URL: 'http://accounts.example.com' }))).toEqual([
        'PUBLIC_URL must be an https:// URL without query or fragment (got "http://accounts.example.com")',
      ]);
      expect(problemsOf(productionEnv({ SMTP_URL: undefined }))).toEqual([
        expect.stringMatching(/^SMTP_URL is required in production/),
      ]);
    });
  });

  describe('sign-in allowances', () => {
    it('defaults to 5 failures for untrusted clients and 5 per known device, each then locked from 60 s doubling up to a day', () => {
      const config = loadConfig({});

      expect(config.rateLimits.LOGIN_ACCOUNT).toEqual({ limit: 5, ttlSeconds: 60 });
      expect(config.rateLimits.LOGIN_DEVICE).toEqual({ limit: 5, ttlSeconds: 60 });
      expect(config.loginLockMaxSeconds).toBe(86400);
    });

    it('reads THROTTLE_LOGIN_DEVICE and THROTTLE_LOGIN_LOCK_MAX', () => {
      const config = loadConfig({ THROTTLE_LOGIN_DEVICE: '4/120', THROTTLE_LOGIN_LOCK_MAX: '2h' });

      expect(config.rateLimits.LOGIN_DEVICE).toEqual({ limit: 4, ttlSeconds: 120 });
      expect(config.loginLockMaxSeconds).toBe(7200);
    });
  });
});
