import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../common/decorators/roles.decorator.js';
import { Role } from '../common/role.enum.js';
import {
  ClientResponseDto,
  CreatedClientResponseDto,
  toClientResponse,
  toCreatedClientResponse,
} from './dto/client-response.dto.js';
import { CreateClientDto } from './dto/create-client.dto.js';
import { OAuthClientsService } from './oauth-clients.service.js';

@ApiTags('admin')
@Roles(Role.Admin)
@Controller('admin/clients')
export class AdminClientsController {
  constructor(private readonly clients: OAuthClientsService) {}

  @Post()
  @ApiOperation({
    summary:
      'Register a client (RFC 7591 metadata): an app users sign in to, or a service; a confidential client’s secret is shown once',
  })
  @ApiCreatedResponse({ type: CreatedClientResponseDto })
  async create(@Body() dto: CreateClientDto): Promise<CreatedClientResponseDto> {
    const { client, secret } = await this.clients.create(dto);
    return toCreatedClientResponse(client, secret);
  }

  @Get()
  @ApiOperation({ summary: 'List registered clients (never their secrets)' })
  async list(): Promise<ClientResponseDto[]> {
    return (await this.clients.list()).map(toClientResponse);
  }

  @Delete(':clientId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a client; it can no longer obtain tokens' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No such client' })
  async delete(@Param('clientId') clientId: string): Promise<void> {
    await this.clients.delete(clientId);
  }
}
