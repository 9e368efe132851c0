import { Body, Controller, Delete, Get, HttpCode, Patch, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../common/decorators/roles.decorator.js';
import { UuidParam } from '../common/decorators/uuid-param.decorator.js';
import { Role } from '../common/role.enum.js';
import { AdminUsersService } from './admin-users.service.js';
import { AdminUpdateUserDto } from './dto/admin-update-user.dto.js';
import { ListUsersQueryDto } from './dto/list-users-query.dto.js';
import { toUserResponse, UserPageDto, UserResponseDto } from './dto/user-response.dto.js';

@ApiTags('admin')
@Roles(Role.Admin)
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly admin: AdminUsersService) {}

  @Get()
  @ApiOperation({
    summary: 'List users: paged, searchable by email or username, filterable by role',
  })
  async list(@Query() query: ListUsersQueryDto): Promise<UserPageDto> {
    const [users, total] = await this.admin.list(query);
    return { items: users.map(toUserResponse), total, page: query.page, limit: query.limit };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one user' })
  @ApiNotFoundResponse({ description: 'No such user' })
  async get(@UuidParam('id') id: string): Promise<UserResponseDto> {
    return toUserResponse(await this.admin.get(id));
  }

  @Patch(':id')
  @ApiOperation({
    summary: "Change a user's roles or disable/enable them; their current tokens stop working",
  })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiConflictResponse({ description: 'Would leave no active admin' })
  async update(
    @UuidParam('id') id: string,
    @Body() dto: AdminUpdateUserDto,
  ): Promise<UserResponseDto> {
    return toUserResponse(await this.admin.update(id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user, their sessions and tokens' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiConflictResponse({ description: 'Would leave no active admin' })
  async delete(@UuidParam('id') id: string): Promise<void> {
    await this.admin.delete(id);
  }
}
