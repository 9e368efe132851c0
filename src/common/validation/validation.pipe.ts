import { ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import { ValidationFailedException } from '../errors.js';
import { fieldErrors } from './field-errors.js';

/** Paths of the strings in `value` that hold U+0000, which PostgreSQL text cannot store. */
function nulFields(value: unknown, path: string): string[] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path] : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    nulFields(child, path ? `${path}.${key}` : key),
  );
}

/**
 * Our bodies are JSON objects. A string, number, array or `null` names no
 * field, so it is refused as a whole rather than as a list of field errors.
 */
export function assertObjectBody(value: unknown): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BadRequestException('Request body must be a JSON object');
  }
}

/**
 * Unknown fields are refused, not silently dropped: a client can never set a server field.
 * A NUL character anywhere in the input is a 400 here rather than a driver error (500) later.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && this.toValidate(metadata)) {
      assertObjectBody(value);
    }
    if (metadata.type !== 'custom') {
      const fields = nulFields(value, metadata.data ?? '');
      if (fields.length > 0) {
        const errors = fields.map((field) => ({
          field,
          messages: [`${field || 'value'} must not contain NUL characters`],
        }));
        throw new ValidationFailedException(errors);
      }
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedException(fieldErrors(errors)),
  });
}
