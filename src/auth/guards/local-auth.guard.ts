import { ExecutionContext, HttpException, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { ValidationFailedException } from '../../common/errors.js';
import { fieldErrors } from '../../common/validation/field-errors.js';
import { assertObjectBody } from '../../common/validation/validation.pipe.js';
import { LoginDto } from '../dto/login.dto.js';

/**
 * Guards run before pipes, so the body is validated here first: a malformed
 * login is a 400 listing the fields, not an authentication failure.
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    assertObjectBody(request.body);
    const dto = plainToInstance(LoginDto, request.body ?? {});
    const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) throw new ValidationFailedException(fieldErrors(errors));
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<T>(error: unknown, user: T | false): T {
    if (error instanceof HttpException) throw error;
    if (error instanceof Error) throw error;
    if (!user) throw new Error('authentication failed');
    return user;
  }
}
