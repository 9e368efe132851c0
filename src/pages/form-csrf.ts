import { Inject, Injectable } from '@nestjs/common';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { KEY_ENCRYPTION_SECRET } from '../config/key-encryption-secret.js';

/** The browser's pre-session value: set on the first page with a form, read on its post. */
export const FORM_CSRF_COOKIE = '__Host-form-csrf';

/** 32 random bytes, base64url; a MAC is the same length. */
const VALUE = /^[A-Za-z0-9_-]{43}$/;

const COOKIE_OPTIONS: CookieSerializeOptions = {
  httpOnly: true,
  secure: true,
  // Lax: sent on the top-level navigation that brings a user from an app to the page.
  sameSite: 'lax',
  path: '/',
};

/**
 * CSRF tokens for the hosted pages' forms, bound to one browser: the browser
 * holds a random value in an `HttpOnly` `__Host-` cookie, and each form
 * carries HMAC-SHA256(key, value), keyed by HKDF from KEY_ENCRYPTION_SECRET.
 * A site that makes the browser post cannot read the cookie nor compute the
 * token; a token from another browser does not match this one's cookie.
 */
@Injectable()
export class FormCsrf {
  private readonly key: Buffer;

  constructor(@Inject(KEY_ENCRYPTION_SECRET) keyEncryptionSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', keyEncryptionSecret, 'auth-server', 'form-csrf', 32));
  }

  /** The token to put in a form; sets the browser's cookie when it has none yet. */
  tokenFor(request: FastifyRequest, reply: FastifyReply): string {
    let value = this.browserValue(request);
    if (!value) {
      value = randomBytes(32).toString('base64url');
      void reply.setCookie(FORM_CSRF_COOKIE, value, COOKIE_OPTIONS);
    }
    return this.mac(value);
  }

  /** Whether `presented` (the form's `csrf_token`) belongs to this browser. Constant-time. */
  verify(request: FastifyRequest, presented: unknown): boolean {
    const value = this.browserValue(request);
    if (!value || typeof presented !== 'string' || !VALUE.test(presented)) return false;
    // Compared as text: decoding would accept other spellings of the same bytes.
    return timingSafeEqual(Buffer.from(this.mac(value)), Buffer.from(presented));
  }

  private browserValue(request: FastifyRequest): string | undefined {
    const header = request.headers.cookie;
    const value = header ? request.server.parseCookie(header)[FORM_CSRF_COOKIE] : undefined;
    return value && VALUE.test(value) ? value : undefined;
  }

  private mac(value: string): string {
    return createHmac('sha256', this.key).update(value).digest('base64url');
  }
}
