import { INestApplication, RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { createHmac, KeyObject, randomBytes, sign } from 'node:crypto';
import type supertest from 'supertest';
import { expect } from 'vitest';
import { ADMIN } from './app.js';

type Http = ReturnType<typeof supertest>;

export interface NewUser {
  email: string;
  username: string;
  password: string;
}

/** A unique, valid registration. */
export function newUser(overrides: Partial<NewUser> = {}): NewUser {
  const tag = randomBytes(5).toString('hex');
  return {
    email: `user-${tag}@example.com`,
    username: `user-${tag}`,
    password: `Pass-${tag}-phrase`,
    ...overrides,
  };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
}

export interface SignedInUser extends NewUser {
  id: string;
  tokens: Tokens;
}

export async function register(
  http: Http,
  user: NewUser = newUser(),
): Promise<NewUser & { id: string }> {
  const response = await http.post('/auth/register').send(user).expect(201);
  return { ...user, id: response.body.id as string };
}

export async function login(http: Http, username: string, password: string): Promise<Tokens> {
  const response = await http.post('/auth/login').send({ username, password }).expect(200);
  return response.body as Tokens;
}

/** Registers a fresh user and signs them in. */
export async function signUp(http: Http, overrides: Partial<NewUser> = {}): Promise<SignedInUser> {
  const user = await register(http, newUser(overrides));
  return { ...user, tokens: await login(http, user.username, user.password) };
}

export async function adminTokens(http: Http): Promise<Tokens> {
  return login(http, ADMIN.username, ADMIN.password);
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Changes a user's roles or disabled flag through the admin API. */
export async function updateUser(
  http: Http,
  adminToken: string,
  userId: string,
  changes: { roles?: string[]; disabled?: boolean },
): Promise<void> {
  await http.patch(`/admin/users/${userId}`).set(bearer(adminToken)).send(changes).expect(200);
}

/** The status of POST /auth/login with these credentials. */
export async function loginStatus(http: Http, username: string, password: string): Promise<number> {
  return (await http.post('/auth/login').send({ username, password })).status;
}

/** The members every error body has (RFC 9457 plus our request id); `errors` only on a 400 listing fields. */
export const PROBLEM_MEMBERS = [
  'type',
  'title',
  'status',
  'detail',
  'instance',
  'requestId',
  'errors',
];

/**
 * Asserts one error response: status, problem+json content type, the shared
 * body shape, and a request id matching the response header. Returns the body.
 */
export function expectProblem(response: supertest.Response, status: number): Problem {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.body as Problem;
  expect(Object.keys(body).filter((key) => !PROBLEM_MEMBERS.includes(key))).toEqual([]);
  expect(body).toMatchObject({ type: expect.any(String), title: expect.any(String), status });
  expect(body.instance).toEqual(expect.any(String));
  expect(body.requestId).toBe(response.headers['x-request-id']);
  if (body.detail !== undefined) expect(body.detail).toEqual(expect.any(String));
  return body;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance: string;
  requestId: string;
  errors?: { field: string; messages: string[] }[];
}

/**
 * Asserts a 429 that says when to come back: Retry-After in whole seconds,
 * above 0 and at most `windowSeconds` when given. Returns the seconds.
 */
export function expectRetryAfter(response: supertest.Response, windowSeconds?: number): number {
  expect(response.status, response.text).toBe(429);
  expect(response.headers['retry-after'], 'Retry-After').toMatch(/^\d+$/);
  const seconds = Number(response.headers['retry-after']);
  expect(seconds).toBeGreaterThan(0);
  if (windowSeconds !== undefined) expect(seconds).toBeLessThanOrEqual(windowSeconds);
  return seconds;
}

export const DEVICE_COOKIE = '__Secure-device-token';

/** The device-token cookie a sign-in sets: its value and its attributes, lower-cased. */
export function deviceCookieOf(response: supertest.Response): {
  value: string;
  attributes: string[];
} {
  const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  const cookie = cookies.find((line) => line.startsWith(`${DEVICE_COOKIE}=`));
  expect(cookie, 'Set-Cookie for the device token').toBeDefined();
  const [pair, ...attributes] = cookie!.split(';').map((part) => part.trim());
  return {
    value: pair.slice(DEVICE_COOKIE.length + 1),
    attributes: attributes.map((attribute) => attribute.toLowerCase()),
  };
}

/** The fields a 400 names. */
export const invalidFields = (response: supertest.Response): string[] =>
  ((response.body as Problem).errors ?? []).map((error) => error.field);

// --- JWTs, for checking what the server issues and what it refuses -------------------

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export function decodeJwt(token: string): DecodedJwt {
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
  return { header, payload };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Builds a compact JWS by hand (no library that would refuse odd headers),
 * signed as `header.alg` says: RS256 / ES256 with a private KeyObject, HS256
 * with a secret, `none` with nothing.
 */
export function signJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key?: KeyObject | Buffer | string,
): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  let signature: Buffer;
  switch (header.alg) {
    case 'none':
      signature = Buffer.alloc(0);
      break;
    case 'HS256':
      signature = createHmac('sha256', key as Buffer | string)
        .update(input)
        .digest();
      break;
    case 'RS256':
      signature = sign('sha256', Buffer.from(input), key as KeyObject);
      break;
    case 'ES256':
      signature = sign('sha256', Buffer.from(input), {
        key: key as KeyObject,
        dsaEncoding: 'ieee-p1363',
      });
      break;
    default:
      throw new Error(`signJwt: unsupported alg ${String(header.alg)}`);
  }
  return `${input}.${signature.toString('base64url')}`;
}

// --- Routes, read from the booted app's controllers ----------------------------------

export interface AppRoute {
  method: string;
  /** As Nest registers it, e.g. `/admin/users/:id`. */
  path: string;
  isPublic: boolean;
  roles: string[];
  /** Guards of the controller or handler itself (`@UseGuards`), besides the global ones. */
  guards: string[];
  controller: string;
  handler: string;
}

const joinPath = (...parts: string[]) =>
  '/' +
  parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/');

/**
 * Every route handler of every controller in the app, with the auth metadata
 * the global guards read (handler first, then class, like `getAllAndOverride`).
 */
export function appRoutes(app: INestApplication): AppRoute[] {
  const routes: AppRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const prefixes = [Reflect.getMetadata(PATH_METADATA, controller) ?? ''].flat() as string[];
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (paths === undefined) continue;
        const method =
          RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const read = <T>(key: string): T | undefined =>
          Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller);
        const guards = [controller, handler].flatMap(
          (target) => (Reflect.getMetadata(GUARDS_METADATA, target) ?? []) as { name: string }[],
        );
        for (const prefix of prefixes) {
          for (const path of [paths].flat()) {
            routes.push({
              method,
              path: joinPath(prefix, path),
              isPublic: read<boolean>('auth:isPublic') === true,
              roles: read<string[]>('auth:roles') ?? [],
              guards: guards.map((guard) => guard.name),
              controller: controller.name,
              handler: name,
            });
          }
        }
      }
    }
  }
  return routes;
}

/** `/admin/users/:id` → `/admin/users/{id}` (OpenAPI path template). */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
