import { loadConfigOrExit } from './config.js';
import { createLogger } from './log.js';
import { ApiService } from './runtime.js';
import { exitOnSignal, exitOnStartFailure } from './shutdown.js';

const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL, config.SERVICE_NAME);
const api = new ApiService(config, { log });
exitOnSignal(log, config.SHUTDOWN_TIMEOUT_MS, () => api.stop());
await api.start().catch(exitOnStartFailure(log));
