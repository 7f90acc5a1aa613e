/**
 * An expected failure of `npm run cost` or `npm run prices:update`: a missing or malformed input,
 * a price the table lacks. The CLIs print its message as one line, without a stack trace; the
 * message ends with what to do.
 */
export class CostError extends Error {
  /**
   * @param problem what is wrong, naming the file, key or value
   * @param remedy  what to do about it, as an imperative ("add ...", "run ...")
   */
  constructor(problem: string, remedy: string) {
    super(`${problem}: ${remedy}`);
    this.name = 'CostError';
  }
}
