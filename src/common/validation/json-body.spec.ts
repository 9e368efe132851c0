import { describe, expect, it } from 'vitest';
import { caught } from '../../../test/support/unit.js';
import { MalformedBodyException, MAX_JSON_DEPTH, parseJsonBody } from './json-body.js';

const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const nestedObjects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

async function refusal(body: string | Buffer): Promise<string> {
  const error = await caught(() => parseJsonBody(Buffer.from(body)));
  expect(error).toBeInstanceOf(MalformedBodyException);
  expect((error as MalformedBodyException).getStatus()).toBe(400);
  return (error as MalformedBodyException).message;
}

describe(parseJsonBody.name, () => {
  it('parses a JSON object', () => {
    expect(parseJsonBody(Buffer.from('{"username":"ada","n":[1,{"x":null}]}'))).toEqual({
      username: 'ada',
      n: [1, { x: null }],
    });
  });

  it.each([
    ['arrays', nestedArrays],
    ['objects', nestedObjects],
  ])('accepts %s nested exactly to the limit', (_, nested) => {
    expect(() => parseJsonBody(Buffer.from(nested(MAX_JSON_DEPTH)))).not.toThrow();
  });

  it.each([
    ['arrays', nestedArrays(MAX_JSON_DEPTH + 1)],
    ['objects', nestedObjects(MAX_JSON_DEPTH + 1)],
    ['10 000 arrays', nestedArrays(10_000)],
    ['unclosed arrays', '['.repeat(10_000)],
  ])('refuses %s nested beyond the limit', async (_, body) => {
    expect(await refusal(body)).toBe(
      `Request body is nested more than ${MAX_JSON_DEPTH} levels deep`,
    );
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const body = JSON.stringify({ text: `\\"${'['.repeat(100)}` });

    expect(parseJsonBody(Buffer.from(body))).toEqual(JSON.parse(body));
  });

  it.each([
    ['__proto__', '{"__proto__":{"roles":["admin"]}}'],
    ['nested __proto__', '{"a":{"b":{"__proto__":{"x":1}}}}'],
    ['escaped __proto__', '{"\\u005f_proto__":{"x":1}}'],
    ['constructor.prototype', '{"constructor":{"prototype":{"x":1}}}'],
  ])('refuses a %s key', async (_, body) => {
    expect(await refusal(body)).toMatch(/forbidden key/);
  });

  it('refuses bytes that are not UTF-8', async () => {
    const body = Buffer.concat([
      Buffer.from('{"a":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);

    expect(await refusal(body)).toBe('Request body is not valid UTF-8');
  });

  it.each([
    ['empty', '', /must not be empty/],
    ['not JSON', '{"a":', /not valid JSON/],
    ['form-encoded', 'a=1&b=2', /not valid JSON/],
  ])('refuses a body that is %s', async (_, body, message) => {
    expect(await refusal(body)).toMatch(message);
  });
});
