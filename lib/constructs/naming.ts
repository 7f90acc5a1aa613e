/** `us-east-1` → `UsEast1`, `task-loss` → `TaskLoss`: kebab-case names as construct ids and output names. */
export function pascalCase(text: string): string {
  return text.replace(/(^|-)(\w)/g, (_, __, letter: string) => letter.toUpperCase());
}
