import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { createApp } from './app.factory.js';
import { ConfigError, loadConfig } from './config/config.js';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(process.env);
  app.enableShutdownHooks();
  await app.listen(config.app.port, config.app.host);
  const mode = `${config.database.url ? 'PostgreSQL' : 'embedded PostgreSQL'} + ${config.redis.url ? 'Redis' : 'in-process store'}`;
  new Logger('Bootstrap').log(
    `listening on ${await app.getUrl()} (${mode}); docs at /docs; started in ${Math.round(performance.now())} ms`,
  );
}

bootstrap().catch((error: unknown) => {
  new Logger('Bootstrap').fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
