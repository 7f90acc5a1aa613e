import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script sent by SHA (EVALSHA) and only loaded in full when the server does not know it. */
export class LuaScript {
  private readonly sha: string;

  constructor(
    private readonly source: string,
    private readonly numberOfKeys: number,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, ...keysAndArgs: Array<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, this.numberOfKeys, ...keysAndArgs);
    } catch (err) {
      // After a failover or restart the script cache is empty: EVAL loads it again.
      if (err instanceof Error && err.message.startsWith('NOSCRIPT'))
        return redis.eval(this.source, this.numberOfKeys, ...keysAndArgs);
      throw err;
    }
  }
}
