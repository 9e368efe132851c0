import { Controller, Delete, Get, HttpCode } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators/roles.decorator.js';
import { UuidParam } from '../common/decorators/uuid-param.decorator.js';
import { Role } from '../common/role.enum.js';
import { AdminUsersService } from './admin-users.service.js';
import { SessionResponseDto, toSessionResponse } from './dto/session-response.dto.js';

@ApiTags('admin')
@Roles(Role.Admin)
@Controller('admin/users/:id/sessions')
export class AdminSessionsController {
  constructor(private readonly admin: AdminUsersService) {}

  @Get()
  @ApiOperation({ summary: "A user's live sessions" })
  @ApiNotFoundResponse({ description: 'No such user' })
  async list(@UuidParam('id') id: string): Promise<SessionResponseDto[]> {
    const sessions = await this.admin.listSessions(id);
    return sessions.map((session) => toSessionResponse(session));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary: 'End every session of a user; their access tokens stop working at once',
  })
  @ApiNoContentResponse({ description: 'Signed out everywhere' })
  @ApiNotFoundResponse({ description: 'No such user' })
  async revokeAll(@UuidParam('id') id: string): Promise<void> {
    await this.admin.revokeSessions(id);
  }
}
