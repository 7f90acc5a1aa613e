/**
 * Renders a value for a one-line error, a construct's (`PropError`) or the config's
 * (`ConfigError`): JSON, cut short so the line stays one line. No CDK imports, so `lib/config`
 * shares it.
 */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
