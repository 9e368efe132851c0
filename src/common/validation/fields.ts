import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsEmail,
  IsEnum,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { Role } from '../role.enum.js';

/**
 * The field may be left out, but not sent as `null`. (`@IsOptional()` lets
 * `null` through every other rule, and a null that reaches a NOT NULL column
 * is a 500.) For fields that are really nullable, use `@IsOptional()`.
 */
export const IsOmittable = () =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);

const trimmedLower = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().normalize('NFKC').toLowerCase() : value,
);

/** An email address, trimmed and lower-cased so that lookups are case-insensitive. */
export const IsNormalizedEmail = () =>
  applyDecorators(
    trimmedLower,
    IsString(),
    MaxLength(254),
    IsEmail(
      { allow_display_name: false, allow_ip_domain: false },
      { message: 'email must be a valid email address' },
    ),
  );

export const USERNAME_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{1,30}[a-z0-9])$/;

/**
 * 3 to 32 of a–z, 0–9, `.`, `_`, `-`, starting and ending with a letter or
 * digit; never contains `@`, so a login name is unambiguously a username or an email.
 */
export const IsUsername = () =>
  applyDecorators(
    trimmedLower,
    IsString(),
    Length(3, 32),
    Matches(USERNAME_PATTERN, {
      message:
        'username must be 3 to 32 characters of a-z, 0-9, ".", "_" or "-", starting and ending with a letter or digit',
    }),
  );

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

/** Length only; the rules that need context (common passwords, equal to the username) live in PasswordPolicy. */
export const IsPassword = () =>
  applyDecorators(
    IsString(),
    Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, {
      message: `password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
    }),
  );

/** A list of known roles, each at most once. */
export const IsRoleList = () =>
  applyDecorators(IsArray(), ArrayUnique(), ArrayMaxSize(10), IsEnum(Role, { each: true }));
