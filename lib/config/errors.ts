/**
 * The one error type for bad configuration, whether caught by the config schema or by a
 * construct's constructor. `bin/app.ts` prints its message as a single line and exits 1.
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

/** Renders a config value for an error line: JSON, cut short so the line stays one line. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
