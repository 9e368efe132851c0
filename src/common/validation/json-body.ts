import { BadRequestException } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import { parse as secureJsonParse } from 'secure-json-parse';

/**
 * Deepest nesting of objects and arrays a JSON body may have. Our own bodies
 * are at most two levels deep; 32 leaves room for any honest client, while a
 * body of thousands of levels would exhaust the stack of whatever walks it
 * later (class-transformer, class-validator) and end in a 500.
 */
export const MAX_JSON_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** A request body refused while it is parsed, before any validation: always a 400. */
export class MalformedBodyException extends BadRequestException {}

/**
 * Whether the nesting of `json` goes deeper than `max` levels, counting
 * brackets outside strings in one pass over the bytes, without parsing. Used
 * before parsing, so that a deep body costs one scan and nothing more.
 */
export function nestsDeeperThan(json: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * Parses an `application/json` body, refusing with a 400 what must never
 * reach a handler: an empty body, bytes that are not UTF-8 (RFC 8259 §8.1),
 * nesting deeper than `MAX_JSON_DEPTH`, text that is not JSON, and keys that
 * would rewrite a prototype (`__proto__`, `constructor.prototype`, refused by
 * secure-json-parse as in Fastify's own parser).
 */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) {
    throw new MalformedBodyException(
      'Request body must not be empty for content type application/json',
    );
  }
  if (!isUtf8(body)) throw new MalformedBodyException('Request body is not valid UTF-8');
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw new MalformedBodyException(
      `Request body is nested more than ${MAX_JSON_DEPTH} levels deep`,
    );
  }
  const text = body.toString('utf8');
  try {
    return secureJsonParse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    const forbidden = /forbidden prototype property/.test((error as Error).message);
    throw new MalformedBodyException(
      forbidden
        ? 'Request body contains a forbidden key (__proto__ or constructor.prototype)'
        : 'Request body is not valid JSON',
    );
  }
}
