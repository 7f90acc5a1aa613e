import { formatValue } from '../constructs/format-value';

/**
 * The one error type for bad configuration, thrown while the config (or a script's own input) is
 * read, before any construct exists; a construct's own invariants throw `PropError`. `bin/app.ts`
 * prints its message as a single line and exits 1.
 */
export class ConfigError extends Error {
  /**
   * @param key     dotted path of the offending key, e.g. `regions[1]` or `compute.api.minTasks`
   * @param value   the value that was given
   * @param allowed what would have been accepted
   * @param problem what is wrong with the value
   */
  constructor(
    public readonly key: string,
    public readonly value: unknown,
    public readonly allowed: string,
    problem = 'is not allowed',
  ) {
    super(`${key} = ${formatValue(value)} ${problem} (allowed: ${allowed})`);
    this.name = 'ConfigError';
  }
}
