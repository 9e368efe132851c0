import { describe, expect, it } from 'vitest';
import { useTestApp } from './support/test-app.js';

const ALLOWED = 'https://app.example.com';

describe('CORS', () => {
  const withCors = useTestApp({ env: { CORS_ORIGINS: `${ALLOWED}, https://admin.example.com` } });
  const withoutCors = useTestApp();

  it('answers a preflight from an allowed origin, allowing the Authorization header', async () => {
    const response = await withCors.http
      .options('/users/me')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');

    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(response.headers['access-control-allow-headers']).toMatch(/authorization/i);
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('lets the browser read the request id and the challenge of an error', async () => {
    const response = await withCors.http.get('/users/me').set('Origin', ALLOWED).expect(401);

    expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(response.headers['access-control-expose-headers']).toMatch(/x-request-id/i);
    expect(response.headers['access-control-expose-headers']).toMatch(/www-authenticate/i);
  });

  it('gives another origin no CORS permission', async () => {
    const response = await withCors.http.get('/health/live').set('Origin', 'https://evil.example');

    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no CORS headers at all unless CORS_ORIGINS is set', async () => {
    const response = await withoutCors.http.get('/health/live').set('Origin', ALLOWED).expect(200);

    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
