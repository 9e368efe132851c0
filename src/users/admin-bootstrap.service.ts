import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { Role } from '../common/role.enum.js';
import { UsersRepository } from './users.repository.js';
import { PasswordHasher } from './password-hasher.service.js';

const DEV_ADMIN_EMAIL = 'admin@localhost';

/**
 * Makes sure someone can administer a fresh installation: the configured
 * ADMIN_EMAIL account is created when missing. In development with nothing
 * configured and no admin yet, an `admin@localhost` account is created with a
 * random password shown once on the console. Production never invents one.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    @InjectConfig() private readonly config: Config,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The CLI never creates an account it was not asked for (nor shows a password it made).
    if (!this.config.backgroundJobs) return;
    const { email, password, username } = this.config.admin;
    if (email) {
      if (await this.users.findByEmail(email)) return;
      if (!password) {
        this.logger.warn(
          `ADMIN_EMAIL ${email} has no account and no ADMIN_PASSWORD is set: not created`,
        );
        return;
      }
      await this.create(email, username ?? usernameFrom(email), password);
      this.logger.log(`created admin account ${email}`);
      return;
    }
    if (this.config.app.production) return;
    const [, admins] = await this.users.search({ page: 1, limit: 1, role: Role.Admin });
    if (admins > 0 || (await this.users.findByEmail(DEV_ADMIN_EMAIL))) return;
    const generated = randomBytes(18).toString('base64url');
    await this.create(DEV_ADMIN_EMAIL, 'admin', generated);
    // Shown exactly once, in development only, so that a fresh install can be administered.
    this.logger.warn(
      `created development admin: username "admin", password "${generated}" (set ADMIN_EMAIL/ADMIN_PASSWORD to choose your own)`,
    );
  }

  private async create(email: string, username: string, password: string): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    try {
      // The operator named this address in the configuration: it counts as verified, so that
      // REQUIRE_EMAIL_VERIFICATION never locks the first admin out before mail works.
      await this.users.insert({
        email,
        username,
        passwordHash,
        roles: [Role.Admin, Role.User],
        emailVerifiedAt: new Date(),
      });
    } catch (error) {
      // Another instance created it at the same moment.
      if ((error as { code?: string }).code !== '23505') throw error;
    }
  }
}

function usernameFrom(email: string): string {
  const local = email
    .split('@')[0]
    .replace(/[^a-z0-9._-]/g, '')
    .slice(0, 32);
  return local.length >= 3 ? local : `admin-${local}`;
}
