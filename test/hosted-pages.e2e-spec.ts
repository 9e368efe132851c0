import { describe, expect, it } from 'vitest';
import { assetHref } from '../src/pages/page-files.js';
import { useTestApp } from './support/test-app.js';

describe('hosted pages in the app', () => {
  const t = useTestApp();

  it('serves the stylesheet the pages link, cached for a year, under the API headers', async () => {
    const href = assetHref('pages.css');
    const response = await t.http.get(href).expect(200);

    expect(href).toMatch(/^\/assets\/pages\.css\?v=[\w-]{12}$/);
    expect(response.headers['content-type']).toMatch(/^text\/css/);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.text).toContain('.card');
  });

  it('serves the icon the pages link, as SVG', async () => {
    const response = await t.http.get(assetHref('icon.svg')).expect(200);

    expect(response.headers['content-type']).toMatch(/^image\/svg\+xml/);
  });

  it('serves no templates, sources or listings under /assets/', async () => {
    for (const path of [
      '/assets/',
      '/assets/../views/layout.eta',
      '/assets/%2e%2e/page-files.ts',
    ]) {
      const response = await t.http.get(path);
      expect([403, 404]).toContain(response.status);
      expect(response.text).not.toContain('<%');
    }
  });

  it('keeps the API-wide CSP on API responses (pages set their own)', async () => {
    const response = await t.http.get('/health/live').expect(200);

    expect(response.headers['content-security-policy']).toContain(`default-src 'self'`);
  });
});
