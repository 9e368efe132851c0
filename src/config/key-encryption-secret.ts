import type { FactoryProvider } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config.js';
import { CONFIG } from './config.module.js';

const FILE_NAME = 'key-encryption-secret';

/**
 * The secret that seals signing keys and keys device tokens. Production
 * must configure it; in development one is generated on first start and kept
 * under DATA_DIR (owner read/write only), so keys and device tokens survive
 * restarts without any set-up.
 */
export async function resolveKeyEncryptionSecret(config: Config): Promise<string> {
  if (config.auth.keyEncryptionSecret) return config.auth.keyEncryptionSecret;
  if (config.app.production) throw new Error('KEY_ENCRYPTION_SECRET is required in production');
  const file = path.resolve(config.app.dataDir, FILE_NAME);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  // 'wx' fails if another process created it meanwhile; then read theirs.
  try {
    await writeFile(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    return (await readFile(file, 'utf8')).trim();
  }
}

export const KEY_ENCRYPTION_SECRET = Symbol('KEY_ENCRYPTION_SECRET');

/** Resolved once per app, before the services that derive their keys from it. */
export const keyEncryptionSecretProvider: FactoryProvider<Promise<string>> = {
  provide: KEY_ENCRYPTION_SECRET,
  inject: [CONFIG],
  useFactory: resolveKeyEncryptionSecret,
};
