import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium, or the one `CHROMIUM_PATH` names. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium for the browser specs; fails at once, naming the path, when it is not installed. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** A page, what it wrote to the console as errors, and every HTML response it had from `origin`. */
export interface WatchedPage {
  page: Page;
  consoleErrors: string[];
  htmlResponses: Response[];
}

/** Opens a page that records its console errors and the HTML pages `origin` served it. */
export async function watchedPage(browser: Browser, origin: string): Promise<WatchedPage> {
  const page = await browser.newPage();
  const watched: WatchedPage = { page, consoleErrors: [], htmlResponses: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') watched.consoleErrors.push(message.text());
  });
  page.on('response', (response) => {
    const html = /text\/html/.test(response.headers()['content-type'] ?? '');
    if (html && response.url().startsWith(origin)) watched.htmlResponses.push(response);
  });
  return watched;
}

/** The hosted pages' own policy, exactly; the apps' origin is added where a form may redirect there. */
const HOSTED_PAGE_CSP =
  /^default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'( \S+)?; frame-ancestors 'none'; base-uri 'none'$/;

/** Every hosted page came under its strict CSP, `no-store` and `no-referrer`, and nothing was refused or broken. */
export function expectStrictPages({ consoleErrors, htmlResponses }: WatchedPage): void {
  for (const response of htmlResponses) {
    const headers = response.headers();
    expect(headers['content-security-policy']).toMatch(HOSTED_PAGE_CSP);
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['referrer-policy']).toBe('no-referrer');
  }
  expect(consoleErrors).toEqual([]);
}
