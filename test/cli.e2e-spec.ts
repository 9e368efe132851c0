import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditSealer } from '../src/audit/audit-sealer.service.js';
import { ADMIN, realServices } from './support/app.js';
import { type CliResult, runCli } from './support/built-server.js';
import {
  adminTokens,
  bearer,
  login,
  loginStatus,
  newUser,
  signUp,
  updateUser,
} from './support/factories.js';
import { basicAuth, jwksKids, meStatus, pollUntil, refreshStatus } from './support/lifecycle.js';
import { SmtpSink } from './support/smtp-sink.js';
import { useTestApp } from './support/test-app.js';

const COMMANDS = [
  'users:create',
  'users:set-roles',
  'users:disable',
  'users:enable',
  'users:revoke-sessions',
  'clients:create',
  'clients:list',
  'clients:delete',
  'keys:rotate',
  'keys:list',
  'audit:verify',
  'audit:export',
  'mail:test',
];

/**
 * The embedded database opens in one process at a time, and in-process
 * stores (no REDIS_URL) are the server's own: there the app is stopped while
 * the CLI works on its data, as an operator would stop it.
 */
const appMustStop = !realServices.databaseUrl || !realServices.redisUrl;

/** A stack frame: what an operator must never see for a refused command. */
const STACK_FRAME = /^\s+at /m;

/** `key=value` lines as a record. */
const fields = (stdout: string): Record<string, string> =>
  Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s, 2)),
  );

function expectFailure(result: CliResult, message: string | RegExp): void {
  expect(result.status, result.stdout + result.stderr).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(STACK_FRAME);
  expect(result.stdout).toBe('');
}

function expectSuccess(result: CliResult): void {
  expect(result.status, result.stderr).toBe(0);
}

/** The built CLI (dist/src/cli.js) against the data of an app started from the sources. */
describe('CLI', { timeout: 180_000 }, () => {
  const t = useTestApp();

  /** The CLI on the app's database, Redis prefix and secrets (`env` on top). */
  const cli = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
    runCli(args, { ...t.env, ...options.env }, { input: options.input });

  /** Runs `work` (CLI runs that open the data) with the app stopped if they cannot share it. */
  async function offline<T>(work: () => Promise<T>): Promise<T> {
    if (!appMustStop) return work();
    await t.stop();
    try {
      return await work();
    } finally {
      await t.restart();
    }
  }

  describe('help and usage (no database needed)', () => {
    it('lists every command in the top-level help', async () => {
      const result = await cli(['--help']);

      expectSuccess(result);
      expect(result.stdout).toContain('Usage: npm run cli -- [options] [command]');
      for (const command of COMMANDS) expect(result.stdout).toContain(command);
    });

    it.each(COMMANDS)('%s --help shows its usage and exits 0', async (command) => {
      const result = await cli([command, '--help']);

      expectSuccess(result);
      expect(result.stdout).toContain(`Usage: npm run cli -- ${command}`);
      expect(result.stdout).toContain('--help');
    });

    it.each([
      [['no-such:command'], /unknown command 'no-such:command'/],
      [['users:disable'], /missing required argument 'user'/],
      [['users:disable', 'ada', 'extra'], /too many arguments/],
      [['keys:list', '--verbose'], /unknown option '--verbose'/],
      [
        ['users:create', 'ada', 'ada@example.com', '--password', 'secret-on-argv'],
        /unknown option/,
      ],
    ])('refuses %j with exit 1 and the reason', async (args, message) => {
      const result = await cli(args);

      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain('--help');
    });

    it('runs nothing without a command, and says how to get help', async () => {
      const result = await cli([]);

      expect(result.status).toBe(1);
      expect(result.stderr).toContain('Usage: npm run cli --');
    });

    it('names the bad setting of an invalid configuration, without a stack trace', async () => {
      const result = await cli(['keys:list'], { env: { ACCESS_TOKEN_TTL: 'soon' } });

      expectFailure(result, /Invalid configuration:[\s\S]*ACCESS_TOKEN_TTL/);
    });
  });

  describe('users', () => {
    it('users:create makes an account that signs in with the password from stdin, never printed', async () => {
      const user = newUser();

      const result = await offline(() =>
        cli(['users:create', user.username, user.email, '--password-stdin'], {
          input: `${user.password}\n`,
        }),
      );

      expectSuccess(result);
      expect(fields(result.stdout)).toMatchObject({
        username: user.username,
        email: user.email,
        roles: 'user',
        disabled: 'false',
      });
      expect(result.stdout + result.stderr).not.toContain(user.password);
      expect(await loginStatus(t.http, user.username, user.password)).toBe(200);
    });

    it('users:create --admin makes an account that may use the admin API', async () => {
      const user = newUser();

      const result = await offline(() =>
        cli(['users:create', user.username, user.email, '--admin', '--password-stdin'], {
          input: user.password,
        }),
      );

      expectSuccess(result);
      expect(fields(result.stdout).roles).toBe('admin,user');
      const tokens = await login(t.http, user.username, user.password);
      await t.http.get('/admin/users').set(bearer(tokens.access_token)).expect(200);
    });

    it.each([
      ['no --password-stdin and no terminal', [], '', /no password/],
      ['an empty standard input', ['--password-stdin'], '', /no password on standard input/],
      ['two lines', ['--password-stdin'], 'first-line-pw\nsecond-line\n', /one line/],
      ['a short password', ['--password-stdin'], 'short\n', /password: password must be 10 to/],
    ])('users:create refuses %s, before opening the database', async (_, flags, input, message) => {
      const user = newUser();

      // The app keeps running: these are refused before the CLI opens the database.
      const result = await cli(['users:create', user.username, user.email, ...flags], { input });

      expectFailure(result, message);
      expect(await loginStatus(t.http, user.username, user.password)).toBe(401);
    });

    it('users:create refuses an invalid username and email with the API’s messages', async () => {
      const result = await cli(['users:create', 'A!', 'not-an-email', '--password-stdin'], {
        input: 'a-long-enough-passphrase',
      });

      expectFailure(result, /invalid input:/);
      expect(result.stderr).toMatch(/^ {2}username: .*username must be 3 to 32 characters/m);
      expect(result.stderr).toMatch(/^ {2}email: email must be a valid email address/m);
    });

    it('users:create refuses a taken username and a common password with the API’s messages', async () => {
      const existing = await signUp(t.http);
      const user = newUser();

      const [taken, common] = await offline(async () => [
        await cli(['users:create', existing.username, user.email, '--password-stdin'], {
          input: 'a-long-enough-passphrase',
        }),
        await cli(['users:create', user.username, user.email, '--password-stdin'], {
          input: 'password123',
        }),
      ]);

      expectFailure(taken, /^error: Username is already registered$/m);
      expectFailure(common, /^ {2}password: .*common/m);
      expect(await loginStatus(t.http, user.username, 'password123')).toBe(401);
    });

    it('users:set-roles names the user by email; their current access token stops working', async () => {
      const user = await signUp(t.http);

      const result = await offline(() =>
        cli(['users:set-roles', user.email.toUpperCase(), 'admin,user']),
      );

      expectSuccess(result);
      expect(fields(result.stdout)).toMatchObject({ id: user.id, roles: 'admin,user' });
      expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);
      const tokens = await login(t.http, user.username, user.password);
      await t.http.get('/admin/users').set(bearer(tokens.access_token)).expect(200);
    });

    it('users:set-roles refuses an unknown role before opening the database', async () => {
      const result = await cli(['users:set-roles', 'anyone', 'admin,root']);

      expectFailure(result, /roles: each value in roles must be one of the following values/);
    });

    it('refuses an unknown user by id, username or email with "User not found"', async () => {
      const results = await offline(async () => [
        await cli(['users:disable', '00000000-0000-4000-8000-000000000000']),
        await cli(['users:revoke-sessions', 'nobody-here']),
        await cli(['users:set-roles', 'nobody@example.com', 'user']),
      ]);

      for (const result of results) expectFailure(result, /^error: User not found$/m);
    });

    it('will not demote or disable the last active admin, with the service’s message', async () => {
      const admin = await adminTokens(t.http);
      const others = await t.http
        .get('/admin/users?role=admin&limit=100')
        .set(bearer(admin.access_token))
        .expect(200);
      for (const other of others.body.items as { id: string; username: string }[]) {
        if (other.username !== ADMIN.username) {
          await updateUser(t.http, admin.access_token, other.id, { roles: ['user'] });
        }
      }

      const [demote, disable] = await offline(async () => [
        await cli(['users:set-roles', ADMIN.username, 'user']),
        await cli(['users:disable', ADMIN.email]),
      ]);

      const rule = /^error: The last active admin cannot be demoted, disabled or deleted$/m;
      expectFailure(demote, rule);
      expectFailure(disable, rule);
      expect(await loginStatus(t.http, ADMIN.username, ADMIN.password)).toBe(200);
    });

    it('users:disable ends the sessions and stops sign-in; users:enable lets the user back in', async () => {
      const user = await signUp(t.http);

      const disabled = await offline(() => cli(['users:disable', user.username]));

      expectSuccess(disabled);
      expect(fields(disabled.stdout).disabled).toBe('true');
      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(401);
      expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);
      expect(await loginStatus(t.http, user.username, user.password)).toBe(401);

      const enabled = await offline(() => cli(['users:enable', user.id]));

      expectSuccess(enabled);
      expect(fields(enabled.stdout).disabled).toBe('false');
      expect(await loginStatus(t.http, user.username, user.password)).toBe(200);
    });

    it('users:revoke-sessions ends every session of the user at once', async () => {
      const user = await signUp(t.http);
      const second = await login(t.http, user.username, user.password);

      const result = await offline(() => cli(['users:revoke-sessions', user.id]));

      expectSuccess(result);
      expect(result.stdout).toBe(`ended every session of ${user.username} (${user.id})\n`);
      for (const tokens of [user.tokens, second]) {
        expect(await refreshStatus(t.http, tokens.refresh_token)).toBe(401);
        expect(await meStatus(t.http, tokens.access_token)).toBe(401);
      }
      expect(await loginStatus(t.http, user.username, user.password)).toBe(200);
    });
  });

  describe('clients', () => {
    const clientToken = (id: string, secret: string) =>
      t.http
        .post('/auth/token')
        .set(basicAuth(id, secret))
        .type('form')
        .send({ grant_type: 'client_credentials' });

    it('clients:create prints the id and the secret once; the client gets tokens until clients:delete', async () => {
      const [created, listed] = await offline(async () => [
        await cli(['clients:create', 'billing-service', '--roles', 'admin']),
        await cli(['clients:list']),
      ]);

      expectSuccess(created);
      const client = fields(created.stdout);
      expect(client).toMatchObject({ name: 'billing-service', roles: 'admin' });
      expect(client.client_id).toMatch(/^svc_[A-Za-z0-9_-]{16}$/);
      expect(created.stderr).toContain('not shown again');
      expect((await clientToken(client.client_id, client.client_secret)).status).toBe(200);

      expectSuccess(listed);
      expect(listed.stdout).toMatch(/^CLIENT_ID +NAME +ROLES +DISABLED +CREATED$/m);
      expect(listed.stdout).toMatch(
        new RegExp(`^${client.client_id} +billing-service +admin `, 'm'),
      );
      expect(listed.stdout).not.toContain(client.client_secret);

      const deleted = await offline(() => cli(['clients:delete', client.client_id]));

      expectSuccess(deleted);
      expect(deleted.stdout).toBe(`deleted client ${client.client_id}\n`);
      expect((await clientToken(client.client_id, client.client_secret)).status).toBe(401);
    });

    it('clients:create refuses an empty name and an unknown role with the API’s messages', async () => {
      const [noName, badRole] = [
        await cli(['clients:create', '   ']),
        await cli(['clients:create', 'svc', '--roles', 'root']),
      ];

      expectFailure(noName, /^ {2}name: /m);
      expectFailure(badRole, /^ {2}roles: each value in roles must be one of/m);
    });

    it('clients:delete refuses a client that does not exist', async () => {
      const result = await offline(() => cli(['clients:delete', 'svc_doesnotexist00000']));

      expectFailure(result, /^error: Client not found$/m);
    });

    it('clients:list shows control characters in a name as escapes, never raw', async () => {
      const admin = await adminTokens(t.http);
      await t.http
        .post('/admin/clients')
        .set(bearer(admin.access_token))
        .send({ name: 'evil\u001b[2J\u001b[31mred' })
        .expect(201);

      const result = await offline(() => cli(['clients:list']));

      expectSuccess(result);
      expect(result.stdout).toContain('evil\\u001b[2J\\u001b[31mred');
      expect(result.stdout).not.toContain('\u001b');
    });
  });

  describe('keys', () => {
    it('keys:rotate makes a new key active; keys:list shows both, never key material', async () => {
      const [rotated, listed] = await offline(async () => [
        await cli(['keys:rotate']),
        await cli(['keys:list']),
      ]);

      expectSuccess(rotated);
      const kid = /^new active signing key: (\S+)$/m.exec(rotated.stdout)![1];
      await pollUntil('the new key in the JWKS', async () =>
        (await jwksKids(t.http)).includes(kid),
      );

      expectSuccess(listed);
      const rows = listed.stdout.trim().split('\n');
      expect(rows[0]).toMatch(/^KID +ALGORITHM +CREATED +STATUS +VERIFIES_UNTIL$/);
      expect(rows[1]).toMatch(new RegExp(`^${kid} +RS256 +\\d{4}-\\d\\d-\\d\\dT\\S+ +active +-$`));
      expect(rows.slice(2).length).toBeGreaterThan(0);
      for (const row of rows.slice(2)) expect(row).toMatch(/ retired +\d{4}-\d\d-\d\dT\S+$/);
      const stored = await t.sql<{ private_key_sealed: string; public_jwk: { n: string } }>(
        'SELECT private_key_sealed, public_jwk FROM signing_keys',
      );
      for (const key of stored) {
        expect(listed.stdout).not.toContain(key.private_key_sealed);
        expect(listed.stdout).not.toContain(key.public_jwk.n);
      }
    });

    it('names the key it cannot unseal under another KEY_ENCRYPTION_SECRET, without a stack trace', async () => {
      const result = await offline(() =>
        cli(['keys:list'], {
          env: { KEY_ENCRYPTION_SECRET: 'another-key-encryption-secret-0123456789' },
        }),
      );

      expectFailure(
        result,
        /^error: signing key \S+ cannot be unsealed: KEY_ENCRYPTION_SECRET differs/m,
      );
    });
  });
  describe('mail', () => {
    let sink: SmtpSink;
    beforeAll(async () => {
      sink = await SmtpSink.start();
    });
    afterAll(async () => {
      await sink.stop();
    });
    const to = `cli-test-${process.pid}@example.com`;

    it('mail:test sends the test mail through SMTP_URL at once and says so', async () => {
      const result = await offline(() => cli(['mail:test', to], { env: { SMTP_URL: sink.url } }));

      expectSuccess(result);
      expect(result.stdout).toBe(`test mail accepted by the SMTP server for ${to}\n`);
      const mail = await sink.waitForMail(to);
      expect(mail.subject).toBe('Test mail · Auth server');
      expect(mail.text).toContain('Mail delivery works.');
      expect(mail.html).toContain('Mail delivery works.');
    });

    it('mail:test prints the SMTP error and exits 1 when the server is down or refuses the login, never the password', async () => {
      const wrong = sink.url.replace(sink.secret, 'wrong-smtp-password');
      const refused = await offline(() => cli(['mail:test', to], { env: { SMTP_URL: wrong } }));
      await sink.stop();
      const down = await offline(() => cli(['mail:test', to], { env: { SMTP_URL: sink.url } }));
      await sink.restart();

      expectFailure(refused, /^error: .*(Invalid login|535)/m);
      expectFailure(down, /^error: .*ECONNREFUSED/m);
      for (const result of [refused, down]) {
        expect(result.stderr).not.toContain('wrong-smtp-password');
        expect(result.stderr).not.toContain(sink.secret);
      }
      expect(sink.mailsTo(to)).toHaveLength(1);
    });

    it('mail:test refuses an address with a second recipient, and runs without SMTP_URL only to say it is needed', async () => {
      const listed = await offline(() =>
        cli(['mail:test', `${to},other@example.com`], { env: { SMTP_URL: sink.url } }),
      );
      const unset = await offline(() => cli(['mail:test', to]));

      expectFailure(listed, /one plain address/);
      expectFailure(unset, /SMTP_URL is not set/);
      expect(sink.mailsTo(to)).toHaveLength(1);
    });
  });

  describe('audit trail', () => {
    /** The changes the commands above made, each an audit row whose actor is the CLI. */
    const CLI_ACTIONS = [
      'user.registered',
      'admin.user.updated',
      'admin.user.sessions_revoked',
      'client.created',
      'client.deleted',
      'key.rotated',
    ];

    it('records every change the commands above made with actor cli; audit:export writes them as JSON lines', async () => {
      const file = path.join(tmpdir(), `audit-export-${process.pid}-${Date.now()}.jsonl`);
      try {
        const [exported, filtered] = await offline(async () => [
          await cli(['audit:export', '--output', file]),
          await cli(['audit:export', '--action', 'client.deleted']),
        ]);

        expectSuccess(exported);
        expect(exported.stdout).toBe('');
        expect(exported.stderr).toMatch(/^exported \d+ events to /m);
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        const events = (await readFile(file, 'utf8'))
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { action: string; actor: { type: string } });
        const byCli = new Set(
          events.filter((event) => event.actor.type === 'cli').map((event) => event.action),
        );
        expect([...byCli].sort()).toEqual(expect.arrayContaining(CLI_ACTIONS.sort()));
        expect(events.some((event) => event.actor.type === 'user')).toBe(true);

        expectSuccess(filtered);
        const lines = filtered.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line));
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) {
          expect(line).toMatchObject({ action: 'client.deleted', actor: { type: 'cli' } });
        }
      } finally {
        await rm(file, { force: true });
      }
    });

    it('audit:export refuses bad filters before opening the database, and never replaces a file', async () => {
      const file = path.join(tmpdir(), `audit-existing-${process.pid}-${Date.now()}.jsonl`);
      await writeFile(file, 'kept\n');
      try {
        const badFilters = await cli(['audit:export', '--action', 'nope', '--from', 'yesterday']);

        expectFailure(badFilters, /^ {2}action: action must be one of/m);
        expect(badFilters.stderr).toMatch(/^ {2}from: from must be a valid ISO 8601/m);

        const existing = await offline(() => cli(['audit:export', '--output', file]));

        expectFailure(existing, /^error: cannot create .*EEXIST/m);
        expect(await readFile(file, 'utf8')).toBe('kept\n');
      } finally {
        await rm(file, { force: true });
      }
    });

    it('audit:verify passes an intact chain, then names the altered row and exits 1', async () => {
      await t.app.get(AuditSealer).sealPending();
      const [head] = await t.sql<{ seq: string }>('SELECT max(seq) AS seq FROM audit_events');

      const intact = await offline(() => cli(['audit:verify']));

      expectSuccess(intact);
      const checked = fields(intact.stdout);
      expect(checked).toMatchObject({ status: 'intact', checkpoint_seq: '-' });
      expect(Number(checked.head_seq)).toBeGreaterThanOrEqual(Number(head.seq));
      expect(checked.head_hash).toMatch(/^[0-9a-f]{64}$/);

      await t.app.get(AuditSealer).sealPending();
      const [victim] = await t.sql<{ id: string; seq: string }>(
        `SELECT id, seq FROM audit_events WHERE action = 'key.rotated' AND seq IS NOT NULL ORDER BY seq LIMIT 1`,
      );
      await t.sql(`UPDATE audit_events SET outcome = 'failure' WHERE id = $1`, [victim.id]);

      const broken = await offline(() => cli(['audit:verify']));

      expect(broken.status).toBe(1);
      expect(fields(broken.stdout)).toMatchObject({
        status: 'broken',
        break: 'altered',
        break_id: victim.id,
        break_seq: victim.seq,
      });
      expect(broken.stderr).toBe(
        `error: audit chain broken: row ${victim.id} (seq ${victim.seq}) was altered: its content does not match its hash\n`,
      );
    });
  });
});
