import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, service: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
      // ISO times and level names read better in CloudWatch Logs Insights than epoch ms and numbers.
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous: request logging is off, so log volume is low and nothing is lost on exit.
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * Logs a recurring failure at most once per interval and key, with the number of suppressed
 * repeats, so a dependency outage under load (or a flood of bad messages) is visible without
 * flooding the log.
 */
export class ThrottledLog {
  private last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 5000,
  ) {}

  warn(key: string, err: unknown, msg: string, fields: Record<string, unknown> = {}): void {
    this.write('warn', key, err, msg, fields);
  }

  error(key: string, err: unknown, msg: string, fields: Record<string, unknown> = {}): void {
    this.write('error', key, err, msg, fields);
  }

  private write(
    level: 'warn' | 'error',
    key: string,
    err: unknown,
    msg: string,
    fields: Record<string, unknown>,
  ): void {
    const now = Date.now();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    this.last.set(key, { at: now, suppressed: 0 });
    this.log[level]({ ...fields, err, suppressed: entry?.suppressed ?? 0 }, msg);
  }
}
