import { dictionary } from '@zxcvbn-ts/language-common';
import { describe, expect, it } from 'vitest';
import { passwordProblems } from './password-policy.js';

const TOO_COMMON = 'password is too common';
const LENGTH = 'password must be 10 to 128 characters';
const PERSONAL = 'password must not be the username or email';

/** A password of `length` code points that is in no common-password list. */
function passphrase(length: number, alphabet = 'Vt7-qorn-Blix-9wez-'): string {
  const chars = [...alphabet];
  return Array.from({ length }, (_, i) => chars[i % chars.length]).join('');
}

function account(overrides: { username?: string; email?: string } = {}) {
  return { username: 'ada.lovelace1', email: 'Ada.Lovelace@Example.com', ...overrides };
}

describe(passwordProblems.name, () => {
  const sut = passwordProblems;

  it('accepts a good passphrase', () => {
    expect(sut('correct horse battery staple', account())).toEqual([]);
  });

  it.each([
    [9, [LENGTH]],
    [10, []],
    [128, []],
    [129, [LENGTH]],
  ])('with %i characters gives %j', (length, problems) => {
    expect(sut(passphrase(length), account())).toEqual(problems);
  });

  it('counts code points, not UTF-16 units', () => {
    const emoji = '🔑🌊🦊🎲🧩';

    expect(sut(passphrase(9, emoji), account())).toEqual([LENGTH]);
    expect(sut(passphrase(10, emoji), account())).toEqual([]);
    expect(sut(passphrase(128, emoji), account())).toEqual([]);
    expect(sut(passphrase(129, emoji), account())).toEqual([LENGTH]);
  });

  describe('common passwords', () => {
    const common = ['password123', 'qwertyuiop'];

    it('come from the shipped list', () => {
      const list = dictionary['passwords-common'];

      expect(list).toEqual(expect.arrayContaining(common));
    });

    it.each(common.flatMap((password) => [password, password.toUpperCase()]))(
      'refuses %s',
      (password) => {
        expect(sut(password, account())).toEqual([TOO_COMMON]);
      },
    );
  });

  describe('personal information', () => {
    const user = account();

    it.each([
      ['the username', user.username],
      ['the username in another case', user.username.toUpperCase()],
      ['the email', user.email],
      ['the email in lower case', user.email.toLowerCase()],
      ['the email local part', 'ada.lovelace'],
    ])('refuses %s', (_, password) => {
      expect(sut(password, user)).toEqual([PERSONAL]);
    });

    it('accepts a password that only contains the username', () => {
      expect(sut(`${user.username}-rides-again`, user)).toEqual([]);
    });

    it('checks nothing personal when the account has no username or email yet', () => {
      expect(sut('ada.lovelace1', { username: null, email: null })).toEqual([]);
    });
  });
});
