import { ScriptError } from '../common/cli';

/**
 * An expected failure of `npm run cost` or `npm run prices:update`: a missing or malformed input,
 * a price the table lacks. Its message ends with what to do.
 */
export class CostError extends ScriptError {
  /**
   * @param problem what is wrong, naming the file, key or value
   * @param remedy  what to do about it, as an imperative ("add ...", "run ...")
   */
  constructor(problem: string, remedy: string) {
    super(`${problem}: ${remedy}`);
  }
}
