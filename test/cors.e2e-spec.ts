import { describe, expect, it } from 'vitest';
import { useTestApp } from './support/test-app.js';

const ALLOWED = 'https://app.example.com';

describe('CORS', () => {
  const withCors = useTestApp({ env: { CORS_ORIGINS: `${ALLOWED}, https://admin.example.com` } });
  const withoutCors = useTestApp();

  it('answers a preflight from an allowed origin: Authorization, cookie mode’s headers, credentials', async () => {
    const response = await withCors.http
      .options('/auth/logout')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, x-csrf-token, x-token-delivery');

    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(response.headers['access-control-allow-headers']).toMatch(/authorization/i);
    expect(response.headers['access-control-allow-headers']).toMatch(/x-csrf-token/i);
    expect(response.headers['access-control-allow-headers']).toMatch(/x-token-delivery/i);
    expect(response.headers['access-control-allow-credentials']).toBe('true');
    expect(response.headers.vary).toMatch(/\borigin\b/i);
  });

  it('lets an allowed origin send credentials and read the request id and the challenge of an error', async () => {
    const response = await withCors.http.get('/users/me').set('Origin', ALLOWED).expect(401);

    expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(response.headers['access-control-allow-credentials']).toBe('true');
    expect(response.headers['access-control-expose-headers']).toMatch(/x-request-id/i);
    expect(response.headers['access-control-expose-headers']).toMatch(/www-authenticate/i);
    expect(response.headers.vary).toMatch(/\borigin\b/i);
  });

  it('gives another origin no CORS permission and no credentials, and still varies on Origin', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'null']) {
      const response = await withCors.http.get('/health/live').set('Origin', origin);

      expect(response.headers['access-control-allow-origin'], origin).toBeUndefined();
      expect(response.headers['access-control-allow-credentials'], origin).toBeUndefined();
      expect(response.headers.vary, origin).toMatch(/\borigin\b/i);
    }
  });

  it('answers no preflight for another origin', async () => {
    const response = await withCors.http
      .options('/auth/logout')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'x-csrf-token');

    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    expect(response.headers['access-control-allow-headers']).toBeUndefined();
  });

  it('varies on Origin for a request without one too (a cache must not reuse it for an origin)', async () => {
    const response = await withCors.http.get('/health/live').expect(200);

    expect(response.headers.vary).toMatch(/\borigin\b/i);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no CORS headers at all unless CORS_ORIGINS is set', async () => {
    const response = await withoutCors.http.get('/health/live').set('Origin', ALLOWED).expect(200);

    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });
});
