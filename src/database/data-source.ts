import { DataSource } from 'typeorm';
import { loadConfig } from '../config/config.js';
import { dataSourceOptions } from './data-source-options.js';

// Entry point for the TypeORM CLI (`npm run migration:*`). The embedded
// database migrates itself at start; the CLI is for a real server.
const config = loadConfig(process.env);
if (!config.database.url) {
  throw new Error('DATABASE_URL must be set to run migrations from the command line');
}

export default new DataSource(dataSourceOptions(config.database, config.database.url));
