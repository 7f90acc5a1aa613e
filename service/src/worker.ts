import { loadConfigOrExit } from './config.js';
import { createLogger } from './log.js';
import { WorkerService } from './runtime.js';
import { exitOnSignal, exitOnStartFailure } from './shutdown.js';

const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL, config.SERVICE_NAME);
const worker = new WorkerService(config, { log });
exitOnSignal(log, config.SHUTDOWN_TIMEOUT_MS, () => worker.stop());
await worker.start().catch(exitOnStartFailure(log));
