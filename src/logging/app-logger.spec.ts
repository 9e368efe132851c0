import { describe, expect, it } from 'vitest';
import { runInRequestContext, ANONYMOUS } from '../common/request-context.js';
import { type AppLogger, createAppLogger } from './app-logger.js';

/** A logger of `format` writing into a string. */
function capture(format: 'json' | 'text', logLevel: 'info' | 'warn' = 'info') {
  let text = '';
  const sut: AppLogger = createAppLogger(
    { logFormat: format, logLevel },
    { destination: { write: (chunk: string) => void (text += chunk) } },
  );
  return { sut, text: () => text };
}

const HOSTILE = 'name\r\n{"level":"info","msg":"forged"}\n\u001b[31mred\u001b[0m';

describe(createAppLogger.name, () => {
  describe.each(['json', 'text'] as const)('as %s', (format) => {
    it('redacts credentials that reach a log call inside an object', () => {
      const log = capture(format);

      log.sut.info({
        password: 'hunter2-password',
        headers: { authorization: 'Bearer abc.def.ghi', cookie: '__Secure-device-token=dt' },
        body: { refresh_token: 'rt-123', client_secret: 'cs-456', newPassword: 'np-789' },
        user: { passwordHash: '$argon2id$v=19$hash' },
        err: { parameters: ['$argon2id$v=19$param'] },
      });

      for (const secret of ['hunter2', 'abc.def', 'device-token=dt', 'rt-123', 'cs-456']) {
        expect(log.text()).not.toContain(secret);
      }
      expect(log.text()).not.toContain('np-789');
      expect(log.text()).not.toContain('$argon2id');
      expect(log.text()).toContain('[redacted]');
    });

    it('keeps a message, field or error with CR/LF and ANSI escapes on its line, escaped', () => {
      const log = capture(format);

      log.sut.warn({ login: HOSTILE }, HOSTILE);
      log.sut.error({ err: new Error(HOSTILE) }, 'failed');

      expect(log.text()).not.toContain('\r');
      expect(log.text()).not.toContain('\u001b');
      const lines = log.text().split('\n').filter(Boolean);
      expect(lines.filter((line) => line.includes('forged'))).toHaveLength(
        format === 'json' ? 2 : 3,
      );
      for (const line of lines.filter((line) => line.includes('forged'))) {
        expect(line).toMatch(/name(\\r\\n|\\u000d\\u000a)\{/);
      }
    });

    it("adds the current request's id to every line logged while it is handled", () => {
      const log = capture(format);
      const context = { requestId: 'req-42', ip: null, userAgent: null, actor: ANONYMOUS };

      runInRequestContext(context, () => log.sut.info('inside'));
      log.sut.info('outside');

      const [inside, outside] = log.text().split('\n');
      expect(inside).toMatch(/"?reqId"?: ?"req-42"/);
      expect(outside).not.toContain('reqId');
    });

    it('writes nothing below LOG_LEVEL', () => {
      const log = capture(format, 'warn');

      log.sut.info('routine');
      log.sut.warn('unusual');

      expect(log.text()).not.toContain('routine');
      expect(log.text()).toContain('unusual');
    });
  });

  it('writes nothing at all when silenced', () => {
    let text = '';
    const sut = createAppLogger(
      { logFormat: 'json', logLevel: 'info' },
      { silent: true, destination: { write: (chunk: string) => void (text += chunk) } },
    );

    sut.fatal('even this');

    expect(text).toBe('');
  });
});
