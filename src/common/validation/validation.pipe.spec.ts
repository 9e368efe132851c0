import { BadRequestException } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsOptional, IsString, ValidateNested } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AdminUpdateUserDto } from '../../users/dto/admin-update-user.dto.js';
import { RegisterUserDto } from '../../users/dto/register-user.dto.js';
import { caught } from '../../../test/support/unit.js';
import { ValidationFailedException } from '../errors.js';
import { createValidationPipe } from './validation.pipe.js';

/** A body with a nested DTO, to see how errors inside it are named. */
class InviteDto {
  @ValidateNested()
  @Type(() => RegisterUserDto)
  invitee: RegisterUserDto;

  @IsOptional()
  @IsString()
  note?: string;
}

function registration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const tag = randomBytes(4).toString('hex');
  return {
    email: `ada-${tag}@example.com`,
    username: `ada-${tag}`,
    password: `Pass-${tag}-phrase`,
    ...overrides,
  };
}

describe(createValidationPipe.name, () => {
  const sut = createValidationPipe();
  const asBody = (value: unknown, metatype: new () => object = RegisterUserDto) =>
    sut.transform(value, { type: 'body', metatype });

  async function fieldErrors(value: unknown, metatype?: new () => object) {
    const error = await caught(() => asBody(value, metatype));
    expect(error).toBeInstanceOf(ValidationFailedException);
    expect((error as ValidationFailedException).getStatus()).toBe(400);
    return (error as ValidationFailedException).fieldErrors;
  }

  it('turns a valid registration into a RegisterUserDto', async () => {
    const body = registration();

    const dto = await asBody(body);

    expect(dto).toBeInstanceOf(RegisterUserDto);
    expect(dto).toEqual(body);
  });

  it('refuses a client that tries to set its own roles, naming the field', async () => {
    const errors = await fieldErrors(registration({ roles: ['admin'] }));

    expect(errors).toEqual([{ field: 'roles', messages: ['property roles should not exist'] }]);
  });

  it('trims and lower-cases the email', async () => {
    const body = registration({ email: '  Ada.Lovelace@Example.COM ' });

    await expect(asBody(body)).resolves.toMatchObject({ email: 'ada.lovelace@example.com' });
  });

  it.each(['ab', 'ada@home', '-ada', 'ada lovelace', 'a'.repeat(33)])(
    'refuses the username %j',
    async (username) => {
      const errors = await fieldErrors(registration({ username }));

      expect(errors.map((error) => error.field)).toEqual(['username']);
    },
  );

  it('lists every failing field at once', async () => {
    const errors = await fieldErrors({ email: 'not-an-email', username: 'x', password: 'short' });

    expect(errors.map((error) => error.field).sort()).toEqual(['email', 'password', 'username']);
  });

  it('names errors inside a nested object with a dot path', async () => {
    const errors = await fieldErrors(
      { invitee: registration({ email: 'nope', password: 'short' }), note: 'welcome' },
      InviteDto,
    );

    expect(errors.map((error) => error.field).sort()).toEqual([
      'invitee.email',
      'invitee.password',
    ]);
  });

  it('refuses null for a field that may only be left out, and accepts it left out', async () => {
    const errors = await fieldErrors({ disabled: null }, AdminUpdateUserDto);

    expect(errors.map((error) => error.field)).toEqual(['disabled']);
    await expect(asBody({}, AdminUpdateUserDto)).resolves.toEqual({});
  });

  it.each(['just a string', 42, true, null, [registration()]])(
    'refuses a body that is not an object (%j) as a whole',
    async (body) => {
      const error = await caught(() => asBody(body));

      expect(error).toBeInstanceOf(BadRequestException);
      expect((error as BadRequestException).message).toBe('Request body must be a JSON object');
    },
  );
});
