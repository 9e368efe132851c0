import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type * as oidc from 'openid-client';
import type supertest from 'supertest';

type Http = ReturnType<typeof supertest>;

/** The hidden fields and action of the one form on an HTML page, as a browser would post them. */
export interface PageForm {
  action: string;
  fields: Record<string, string>;
}

const unescapeHtml = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

export function formOf(html: string): PageForm {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form on the page: ${html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const [, name, value] of html.matchAll(
    /<input type="hidden" name="([^"]+)" value="([^"]*)">/g,
  )) {
    fields[name] = unescapeHtml(value);
  }
  return { action: unescapeHtml(action), fields };
}

/**
 * A browser over supertest: it keeps the cookies the server sets (and drops
 * those it clears), sends them back, and does not follow redirects.
 */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(private readonly http: Http) {}

  async get(url: string): Promise<supertest.Response> {
    const target = url.replace(/^https:\/\/auth\.test\.local/, '');
    return this.keep(await this.http.get(target).set(this.cookieHeader()));
  }

  async post(path: string, form: Record<string, string>): Promise<supertest.Response> {
    return this.keep(await this.http.post(path).set(this.cookieHeader()).type('form').send(form));
  }

  /** The `Set-Cookie` line the last response gave `name`, for its attributes. */
  lastSetCookie = new Map<string, string>();

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { Cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }

  private keep(response: supertest.Response): supertest.Response {
    const lines = (response.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
    for (const line of lines) {
      const [pair] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      this.lastSetCookie.set(name, line);
      const cleared = /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line);
      if (cleared || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

/** A `fetch` for openid-client that answers from the app in-process (the issuer's host is not resolvable). */
export function fetchFromApp(app: NestFastifyApplication): oidc.CustomFetch {
  return async (url, options) => {
    const target = new URL(url);
    const answer = await app.inject({
      method: options.method as 'GET' | 'POST',
      url: target.pathname + target.search,
      headers: Object.fromEntries(
        new Headers(options.headers as ConstructorParameters<typeof Headers>[0]),
      ),
      ...(options.body !== undefined && options.body !== null
        ? { payload: String(options.body) }
        : {}),
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined)
        headers.set(name, Array.isArray(value) ? value.join(', ') : String(value));
    }
    const empty = answer.statusCode === 204 || answer.statusCode === 304;
    return new Response(empty ? null : answer.rawPayload, { status: answer.statusCode, headers });
  };
}
