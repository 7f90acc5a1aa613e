import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { ProbeConfig, ProbeTarget } from './config.js';
import { send } from './http.js';
import { probeMarkerId } from './keys.js';

/** What one run learned about one (writer → reader) pair. */
export interface PairResult {
  readonly writer: string;
  readonly reader: string;
  /**
   * `visible`: the new version was read within the bound; `stale`: a read sent after the bound
   * answered an older version; `error`: the reader could not be asked (no verdict on staleness).
   */
  readonly outcome: 'visible' | 'stale' | 'error';
  /** From the write's acknowledgement to the sending of the first read that answered the new version. */
  readonly visibleAfterMs?: number;
  /** Reads sent after the bound that answered an older version. */
  readonly staleReads: number;
  /** Failed requests to the reader (not 200 or 404, a timeout, a refused connection). */
  readonly failedRequests: number;
  readonly detail?: string;
}

export interface ProbeRunDeps {
  /** The origin-verify header's value; none when the origins do not require it (local runs). */
  readonly originVerifyValue?: string;
  readonly log?: Logger;
}

/** After this many failed requests in a row a reader is given up for the run. */
const MAX_CONSECUTIVE_FAILURES = 3;

/**
 * One probe run in `config.region`: log in as the region's probe identity, read the region's
 * marker in every region (so each caches the current version, and the new one must arrive by
 * invalidation), write the marker in this region, then poll every region, this one included
 * (read-your-write), until it answers the new version or `maxWaitMs` passes.
 */
export async function runProbe(config: ProbeConfig, deps: ProbeRunDeps = {}): Promise<PairResult[]> {
  const writer = config.region;
  const id = probeMarkerId(writer);
  const path = `/api/items/${id}`;
  const base = deps.originVerifyValue ? { [config.originVerify.header]: deps.originVerifyValue } : {};
  const own = config.targets.find((t) => t.region === writer)!;
  const request = (target: ProbeTarget, method: 'GET' | 'PUT' | 'POST', p: string, extra = {}, body?: unknown) =>
    send(target, method, p, { headers: { ...base, ...extra }, body, timeoutMs: config.requestTimeoutMs });
  const allFailed = (detail: string): PairResult[] =>
    config.targets.map((t) => ({
      writer,
      reader: t.region,
      outcome: 'error',
      staleReads: 0,
      failedRequests: 1,
      detail,
    }));

  let cookie: string;
  try {
    const res = await request(own, 'POST', '/api/login', {}, { userId: id });
    const setCookie = [res.headers['set-cookie'] ?? []].flat()[0];
    if (res.status !== 200 || !setCookie) return allFailed(`login answered ${res.status}`);
    cookie = setCookie.split(';')[0]!;
  } catch (err) {
    return allFailed(`login failed: ${(err as Error).message}`);
  }

  try {
    // Warm every reader with the current version; a failure here is judged by the polling below.
    await Promise.all(config.targets.map((t) => request(t, 'GET', path).catch(() => undefined)));

    let version: number;
    let writtenAt: number;
    try {
      const res = await request(
        own,
        'PUT',
        path,
        { cookie },
        {
          name: 'consistency probe',
          data: { run: randomUUID(), writtenAt: new Date().toISOString() },
        },
      );
      if (res.status !== 200) return allFailed(`write answered ${res.status}`);
      writtenAt = Date.now();
      version = (JSON.parse(res.body) as { version: number }).version;
    } catch (err) {
      return allFailed(`write failed: ${(err as Error).message}`);
    }
    return await Promise.all(config.targets.map((t) => poll(t, version, writtenAt)));
  } finally {
    // The probe's session ends with its run.
    await request(own, 'POST', '/api/logout', { cookie }).catch((err: Error) =>
      deps.log?.warn({ err: err.message }, 'probe logout failed'),
    );
  }

  async function poll(target: ProbeTarget, version: number, writtenAt: number): Promise<PairResult> {
    const pair = { writer, reader: target.region };
    let staleReads = 0;
    let failedRequests = 0;
    let failuresInARow = 0;
    let detail: string | undefined;
    for (;;) {
      const elapsed = Date.now() - writtenAt;
      if (elapsed > config.maxWaitMs || failuresInARow >= MAX_CONSECUTIVE_FAILURES) break;
      let seen: number | undefined;
      try {
        const res = await request(target, 'GET', path);
        // 404: the reader still caches "not found", the oldest version there is.
        if (res.status === 200) seen = (JSON.parse(res.body) as { version: number }).version;
        else if (res.status === 404) seen = 0;
        else detail = `read answered ${res.status}`;
      } catch (err) {
        detail = `read failed: ${(err as Error).message}`;
      }
      if (seen === undefined) {
        failedRequests++;
        failuresInARow++;
      } else {
        failuresInARow = 0;
        if (seen >= version) {
          const outcome = staleReads > 0 ? 'stale' : 'visible';
          return { ...pair, outcome, visibleAfterMs: Math.max(0, elapsed), staleReads, failedRequests };
        }
        if (elapsed > config.staleAfterMs) staleReads++;
      }
      await sleep(config.pollIntervalMs);
    }
    if (staleReads > 0) return { ...pair, outcome: 'stale', staleReads, failedRequests, detail };
    // Not a single answer after the bound: no verdict, and no false staleness.
    return { ...pair, outcome: 'error', staleReads: 0, failedRequests, detail: detail ?? 'no fresh answer in time' };
  }
}

/**
 * One EMF line per pair, dimensions Writer and Reader: `VisibleAfterMs` (when the new version
 * was seen), `StaleReads` and `ProbeErrors` (1 when the pair could not be measured), so every
 * run gives every pair a data point for its alarms.
 */
export function probeMetricLines(results: readonly PairResult[], namespace: string, timestamp = Date.now()): string[] {
  return results.map((r) => {
    const metrics = [
      ...(r.visibleAfterMs === undefined ? [] : [{ Name: 'VisibleAfterMs', Unit: 'Milliseconds' }]),
      { Name: 'StaleReads', Unit: 'Count' },
      { Name: 'ProbeErrors', Unit: 'Count' },
    ];
    return JSON.stringify({
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [['Writer', 'Reader']], Metrics: metrics }],
      },
      Writer: r.writer,
      Reader: r.reader,
      ...(r.visibleAfterMs === undefined ? {} : { VisibleAfterMs: r.visibleAfterMs }),
      StaleReads: r.staleReads,
      ProbeErrors: r.outcome === 'error' ? 1 : 0,
      outcome: r.outcome,
      failedRequests: r.failedRequests,
      ...(r.detail === undefined ? {} : { detail: r.detail }),
    });
  });
}
