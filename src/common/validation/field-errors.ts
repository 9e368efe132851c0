import type { ValidationError } from 'class-validator';
import type { FieldError } from '../problem.js';

/**
 * class-validator's error tree as the flat list every 400 carries: one entry
 * per failing field, nested fields named with a dot path (`invitee.email`).
 * The one place this is done (the validation pipe, the login body, the
 * OAuth2 forms).
 */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}
