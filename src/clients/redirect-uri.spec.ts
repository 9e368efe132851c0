import { describe, expect, it } from 'vitest';
import { redirectUriMatches, redirectUriProblem } from './redirect-uri.js';

describe('redirectUriProblem', () => {
  it.each([
    'https://app.example.com/callback',
    'https://app.example.com/cb?tenant=a',
    'https://app.example.com:8443/cb',
    'http://127.0.0.1/cb',
    'http://127.0.0.1:49152/cb',
    'http://[::1]:8080/cb',
    'http://[::1]',
    'com.example.app:/oauth2redirect',
    'com.example.app://callback',
  ])('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeNull();
  });

  it.each([
    ['a relative path', '/callback', 'absolute'],
    ['a scheme-relative URI', '//evil.example/cb', 'absolute'],
    ['javascript:', 'javascript:alert(1)', 'scheme'],
    ['data:', 'data:text/html,hi', 'scheme'],
    ['a custom scheme that is no reverse domain', 'myapp:/cb', 'scheme'],
    ['plain http', 'http://evil.example/cb', 'http'],
    ['http on localhost', 'http://localhost:3000/cb', 'http'],
    ['http on a host that starts like loopback', 'http://127.0.0.1.evil.example/cb', 'http'],
    ['loopback as user info', 'http://127.0.0.1@evil.example/cb', 'user info'],
    ['user info', 'https://user:pw@app.example.com/cb', 'user info'],
    ['a fragment', 'https://app.example.com/cb#x', 'fragment'],
    ['an empty fragment', 'https://app.example.com/cb#', 'fragment'],
    ['a wildcard host', 'https://*.example.com/cb', 'wildcard'],
    ['a wildcard path', 'https://app.example.com/*', 'wildcard'],
    ['https without slashes', 'https:app.example.com/cb', 'no host'],
    ['an upper-case scheme', 'HTTPS://app.example.com/cb', 'upper-case'],
    ['a backslash', 'https://app.example.com\\@evil.example', 'backslash'],
    ['whitespace', 'https://app.example.com/c b', 'whitespace'],
    ['a newline', 'https://app.example.com/cb\n', 'whitespace'],
    ['an overlong URI', `https://app.example.com/${'a'.repeat(2000)}`, 'longer'],
  ])('refuses %s', (_, uri, reason) => {
    expect(redirectUriProblem(uri)).toContain(reason);
  });
});

describe('redirectUriMatches', () => {
  const registered = ['https://app.example.com/cb', 'http://127.0.0.1/cb', 'com.example.app:/cb'];

  it('matches a registered URI exactly', () => {
    for (const uri of registered) expect(redirectUriMatches(registered, uri)).toBe(true);
  });

  it.each([
    'https://app.example.com/cb/',
    'https://app.example.com/cb?x=1',
    'https://app.example.com/CB',
    'https://APP.example.com/cb',
    'https://app.example.com:443/cb',
    'https://app.example.com/cb#',
    'https://app.example.com/cb/../cb',
    'https://app.example.com/c',
    'https://evil.example/cb',
    'http://app.example.com/cb',
    'com.example.app:/cb/other',
  ])('refuses %s, which is not exactly a registered URI', (uri) => {
    expect(redirectUriMatches(registered, uri)).toBe(false);
  });

  it('lets a loopback URI vary its port only (RFC 8252 §7.3)', () => {
    expect(redirectUriMatches(registered, 'http://127.0.0.1:51234/cb')).toBe(true);
    expect(redirectUriMatches(['http://127.0.0.1:8080/cb'], 'http://127.0.0.1:9/cb')).toBe(true);
    expect(redirectUriMatches(['http://[::1]/cb'], 'http://[::1]:4000/cb')).toBe(true);
  });

  it('does not let a loopback URI vary anything but its port', () => {
    expect(redirectUriMatches(registered, 'http://127.0.0.1:51234/cb2')).toBe(false);
    expect(redirectUriMatches(registered, 'http://127.0.0.1:51234/cb?x=1')).toBe(false);
    expect(redirectUriMatches(registered, 'http://[::1]:51234/cb')).toBe(false);
    expect(redirectUriMatches(registered, 'http://localhost:51234/cb')).toBe(false);
    expect(redirectUriMatches(registered, 'https://127.0.0.1:51234/cb')).toBe(false);
    expect(redirectUriMatches(['https://app.example.com/cb'], 'https://app.example.com:1/cb')).toBe(
      false,
    );
  });

  it('matches nothing against an empty registration', () => {
    expect(redirectUriMatches([], 'http://127.0.0.1/cb')).toBe(false);
  });
});
