import { Pool } from 'undici';

export interface RequestSpec {
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  durationS: number;
  sent: number;
  /** Latencies in ms by status code, from the moment each request was handed to the client. */
  byStatus: Map<number, number[]>;
  /** Open loop: how late (ms) the generator sent behind its schedule at worst (a starved client). */
  maxSendLagMs: number;
  errors: number;
  firstError?: string;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function count(result: LoadResult, predicate: (status: number) => boolean): number {
  let n = 0;
  for (const [status, l] of result.byStatus) if (predicate(status)) n += l.length;
  return n;
}

export function latencies(result: LoadResult, predicate: (status: number) => boolean): number[] {
  const out: number[] = [];
  for (const [status, l] of result.byStatus) if (predicate(status)) out.push(...l);
  return out;
}

function emptyResult(durationMs: number): LoadResult {
  return { durationS: durationMs / 1000, sent: 0, byStatus: new Map(), maxSendLagMs: 0, errors: 0 };
}

/** HTTP load over one keep-alive connection pool, reused across runs so no run pays for connection set-up. */
export class LoadGenerator {
  private readonly pool: Pool;

  constructor(
    origin: string,
    private readonly maxConnections: number,
  ) {
    this.pool = new Pool(origin, { connections: maxConnections, pipelining: 1 });
  }

  /** Opens every connection up front with a request load shedding never rejects. */
  async warm(path = '/healthz'): Promise<void> {
    const result = emptyResult(0);
    await Promise.all(Array.from({ length: this.maxConnections }, () => this.fire({ method: 'GET', path }, result)));
    if (result.errors > 0) throw new Error(`warm-up failed: ${result.firstError}`);
  }

  private async fire(spec: RequestSpec, result: LoadResult): Promise<void> {
    const startedAt = performance.now();
    try {
      const res = await this.pool.request({
        method: spec.method,
        path: spec.path,
        headers: spec.headers,
        body: spec.body,
      });
      await res.body.dump();
      const ms = performance.now() - startedAt;
      let list = result.byStatus.get(res.statusCode);
      if (!list) result.byStatus.set(res.statusCode, (list = []));
      list.push(ms);
    } catch (err) {
      // Counted, not thrown: a refused or reset request is an outcome the report shows.
      result.errors++;
      result.firstError ??= (err as Error).message;
    }
  }

  /** Closed loop: `concurrency` clients each send their next request as soon as the previous one returns. */
  async closedLoop(next: () => RequestSpec, concurrency: number, durationMs: number): Promise<LoadResult> {
    const result = emptyResult(durationMs);
    const deadline = performance.now() + durationMs;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          result.sent++;
          await this.fire(next(), result);
        }
      }),
    );
    return result;
  }

  /**
   * Open loop: requests are sent at `ratePerS` whatever the server does, as real clients
   * arriving independently would; an overloaded server cannot slow the arrivals down. With
   * enough connections the server never holds the generator back, so latency is measured from
   * the actual send; the generator's own lateness (CPU starvation) is reported apart.
   */
  async openLoop(next: () => RequestSpec, ratePerS: number, durationMs: number): Promise<LoadResult> {
    const result = emptyResult(durationMs);
    const inflight = new Set<Promise<void>>();
    const start = performance.now();
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const now = performance.now();
        if (now - start >= durationMs) {
          clearInterval(tick);
          resolve();
          return;
        }
        const due = Math.floor(((now - start) / 1000) * ratePerS);
        while (result.sent < due) {
          result.maxSendLagMs = Math.max(result.maxSendLagMs, now - (start + (result.sent / ratePerS) * 1000));
          result.sent++;
          const p = this.fire(next(), result).finally(() => inflight.delete(p));
          inflight.add(p);
        }
      }, 1);
    });
    await Promise.all(inflight);
    return result;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
