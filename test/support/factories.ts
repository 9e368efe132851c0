import { randomBytes } from 'node:crypto';
import type supertest from 'supertest';
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

export async function register(http: Http, user: NewUser = newUser()): Promise<NewUser & { id: string }> {
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
