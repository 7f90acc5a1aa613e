import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { possibleSeries, type Emitter } from '../src/metrics.js';
import { PROBE_PATHS } from '../src/shedding.js';
import { eventually, login, parseEmf, putItem, TestEnv, type RunningApi, type RunningWorker } from './helpers/env.js';
import { integrationSkip } from './helpers/servers.js';

const skip = await integrationSkip();

const FILE = new URL('../metric-series.json', import.meta.url);
/** Shard names are the deployment's: the cost model multiplies these series by its shard count. */
const SHARD = '<shard>';

/** Distinct series (metric × dimension set × values on the line) of EMF lines, as possibleSeries keys. */
function seriesOf(lines: string[]): Set<string> {
  const keys = new Set<string>();
  for (const doc of parseEmf(lines)) {
    for (const directive of doc._aws.CloudWatchMetrics) {
      for (const metric of directive.Metrics) {
        for (const set of directive.Dimensions) {
          const dims = set.filter((d) => d !== 'Service').map((d) => `${d}=${d === 'Shard' ? SHARD : String(doc[d])}`);
          keys.add([metric.Name, ...dims].join(' '));
        }
      }
    }
  }
  return keys;
}

/** Series that only failures produce: none may show in a healthy run. */
const UNHEALTHY = /StatusClass=5xx|^LoadShed\b|^DependencyErrors\b|Outcome=failed|^InvalidationPublishFailures\b/;

/** Route patterns of `printRoutes({ commonPrefix: false })`: a nested line continues its parent's path. */
function registeredRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+) \((.*)\)$/.exec(line);
    if (!m?.[2]) continue;
    stack.length = (m[1] ?? '').length / 4;
    stack.push(m[2]);
    // "(-)": a shared prefix without a handler of its own.
    if (m[3] !== '-') routes.push(stack.join(''));
  }
  return routes.sort();
}

async function expectStatus(request: Promise<Response>, status: number, what: string): Promise<void> {
  const res = await request;
  await res.arrayBuffer();
  assert.equal(res.status, status, what);
}

const post = (url: string, body: unknown, cookie?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });

interface Instance {
  metricLines: string[];
  flush(): Promise<void>;
}

describe('metric series: what a healthy run emits (metric-series.json)', { skip }, () => {
  let env: TestEnv;
  let a1: RunningApi;
  let a2: RunningApi;
  let worker: RunningWorker;
  const instances = new Map<Emitter, Instance[]>([
    ['api', []],
    ['worker', []],
  ]);
  /** How many lines of each instance earlier phases took. */
  const taken = new Map<Instance, number>();
  let routes: string[] = [];
  const healthy = new Map<Emitter, Set<string>>();
  const crossRegion = new Map<Emitter, Set<string>>();

  // Only a write's own kick relays the outbox (no poll passes), so the task that wrote is the one
  // that publishes; the near-cache outlives the test, so a near hit does not depend on timing.
  // No event-loop shedding: a busy machine would shed the healthy traffic (shedding.test.ts covers it).
  const timings = {
    OUTBOX_POLL_INTERVAL_MS: '600000',
    NEAR_CACHE_TTL_MS: '600000',
    CACHE_TTL_SECONDS: '600',
    MAX_EVENT_LOOP_DELAY_MS: '0',
  };
  const startApi = async (region: 'a' | 'b') => {
    const api = await env.startApi(region, { ...timings, SERVICE_NAME: 'api' });
    instances.get('api')?.push({ metricLines: api.metricLines, flush: () => api.api.core.metrics.flush() });
    return api;
  };

  /** Flushes every instance and returns each emitter's series since the last call. */
  async function nextPhase(): Promise<Map<Emitter, Set<string>>> {
    const phase = new Map<Emitter, Set<string>>();
    for (const [emitter, list] of instances) {
      const lines: string[] = [];
      for (const instance of list) {
        await instance.flush();
        const from = taken.get(instance) ?? 0;
        lines.push(...instance.metricLines.slice(from));
        taken.set(instance, instance.metricLines.length);
        for (const doc of parseEmf(instance.metricLines.slice(from)))
          assert.equal(doc.Service, emitter, 'Service is SERVICE_NAME');
      }
      phase.set(emitter, seriesOf(lines));
    }
    return phase;
  }

  /** No failure series, and only series the catalogue (emittedBy, DIMENSION_VALUES) allows `emitter`. */
  function assertHealthyAndAllowed(emitter: Emitter, series: Iterable<string>): void {
    const possible = new Set(possibleSeries(emitter, { routes, shards: [SHARD] }));
    for (const key of series) {
      assert.doesNotMatch(key, UNHEALTHY, `${emitter}: healthy traffic emitted the failure series ${key}`);
      assert.ok(
        possible.has(key),
        `${emitter} emitted ${key}, which the catalogue (emittedBy, DIMENSION_VALUES) does not allow it`,
      );
    }
  }

  async function outboxEmpty(): Promise<void> {
    await eventually(async () => {
      const { rows } = await env.admin.query<{ n: number }>(
        Array.from(
          { length: env.shardCount },
          (_, i) => `SELECT count(*)::int AS n FROM "${env.schema(i)}".outbox`,
        ).join(' UNION ALL '),
      );
      return rows.every((r) => r.n === 0);
    });
  }

  before(async () => {
    env = await TestEnv.create({ shards: 2 });
    // Two tasks: a read can be a near-cache hit on one and a Redis hit on the other.
    a1 = await startApi('a');
    a2 = await startApi('a');
    worker = await env.startWorker('a', { ...timings, SERVICE_NAME: 'worker' });
    instances.get('worker')?.push({ metricLines: worker.metricLines, flush: () => worker.worker.core.metrics.flush() });
  });
  after(async () => {
    await env.cleanup();
  });

  it('healthy traffic on every route emits only series the catalogue allows that service', async () => {
    await expectStatus(fetch(`${a1.url}/healthz`), 200, 'healthz');
    await expectStatus(fetch(`${a1.url}/readyz`), 200, 'readyz');
    const cookie = await login(a1.url, 'series');
    await expectStatus(post(`${a1.url}/api/login`, { userId: '' }), 400, 'invalid login');
    await expectStatus(fetch(`${a1.url}/api/me`, { headers: { cookie } }), 200, 'me');
    await expectStatus(fetch(`${a1.url}/api/me`), 401, 'me without session');
    await expectStatus(putItem(a1.url, cookie, 'ms-1', { name: 'counted' }), 200, 'put');
    await expectStatus(putItem(a1.url, cookie, 'ms-1', { name: '' }), 400, 'invalid put');
    // Published (by a1) before the reads, so no eviction races the near-cache fills below.
    await outboxEmpty();
    await expectStatus(fetch(`${a1.url}/api/items/ms-1`), 200, 'miss: database');
    await expectStatus(fetch(`${a1.url}/api/items/ms-1`), 200, 'near hit');
    await expectStatus(fetch(`${a2.url}/api/items/ms-1`), 200, 'Redis hit');
    await expectStatus(fetch(`${a2.url}/api/items/ms-1`), 200, 'near hit on the other task');
    await expectStatus(fetch(`${a1.url}/api/items/ms-none`), 404, 'missing item');
    await expectStatus(fetch(`${a1.url}/api/items/not.an.id`), 400, 'invalid id');
    await expectStatus(post(`${a1.url}/api/jobs`, { type: 'item.increment', itemId: 'ms-1' }, cookie), 202, 'job');
    await expectStatus(post(`${a1.url}/api/jobs`, { type: 'nope' }, cookie), 400, 'invalid job');
    await eventually(async () => {
      const { rows } = await env.admin.query<{ counter: string }>(
        Array.from(
          { length: env.shardCount },
          (_, i) => `SELECT counter FROM "${env.schema(i)}".items WHERE id = 'ms-1'`,
        ).join(' UNION ALL '),
      );
      return rows[0]?.counter === '1';
    });
    await outboxEmpty();
    await expectStatus(post(`${a1.url}/api/logout`, {}, cookie), 204, 'logout');
    await expectStatus(fetch(`${a1.url}/nowhere`), 404, 'unknown path');

    const phase = await nextPhase();
    for (const [emitter, series] of phase) healthy.set(emitter, series);
    const apiLines = (instances.get('api') ?? []).flatMap((i) => i.metricLines);
    routes = [...new Set(parseEmf(apiLines).flatMap((d) => (typeof d.Route === 'string' ? [d.Route] : [])))].sort();
    // Fastify has no route listing but printRoutes; flat with commonPrefix: false unless one route prefixes another.
    assert.deepEqual(
      routes.filter((r) => r !== 'unmatched'),
      registeredRoutes(a1.api.app.printRoutes({ commonPrefix: false })).filter((r) => !PROBE_PATHS.has(r)),
      'every registered route but the probes was exercised and counted',
    );
    assert.ok(routes.includes('unmatched'));
    for (const [emitter, series] of healthy) assertHealthyAndAllowed(emitter, series);
    // What the timings above make deterministic: both cache tiers, and each writer publishing its own events.
    for (const key of ['CacheHits Tier=near', 'CacheHits Tier=redis', 'InvalidationsPublished'])
      assert.ok(healthy.get('api')?.has(key), `api: ${key}`);
    for (const key of ['JobsProcessed Outcome=succeeded', 'InvalidationsPublished'])
      assert.ok(healthy.get('worker')?.has(key), `worker: ${key}`);
  });

  it("another region's writes add the series of applying them", async () => {
    const b = await startApi('b');
    const cookie = await login(b.url, 'series-b');
    await expectStatus(putItem(b.url, cookie, 'ms-2', { name: 'from b' }), 200, 'put in region b');
    const phase = new Map<Emitter, Set<string>>();
    await eventually(async () => {
      for (const [emitter, series] of await nextPhase())
        phase.set(emitter, new Set([...(phase.get(emitter) ?? []), ...series]));
      return phase.get('api')?.has('InvalidationsApplied');
    });
    // Region a may apply the event before b's relay has deleted it: let that pass end first.
    await outboxEmpty();
    for (const [emitter, series] of phase) {
      assertHealthyAndAllowed(emitter, series);
      crossRegion.set(emitter, new Set([...series].filter((key) => !healthy.get(emitter)?.has(key))));
    }
  });

  it('metric-series.json lists them (UPDATE_METRIC_SERIES=1 rewrites it)', async () => {
    const sorted = (keys: Iterable<string> | undefined) => [...(keys ?? [])].sort();
    const services = Object.fromEntries(
      (['api', 'worker'] as const).map((emitter) => {
        const possible = possibleSeries(emitter, { routes, shards: [SHARD] });
        const perShard = possible.filter((key) => key.includes(' Shard=')).length;
        return [
          emitter,
          {
            healthy: sorted(healthy.get(emitter)),
            crossRegion: sorted(crossRegion.get(emitter)),
            possible: { perService: possible.length - perShard, perShard },
          },
        ];
      }),
    );
    const doc = {
      $comment:
        "Generated by test/metric-series.test.ts (UPDATE_METRIC_SERIES=1 npm test); read by scripts/cost. healthy: series a healthy single-region run emits (billed every hour; Shard=<shard> once per shard); crossRegion: added by applying another region's invalidations; possible: every series the catalogue allows with these routes (perShard: those with a Shard, for one shard).",
      routes,
      services,
    };
    if (process.env.UPDATE_METRIC_SERIES === '1') {
      await writeFile(FILE, JSON.stringify(doc, null, 2) + '\n');
      return;
    }
    const committed: unknown = JSON.parse(await readFile(FILE, 'utf8').catch(() => 'null'));
    assert.deepEqual(
      committed,
      doc,
      'metric series changed: rerun with UPDATE_METRIC_SERIES=1 (cd service && UPDATE_METRIC_SERIES=1 npm test) and review the diff of service/metric-series.json',
    );
  });
});
