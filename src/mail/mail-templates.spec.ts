import { describe, expect, it } from 'vitest';
import { type MailData, type MailTemplate, MailTemplates } from './mail-templates.js';

const LINK = 'https://auth.example.com/account/verify-email?token=abc&x=1';

const DATA: Record<MailTemplate, MailData> = {
  'verify-email': { username: 'ada', link: LINK, expiresInMinutes: 60 },
  'confirm-email-change': {
    username: 'ada',
    link: LINK,
    newEmail: 'new@example.com',
    expiresInMinutes: 60,
  },
  'email-change-notice': { username: 'ada', newEmail: 'new@example.com', reportLink: LINK },
  'reset-password': { username: 'ada', link: LINK, expiresInMinutes: 30 },
  'password-changed': { username: 'ada', when: '2026-11-30 03:00 UTC' },
  'email-in-use': {},
  test: {},
};

describe(MailTemplates.name, () => {
  const sut = new MailTemplates('Example ID');

  it.each(Object.keys(DATA) as MailTemplate[])(
    'renders %s as text and HTML, with its own subject and the product name',
    (template) => {
      const mail = sut.render(template, DATA[template]);

      expect(mail.subject).toMatch(/^\S.* · Example ID$/);
      expect(mail.text).toContain('Example ID');
      expect(mail.html).toMatch(/^<!doctype html>/);
      expect(mail.html).toContain('Example ID');
      for (const value of Object.values(DATA[template])) {
        expect(mail.text).toContain(String(value));
      }
      if ('link' in DATA[template]) {
        expect(mail.text).toContain(`\n${LINK}\n`);
        expect(mail.html).toContain(`href="${LINK.replace('&', '&amp;')}"`);
      }
    },
  );

  it('gives every template a different subject', () => {
    const subjects = (Object.keys(DATA) as MailTemplate[]).map(
      (template) => sut.render(template, DATA[template]).subject,
    );

    expect(new Set(subjects).size).toBe(subjects.length);
  });

  it('escapes what a user typed in the HTML, and leaves the text as typed', () => {
    const username = '<img src=x onerror=alert(1)>"&';

    const mail = sut.render('password-changed', { username, when: 'now' });

    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&amp;');
    expect(mail.html).not.toContain('<img');
    expect(mail.text).toContain(`Hello ${username},`);
  });

  it('names the fields a template lacks', () => {
    expect(() => sut.check('confirm-email-change', { username: 'ada' })).toThrow(
      'the "confirm-email-change" mail needs link, newEmail, expiresInMinutes',
    );
    expect(() => sut.check('test', {})).not.toThrow();
  });
});
