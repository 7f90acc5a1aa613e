import type { Logger } from './log.js';

/**
 * Runs `stop` once on SIGTERM/SIGINT and exits 0, or exits 1 if it fails or outlasts
 * `timeoutMs` (keep it below the ECS stop timeout, after which the task is SIGKILLed).
 */
export function exitOnSignal(log: Logger, timeoutMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, timeoutMs }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown timed out; exiting with work still in progress');
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    stop().then(
      () => {
        clearTimeout(deadline);
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Logs a start-up failure and exits 1 (ECS then replaces the task). */
export function exitOnStartFailure(log: Logger) {
  return (err: unknown): never => {
    log.fatal({ err }, 'start-up failed');
    process.exit(1);
  };
}
