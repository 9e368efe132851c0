import { AsyncLocalStorage } from 'node:async_hooks';

/** Who did something, as the logs and the audit trail name them. */
export interface Actor {
  type: 'user' | 'client' | 'system' | 'cli' | 'anonymous';
  /** A user id or a client id; absent for `system`, `cli` and `anonymous`. */
  id?: string;
}

export const ANONYMOUS: Actor = Object.freeze({ type: 'anonymous' });

/**
 * What every log line and audit row of one request shares: its id, where it
 * came from, and (once the guard has verified a token) who made it. The CLI
 * runs its commands in a context whose actor is `cli`.
 */
export interface RequestContext {
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  actor: Actor;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `work` with `context` as the current request context. */
export function runInRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** The current request's context, or `undefined` outside any request (timers, start-up). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Names who makes the current request, once their token is verified (the JWT
 * guard); the request's later events and log lines carry it. Outside a
 * request it does nothing.
 */
export function setRequestActor(actor: Actor): void {
  const context = storage.getStore();
  if (context) context.actor = actor;
}
