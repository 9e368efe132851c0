import { ValidateBy, ValidationArguments, validateSync } from 'class-validator';
import { parseDurationSeconds } from './duration.js';

/** The variables the server reads: `process.env`, or any object of the same shape (tests). */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads one section of the configuration: the environment as an instance of
 * `type`, checked against the rules declared on its properties (one problem
 * per variable, naming it). A variable that breaks its rule is left out, so
 * the section's default applies and a rule that requires it sees it missing.
 */
export function readSection<T extends object>(
  type: new () => T,
  env: Environment,
  problems: string[],
): T {
  const section: Record<string, unknown> = Object.assign(new type(), env);
  const errors = validateSync(section, { skipUndefinedProperties: true, stopAtFirstError: true });
  for (const error of errors) {
    problems.push(...Object.values(error.constraints ?? {}));
    delete section[error.property];
  }
  return section as T;
}

/** Every value trimmed; an empty one is no value. */
export function cleaned(env: Environment): Environment {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, value?.trim() || undefined]),
  );
}

/** A checked whole number, or `fallback` when unset. */
export const wholeNumber = (raw: string | undefined, fallback: number): number =>
  raw === undefined ? fallback : Number(raw);

/** A checked duration in seconds, or `fallback` when unset. */
export const durationSeconds = (raw: string | undefined, fallback: number): number =>
  raw === undefined ? fallback : parseDurationSeconds(raw)!;

/**
 * A rule on one variable: `valid` decides, `problem` says what is wrong,
 * naming the variable (`args.property`) and, where it is no secret, the value.
 */
export function envRule(
  name: string,
  valid: (raw: string, args: ValidationArguments) => boolean,
  problem: (variable: string, raw: string, args: ValidationArguments) => string,
): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown, args) => typeof value === 'string' && valid(value, args!),
      defaultMessage: (args) => problem(args!.property, String(args!.value), args!),
    },
  });
}

/** "a, b or c" */
const oneOf = (values: readonly string[]) =>
  values.length === 1 ? values[0] : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;

export const IsOneOf = (values: readonly string[]) =>
  envRule(
    'oneOf',
    (raw) => values.includes(raw),
    (variable, raw) => `${variable} must be ${oneOf(values)} (got "${raw}")`,
  );

export const IsWholeNumber = (min: number, max: number) =>
  envRule(
    'wholeNumber',
    (raw) => /^\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max,
    (variable, raw) => `${variable} must be a whole number from ${min} to ${max} (got "${raw}")`,
  );

/** Seconds (`900`) or a number with one unit (`15m`), at most `maxSeconds`. */
export const IsDuration = (maxSeconds: number) =>
  envRule(
    'duration',
    (raw) => (parseDurationSeconds(raw) ?? Infinity) <= maxSeconds,
    (variable, raw) => `${variable} must be a duration such as 900, 15m, 12h or 30d (got "${raw}")`,
  );

export const IsUrlWith = (...protocols: string[]) =>
  envRule(
    'url',
    (raw) => URL.canParse(raw) && protocols.includes(new URL(raw).protocol),
    (variable) => `${variable} must be a ${protocols.join(' or ')}// URL`,
  );

const PLACEHOLDER = /^(change[-_ ]?me|changeme|secret|password|example|your[-_ ].*|x+)$/i;
export const MIN_SECRET_BYTES = 32;

export const isStrongSecret = (raw: string) =>
  Buffer.byteLength(raw) >= MIN_SECRET_BYTES && !PLACEHOLDER.test(raw);

/** At least 32 bytes and no placeholder. The problem never repeats the value. */
export const IsSecret = () =>
  envRule(
    'secret',
    isStrongSecret,
    (variable) => `${variable} must be at least ${MIN_SECRET_BYTES} bytes of random data`,
  );
