import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance } from 'fastify';
import { ASSETS_DIR, ASSETS_PREFIX, VIEWS_DIR } from './page-files.js';

/** A year: the stylesheet's address changes with its content (see stylesheetHref). */
const ASSET_MAX_AGE_MS = 365 * 86400 * 1000;

/**
 * The Fastify plugins the hosted pages need: the template engine (Eta, with
 * every `<%= %>` HTML-escaped, the layout around every page) and the static
 * files under `/assets/`. Form bodies need nothing more: the Nest Fastify
 * adapter already parses `application/x-www-form-urlencoded` (and refuses
 * `__proto__` keys as in JSON bodies).
 */
export async function registerHostedPages(fastify: FastifyInstance): Promise<void> {
  await fastify.register(fastifyView, {
    engine: { eta: new Eta({ autoEscape: true, autoTrim: false }) },
    root: VIEWS_DIR,
    layout: 'layout',
    viewExt: 'eta',
    // Templates ship with the build and never change while it runs: compile each once.
    production: true,
  });
  await fastify.register(fastifyStatic, {
    root: ASSETS_DIR,
    prefix: ASSETS_PREFIX,
    // Only files: no directory listing, no index, no dotfiles, no reply.sendFile elsewhere.
    index: false,
    list: false,
    dotfiles: 'deny',
    decorateReply: false,
    cacheControl: true,
    maxAge: ASSET_MAX_AGE_MS,
    immutable: true,
  });
}
