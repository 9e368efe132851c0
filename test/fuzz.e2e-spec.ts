import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokens, bearer, PROBLEM_MEMBERS, signUp } from './support/factories.js';
import { useTestApp } from './support/test-app.js';

/**
 * Issue 7, point 5: no input reaches a 500. Every operation in the app's own
 * OpenAPI document (so a new endpoint is fuzzed without touching this file)
 * gets hostile bodies, content types, query strings and path parameters,
 * signed in as a user, or as an admin under /admin. Every answer must be
 * below 500 (nothing here is down, so not even 503), and every error the one
 * problem shape. Runs on the build, whose document names each body's fields
 * (`npm test` builds first).
 */

interface Schema {
  type?: string;
  example?: unknown;
  enum?: unknown[];
  properties?: Record<string, Schema>;
}
interface Parameter {
  name: string;
  in: string;
}
interface Operation {
  method: string;
  path: string;
  secured: boolean;
  parameters: Parameter[];
  /** The body's schema, when the operation takes one (JSON, or form and JSON). */
  body?: Schema;
}
interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}
interface Probe {
  label: string;
  path?: string;
  contentType?: string;
  body?: Buffer | string;
  /** Sent instead of the caller's credentials. */
  authorization?: string;
}

/**
 * The hosted pages of browser sign-in and of account mail links answer a browser, so their refusals
 * are HTML (the error page, or the sign-in form again), never a redirect
 * away; errors before they run (rate limits, unreadable bodies) are problems
 * like everywhere else.
 */
const HTML_PAGES = [
  '/oauth/authorize',
  '/auth/sign-in',
  '/auth/consent',
  '/oauth/end-session',
  '/account/verify-email',
  '/account/report-email-change',
  '/account/forgot-password',
  '/account/reset-password',
];

/** Members an OAuth 2.0 endpoint adds to the problem (RFC 6749 §5.2). */
const OAUTH_MEMBERS = ['error', 'error_description'];
const DEEP = 10_000;

const json = (value: unknown) => JSON.stringify(value);
/** `{...base, [field]: <raw JSON text>}`, for values JSON.stringify cannot write. */
const withRaw = (base: object, field: string, raw: string) =>
  json({ ...base, [field]: '\u0000raw' }).replace('"\\u0000raw"', raw);

/** Values of every type and shape, for each field in turn. */
const WRONG_VALUES: [string, unknown][] = [
  ['a number', 12345],
  ['a negative number', -1],
  ['a fraction', 1.5],
  ['a huge number', 1e308],
  ['true', true],
  ['false', false],
  ['null', null],
  ['an empty string', ''],
  ['a string', 'fuzz'],
  ['an array of strings', ['fuzz', 'fuzz']],
  ['an empty array', []],
  ['an object', { fuzz: 'value' }],
  ['an empty object', {}],
  ['NUL characters', 'nul\u0000value\u0000'],
  ['control and bidi characters', '\u0001\u001b[31m\u202e\uffff'],
  ['astral characters', '𝓾𝓷𝓲𝓬𝓸𝓭𝓮 🙂'],
  ['a huge string', 'x'.repeat(60_000)],
  ['a huge array', Array.from({ length: 5_000 }, () => 'x')],
  ['a huge object', Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, i]))],
  ['an array nested to the depth limit', JSON.parse('['.repeat(31) + ']'.repeat(31))],
];

/** Raw JSON for a field: what a parser sees, not what JSON.stringify could write. */
const RAW_VALUES: [string, string][] = [
  ['a number beyond double range', '1e999'],
  ['a nested __proto__', '{"__proto__":{"roles":["admin"]}}'],
  ['a nested constructor.prototype', '{"constructor":{"prototype":{"roles":["admin"]}}}'],
  ['a nested prototype key', '{"prototype":{"x":1}}'],
  ['arrays nested beyond the depth limit', '['.repeat(DEEP) + ']'.repeat(DEEP)],
];

/** Bodies that are not what any endpoint takes, each with the content type it claims. */
function bodyProbes(base: Record<string, unknown>): Probe[] {
  const JSON_TYPE = 'application/json';
  const FORM_TYPE = 'application/x-www-form-urlencoded';
  const encoded = json(base);
  const form = new URLSearchParams(
    Object.entries(base).map(([key, value]): [string, string] => [key, String(value)]),
  ).toString();
  return [
    { label: `${DEEP} nested arrays`, body: '['.repeat(DEEP) + ']'.repeat(DEEP) },
    { label: `${DEEP} nested objects`, body: '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP) },
    {
      label: 'objects nested just past the limit',
      body: '{"a":'.repeat(33) + '1' + '}'.repeat(33),
    },
    { label: 'a huge array', body: json(Array.from({ length: 15_000 }, () => 1)) },
    { label: 'an array of valid bodies', body: json(Array.from({ length: 500 }, () => base)) },
    { label: 'a body over the size limit', body: json({ ...base, pad: 'x'.repeat(70_000) }) },
    { label: 'a string', body: '"fuzz"' },
    { label: 'a number', body: '12345' },
    { label: 'null', body: 'null' },
    { label: 'true', body: 'true' },
    { label: 'an empty object', body: '{}' },
    { label: 'an empty body', body: '' },
    { label: 'whitespace', body: '   \n ' },
    { label: 'truncated JSON', body: encoded.slice(0, -1) },
    { label: 'a byte-order mark', body: `\ufeff${encoded}` },
    { label: 'top-level __proto__', body: `{"__proto__":{"roles":["admin"]},${encoded.slice(1)}` },
    { label: 'an escaped __proto__', body: `{"\\u005f_proto__":{"x":1},${encoded.slice(1)}` },
    { label: 'top-level constructor.prototype', body: `{"constructor":{"prototype":{"x":1}}}` },
    { label: 'a top-level constructor key', body: json({ ...base, constructor: 'fuzz' }) },
    { label: 'a top-level prototype key', body: json({ ...base, prototype: { x: 1 } }) },
    { label: 'invalid UTF-8', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
    {
      label: 'an overlong UTF-8 NUL',
      body: Buffer.from([0x7b, 0x22, 0xc0, 0x80, 0x22, 0x3a, 0x31, 0x7d]),
    },
    { label: 'a lone surrogate escape', body: '{"a":"\\ud800"}' },
    { label: 'JSON labelled as a form', contentType: FORM_TYPE, body: encoded },
    { label: 'a form labelled as JSON', contentType: JSON_TYPE, body: form || 'a=1' },
    { label: 'JSON labelled text/plain', contentType: 'text/plain', body: encoded },
    { label: 'JSON without a content type', contentType: '', body: encoded },
    { label: 'JSON labelled UTF-16', contentType: `${JSON_TYPE}; charset=utf-16le`, body: encoded },
    {
      label: 'JSON labelled multipart',
      contentType: 'multipart/form-data; boundary=x',
      body: encoded,
    },
    { label: 'JSON labelled XML', contentType: 'application/xml', body: encoded },
    { label: 'a malformed content type', contentType: 'application/json;;;=', body: encoded },
    { label: 'an empty form', contentType: FORM_TYPE, body: '' },
    { label: 'form bracket nesting', contentType: FORM_TYPE, body: `${'a[b]'.repeat(500)}=1` },
    { label: 'form __proto__', contentType: FORM_TYPE, body: `__proto__=x&${form}` },
    {
      label: 'form constructor.prototype',
      contentType: FORM_TYPE,
      body: `constructor[prototype][x]=1&${form}`,
    },
    { label: 'form duplicate keys', contentType: FORM_TYPE, body: `${form}&${form}` },
    {
      label: 'form bad percent-encoding',
      contentType: FORM_TYPE,
      body: `a=%zz&b=%FF%FE&c=%00&${form}`,
    },
    {
      label: 'a huge form',
      contentType: FORM_TYPE,
      body: Array.from({ length: 5_000 }, (_, i) => `k${i}=v`).join('&'),
    },
  ];
}

/** Bytes that are not UTF-8: a truncated sequence, stray continuation bytes, a surrogate. */
const INVALID_UTF8 = Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xed, 0xa0, 0x80]);

/** Every field of the body, in turn, with every wrong value, raw value, duplicate and bad byte. */
function fieldProbes(base: Record<string, unknown>, fields: string[]): Probe[] {
  return fields.flatMap((field): Probe[] => {
    const [before, after] = withRaw(base, field, '"\u0000"').split('\u0000');
    return [
      ...WRONG_VALUES.map(([label, value]) => ({
        label: `${field} as ${label}`,
        body: json({ ...base, [field]: value }),
      })),
      ...RAW_VALUES.map(([label, raw]) => ({
        label: `${field} as ${label}`,
        body: withRaw(base, field, raw),
      })),
      { label: `${field} twice, valid last`, body: `{"${field}":{"x":1},${json(base).slice(1)}` },
      {
        label: `${field} twice, valid first`,
        body: `${json(base).slice(0, -1)},"${field}":{"x":1}}`,
      },
      {
        label: `${field} with invalid UTF-8`,
        body: Buffer.concat([Buffer.from(before), INVALID_UTF8, Buffer.from(after)]),
      },
    ];
  });
}

/** Query strings for every operation, and wrong values for each declared query parameter. */
function queryProbes(parameters: Parameter[]): Probe[] {
  const odd = [
    'a=1&a=2',
    '__proto__=x',
    '__proto__[roles]=admin',
    'constructor[prototype][x]=1',
    'constructor=1',
    'prototype=1',
    '%zz=1',
    'x=%00',
    'x=%FF%FE',
    'x[]=1&x[]=2',
    `x=${'a'.repeat(8_000)}`,
    '&&&==&',
    ';x=1',
  ];
  const wrong = ['-1', '0', '1.5', '1e309', 'NaN', 'Infinity', 'true', '', '%00', '[]', '{}'];
  return [
    ...odd.map((query) => ({ label: `query ${query.slice(0, 40)}`, query })),
    ...parameters
      .filter((parameter) => parameter.in === 'query')
      .flatMap(({ name }) => [
        ...wrong.map((value) => ({ label: `${name}=${value}`, query: `${name}=${value}` })),
        { label: `${name} twice`, query: `${name}=1&${name}=2` },
        { label: `${name} as an array`, query: `${name}[]=1&${name}[x]=2` },
        { label: `${name} huge`, query: `${name}=${'9'.repeat(2_000)}` },
        { label: `${name}=__proto__`, query: `${name}=__proto__` },
      ]),
  ].map(({ label, query }) => ({ label, path: `?${query}` }));
}

const b64url = (text: string) => Buffer.from(text).toString('base64url');

/** Credentials no client should send. */
const ODD_CREDENTIALS: [string, string][] = [
  ['a bearer token of three garbage parts', 'Bearer a.b.c'],
  [
    'a bearer token with deeply nested header and claims',
    `Bearer ${b64url('['.repeat(2_000) + ']'.repeat(2_000))}.${b64url('{"a":'.repeat(1_000) + '1' + '}'.repeat(1_000))}.c2ln`,
  ],
  [
    'a bearer token whose claims have the wrong types',
    `Bearer ${b64url('{"alg":"RS256","typ":"at+jwt","kid":{"x":1}}')}.${b64url('{"sub":[],"exp":"soon","roles":{"__proto__":1}}')}.c2ln`,
  ],
  ['a huge bearer token', `Bearer ${'a'.repeat(12_000)}`],
  ['an empty bearer token', 'Bearer '],
  ['Basic with an empty id and secret', `Basic ${Buffer.from(':').toString('base64')}`],
  ['Basic that is not base64', 'Basic !!!%%%'],
  ['Basic with bad percent-encoding', `Basic ${Buffer.from('%zz:%E0%A4%A').toString('base64')}`],
  ['an unknown scheme', 'Digest username="x"'],
];

/** Values for a path parameter: a real or well-formed one, and the malformed. */
const PATH_VALUES = [
  randomUUID(),
  '00000000-0000-0000-0000-000000000000',
  randomUUID().toUpperCase(),
  'not-a-uuid',
  '%00',
  '..%2F..%2Fadmin',
  '%2e%2e',
  `${randomUUID()}%00`,
  'a'.repeat(101),
  '%E0%A4%A',
  '%F0%9F%99%82',
  '1%20OR%201%3D1',
  "'%3B--",
];

/** Content type (JSON unless the probe names one, or none) and length of a probe's body. */
function bodyHeaders(probe: Probe): Record<string, string> {
  if (probe.body === undefined) return {};
  const type = probe.contentType ?? 'application/json';
  return {
    'content-length': String(Buffer.byteLength(probe.body)),
    ...(type ? { 'content-type': type } : {}),
  };
}

/** The documented operations, each with what it needs. */
function operationsOf(doc: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Schema> };
}): Operation[] {
  const resolve = (schema: (Schema & { $ref?: string }) | undefined): Schema | undefined =>
    schema?.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema;
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const content = (operation.requestBody as { content?: Record<string, { schema: object }> })
        ?.content;
      return {
        method: method.toUpperCase(),
        path,
        secured: ((operation.security as unknown[]) ?? []).length > 0,
        parameters: (operation.parameters as Parameter[]) ?? [],
        body: content ? resolve(Object.values(content)[0].schema) : undefined,
      };
    }),
  );
}

/** A plausible value for each documented field: its example, enum value or type. */
function sampleBody(schema: Schema | undefined): Record<string, unknown> {
  const sample = ({ example, enum: values, type }: Schema): unknown =>
    example ??
    values?.[0] ??
    { boolean: true, number: 1, integer: 1, array: [] }[type ?? ''] ??
    'fuzz';
  return Object.fromEntries(
    Object.entries(schema?.properties ?? {}).map(([name, property]) => [name, sample(property)]),
  );
}

describe('fuzzing every documented endpoint', () => {
  // ES256 keys are made in a millisecond; RSA ones take so long that the
  // probes of POST /admin/keys/rotate alone would double the run.
  const t = useTestApp({ compiled: true, env: { JWT_ALGORITHM: 'ES256' } });
  let port: number;
  let operations: Operation[];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  /** A user and a client that exist, for path parameters that name one. */
  let targets: { userId: string; clientId: string };
  const existingId = (path: string, name: string) =>
    name === 'clientId'
      ? targets.clientId
      : path.startsWith('/admin/users/')
        ? targets.userId
        : randomUUID();

  /** A signed-in caller; `forget()` after a 401 (a probe ended its session) signs in afresh. */
  function caller(role: 'user' | 'admin') {
    let token: string | undefined;
    return {
      async headers(): Promise<Record<string, string>> {
        token ??=
          role === 'admin'
            ? (await adminTokens(t.http)).access_token
            : (await signUp(t.http)).tokens.access_token;
        return bearer(token);
      },
      forget(): void {
        token = undefined;
      },
    };
  }
  const callers = { user: caller('user'), admin: caller('admin') };

  function send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer | string,
  ) {
    return new Promise<Answer>((resolve, reject) => {
      const request = http.request(
        { host: '127.0.0.1', port, method, path, headers, agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode!,
              headers: response.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  /** What is wrong with an answer: a 5xx, or an error that is not the problem shape. */
  function fault(answer: Answer, oauth: boolean, page = false): string | null {
    if (answer.status >= 500) return `status ${answer.status}`;
    if (answer.status < 400) return null;
    if (page && /^text\/html/.test(String(answer.headers['content-type']))) {
      return answer.headers.location ? 'an error page that redirects' : null;
    }
    if (!/^application\/(problem\+)?json/.test(String(answer.headers['content-type']))) {
      return `content type ${answer.headers['content-type']}`;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(answer.text) as Record<string, unknown>;
    } catch {
      return 'a body that is not JSON';
    }
    const allowed = oauth ? [...PROBLEM_MEMBERS, ...OAUTH_MEMBERS] : PROBLEM_MEMBERS;
    const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
    if (unknown.length > 0) return `unknown members ${unknown.join(', ')}`;
    if (
      body.status !== answer.status ||
      typeof body.title !== 'string' ||
      body.type !== 'about:blank'
    )
      return 'not a problem body';
    if (body.requestId !== answer.headers['x-request-id']) return 'a requestId unlike x-request-id';
    return null;
  }

  /** Sends each probe to the operation; returns a line for each faulty answer. */
  async function run(operation: Operation, probes: Probe[]): Promise<string[]> {
    const role = operation.path.startsWith('/admin') ? 'admin' : 'user';
    const validPath = operation.path.replace(/\{(\w+)\}/g, (_, name: string) =>
      existingId(operation.path, name),
    );
    const faults: string[] = [];
    for (const probe of probes) {
      const path = probe.path?.startsWith('?') ? validPath + probe.path : (probe.path ?? validPath);
      const attempt = async () => {
        const headers = operation.secured ? await callers[role].headers() : {};
        if (probe.authorization) headers.authorization = probe.authorization;
        return send(operation.method, path, { ...headers, ...bodyHeaders(probe) }, probe.body);
      };
      let answer = await attempt();
      if (operation.secured && answer.status === 401 && !probe.authorization) {
        // An earlier probe ended the session (logout, password change): once more, signed in.
        callers[role].forget();
        answer = await attempt();
      }
      const problem = fault(
        answer,
        /^\/(oauth|auth\/token)/.test(operation.path),
        HTML_PAGES.includes(operation.path),
      );
      if (problem) {
        faults.push(
          `${operation.method} ${path.slice(0, 80)} [${probe.label}]: ${problem}: ${answer.text.slice(0, 200)}`,
        );
      }
    }
    return faults;
  }

  /** Runs `probesFor` on every operation it gives probes for; expects no faults. */
  async function fuzz(probesFor: (operation: Operation) => Probe[]): Promise<void> {
    const faults: string[] = [];
    for (const operation of operations)
      faults.push(...(await run(operation, probesFor(operation))));
    expect(faults).toEqual([]);
  }

  beforeAll(async () => {
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    const doc = (await t.http.get('/docs-json').expect(200)).body as Parameters<
      typeof operationsOf
    >[0];
    // Deleting comes last, so that what it deletes is there for everything else.
    operations = operationsOf(doc).sort(
      (a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'),
    );
    const user = await signUp(t.http);
    const admin = await adminTokens(t.http);
    const client = await t.http
      .post('/admin/clients')
      .set(bearer(admin.access_token))
      .send({ name: 'fuzz-target' })
      .expect(201);
    targets = { userId: user.id, clientId: client.body.client_id as string };
  }, 120_000);
  afterAll(() => {
    agent.destroy();
  });

  it('reads every operation from the OpenAPI document', () => {
    const names = operations.map((operation) => `${operation.method} ${operation.path}`);
    expect(names.length).toBeGreaterThanOrEqual(25);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /auth/login',
        'POST /auth/token',
        'PATCH /admin/users/{id}',
        'GET /users/me',
      ]),
    );
    // The build documents body fields, which the field probes need.
    const login = operations.find((operation) => operation.path === '/auth/login')!;
    expect(Object.keys(login.body?.properties ?? {})).toEqual(['username', 'password']);
  });

  it('no hostile body or content type reaches a 500, and every error is a problem', async () => {
    await fuzz((operation) => (operation.body ? bodyProbes(sampleBody(operation.body)) : []));
  }, 120_000);

  it('no field of any body, whatever its type, bytes or duplicates, reaches a 500', async () => {
    await fuzz((operation) =>
      operation.body
        ? fieldProbes(sampleBody(operation.body), Object.keys(operation.body.properties ?? {}))
        : [],
    );
  }, 120_000);

  it('no query string reaches a 500, with or without a body', async () => {
    await fuzz((operation) =>
      queryProbes(operation.parameters).map((probe) => ({
        ...probe,
        ...(operation.body ? { body: json(sampleBody(operation.body)) } : {}),
      })),
    );
  }, 120_000);

  it('no path parameter reaches a 500', async () => {
    await fuzz((operation) =>
      operation.path.includes('{')
        ? PATH_VALUES.map((value) => ({
            label: `path ${value.slice(0, 40)}`,
            path: operation.path.replace(/\{\w+\}/g, value),
            ...(operation.body ? { body: json(sampleBody(operation.body)) } : {}),
          }))
        : [],
    );
  }, 120_000);

  it('no credential, however malformed, reaches a 500', async () => {
    await fuzz((operation) =>
      ODD_CREDENTIALS.map(([label, authorization]) => ({
        label,
        authorization,
        ...(operation.body ? { body: json(sampleBody(operation.body)) } : {}),
      })),
    );
  }, 120_000);

  it('a body sent where none is taken reaches no 500', async () => {
    await fuzz((operation) =>
      operation.body
        ? []
        : [
            { label: 'a JSON body', body: '{"a":1}' },
            { label: 'deep JSON', body: '['.repeat(DEEP) + ']'.repeat(DEEP) },
            { label: 'a form body', contentType: 'application/x-www-form-urlencoded', body: 'a=1' },
          ],
    );
  }, 120_000);

  describe('framework-level refusals get the problem shape', () => {
    /** Writes raw bytes to the server and reads the answer until the server closes. */
    function raw(request: string): Promise<Answer> {
      return new Promise((resolve, reject) => {
        const socket = new Socket();
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('error', reject);
        socket.on('close', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const [head, ...rest] = text.split('\r\n\r\n');
          const [statusLine, ...lines] = head.split('\r\n');
          const headers = Object.fromEntries(
            lines.map((line) => [
              line.slice(0, line.indexOf(':')).toLowerCase(),
              line.slice(line.indexOf(':') + 1).trim(),
            ]),
          );
          resolve({
            status: Number(statusLine.split(' ')[1]),
            headers,
            text: rest.join('\r\n\r\n'),
          });
        });
        socket.connect(port, '127.0.0.1', () => socket.end(request));
      });
    }

    it.each<[string, string, number, RegExp]>([
      [
        'an unknown method',
        'ABC /auth/login HTTP/1.1\r\nHost: x\r\n\r\n',
        400,
        /unknown HTTP method/i,
      ],
      [
        'a Content-Length that is not a number',
        'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}',
        400,
        /Content-Length/,
      ],
      [
        'Content-Length with chunked Transfer-Encoding',
        'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        400,
        /./,
      ],
      [
        'a Content-Length longer than the body',
        'POST /auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 1\r\n\r\n{}',
        400,
        /./,
      ],
      [
        'headers over the size limit',
        `GET /auth/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
        /too large/,
      ],
    ])('%s', async (_, request, status, detail) => {
      const answer = await raw(request);
      expect(answer.status, answer.text).toBe(status);
      expect(fault(answer, false)).toBeNull();
      expect(JSON.parse(answer.text).detail).toMatch(detail);
    });

    it.each<[string, () => Promise<Answer>, number]>([
      ['an unknown route', () => send('GET', '/no/such/route', {}), 404],
      ['OPTIONS without CORS', () => send('OPTIONS', '/auth/login', {}), 404],
      ['an unsupported method on a route', () => send('PUT', '/auth/login', {}), 404],
      ['TRACE', () => send('TRACE', '/auth/login', {}), 404],
      ['bad percent-encoding in the path', () => send('GET', '/users/%E0%A4%A', {}), 400],
      [
        'an unsupported media type',
        () =>
          send('POST', '/auth/login', { 'content-type': 'text/plain', 'content-length': '1' }, 'x'),
        415,
      ],
      [
        'malformed JSON',
        () =>
          send(
            'POST',
            '/auth/login',
            { 'content-type': 'application/json', 'content-length': '2' },
            '{"',
          ),
        400,
      ],
      [
        `${DEEP} nested arrays to /auth/login`,
        () =>
          send(
            'POST',
            '/auth/login',
            { 'content-type': 'application/json', 'content-length': String(2 * DEEP) },
            '['.repeat(DEEP) + ']'.repeat(DEEP),
          ),
        400,
      ],
    ])('%s', async (_, request, status) => {
      const answer = await request();
      expect(answer.status, answer.text).toBe(status);
      expect(fault(answer, false)).toBeNull();
    });
  });
});
