import { loadConfigOrExit } from './config.js';
import { migrateAll } from './db/migrate.js';
import { createLogger } from './log.js';

/** One-off command (`node dist/migrate.js`): applies pending migrations to every shard and exits. */
const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL, config.SERVICE_NAME);
try {
  const results = await migrateAll(config, log);
  log.info({ results }, 'migrations complete');
} catch (err) {
  log.fatal({ err }, 'migrations failed');
  process.exit(1);
}
