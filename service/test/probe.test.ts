/**
 * The consistency probe run for real: two "regions" (a and b) as service instances on loopback,
 * each with its own Redis key prefix, SNS topic and SQS queue, sharing PostgreSQL (the
 * "replication") and the SNS/SQS emulator (see TestEnv). The probe of a writes a's marker through
 * a's origin and polls both origins, as it does in AWS (docs/decisions/0013).
 *
 * The alarm condition is the infrastructure's (lib/constructs/consistency-probe.ts): the pair's
 * StaleReads sum is at least 1 in each of the last `stalePeriods` one-minute periods; one probe
 * run is one period here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadProbeConfig, type ProbeConfig } from '../src/probe/config.js';
import { probeMetricLines, runProbe, type PairResult } from '../src/probe/run.js';
import { eventually, json, login, metricSum, parseEmf, putItem, TestEnv, type RunningApi } from './helpers/env.js';
import { integrationSkip } from './helpers/servers.js';

const skip = await integrationSkip();

/** The staleness bound of these runs; far below b's 60 s cache TTL, far above a healthy delivery here (tens of ms), even on a busy machine. */
const STALE_AFTER_MS = 3000;
const STALE_PERIODS = 2;

describe('consistency probe across two regions', { skip }, () => {
  let env: TestEnv;
  let a: RunningApi;
  let b: RunningApi;
  /** EMF lines of every run of a's probe, one array per run. */
  const runs: string[][] = [];

  function probeConfig(overrides: Record<string, string> = {}): ProbeConfig {
    return loadProbeConfig({
      REGION: 'region-a',
      PROBE_TARGETS: JSON.stringify([
        { region: 'region-a', url: a.url },
        { region: 'region-b', url: b.url },
      ]),
      PROBE_STALE_AFTER_MS: String(STALE_AFTER_MS),
      PROBE_MAX_WAIT_MS: '3500',
      PROBE_POLL_INTERVAL_MS: '50',
      PROBE_REQUEST_TIMEOUT_MS: '1000',
      PROBE_METRICS_NAMESPACE: 'Test/Probe',
      ...overrides,
    });
  }

  async function probe(overrides: Record<string, string> = {}): Promise<Map<string, PairResult>> {
    const results = await runProbe(probeConfig(overrides));
    runs.push(probeMetricLines(results, 'Test/Probe'));
    return new Map(results.map((r) => [r.reader, r]));
  }

  /** The page alarm on one pair: StaleReads ≥ 1 in each of the last STALE_PERIODS runs. */
  function staleAlarm(reader: string): boolean {
    const last = runs.slice(-STALE_PERIODS);
    return (
      last.length === STALE_PERIODS &&
      last.every((lines) => metricSum(lines, 'StaleReads', { Writer: 'region-a', Reader: reader }) >= 1)
    );
  }

  before(async () => {
    env = await TestEnv.create();
    a = await env.startApi('a');
    // A long TTL: while b misses invalidations, it keeps answering what it cached.
    b = await env.startApi('b', { CACHE_TTL_SECONDS: '60' });
  });
  after(async () => {
    await env.cleanup();
  });

  it('normally every region reads the new version within the bound, a itself at once', async (t) => {
    for (let i = 0; i < 2; i++) {
      const results = await probe();
      const own = results.get('region-a')!;
      const other = results.get('region-b')!;
      t.diagnostic(`run ${i}: a→a ${own.visibleAfterMs} ms, a→b ${other.visibleAfterMs} ms`);
      assert.equal(own.outcome, 'visible', JSON.stringify(own));
      assert.equal(other.outcome, 'visible', JSON.stringify(other));
      assert.ok(own.visibleAfterMs! < STALE_AFTER_MS);
      assert.ok(other.visibleAfterMs! < STALE_AFTER_MS);
      assert.equal(own.staleReads + other.staleReads, 0);
    }
    const lines = runs.at(-1)!;
    assert.equal(metricSum(lines, 'ProbeErrors'), 0);
    assert.equal(metricSum(lines, 'StaleReads'), 0);
    const docs = parseEmf(lines);
    assert.deepEqual(
      docs.map((d) => [d.Writer, d.Reader]),
      [
        ['region-a', 'region-a'],
        ['region-a', 'region-b'],
      ],
    );
    for (const d of docs) {
      assert.deepEqual(d._aws.CloudWatchMetrics[0]!.Dimensions, [['Writer', 'Reader']]);
      assert.deepEqual(
        d._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name),
        ['VisibleAfterMs', 'StaleReads', 'ProbeErrors'],
      );
      assert.equal(typeof d.VisibleAfterMs, 'number');
    }
    assert.equal(staleAlarm('region-b'), false);
  });

  it('probe items stay out of business metrics and DAU, and only the probe identity writes them', async () => {
    const linesBefore = a.metricLines.length;
    const user = await login(a.url, 'someone');
    assert.equal(
      (await putItem(a.url, user, 'probe-region-a', { name: 'fake' })).status,
      403,
      'users cannot fake a marker',
    );
    const probeUser = await login(a.url, 'probe-region-a');
    assert.equal(
      (await putItem(a.url, probeUser, 'probe-region-b', { name: 'x' })).status,
      403,
      "not another region's marker",
    );
    assert.equal((await putItem(a.url, probeUser, 'business-1', { name: 'x' })).status, 403, 'nor a business item');
    assert.equal((await putItem(a.url, probeUser, 'probe-region-a', { name: 'probe' })).status, 200);
    assert.equal((await putItem(a.url, user, 'business-1', { name: 'x' })).status, 200);
    await a.api.core.metrics.flush();
    const lines = a.metricLines.slice(linesBefore);
    assert.equal(metricSum(lines, 'ItemsWritten'), 1, 'only the business write counts');
    const dau = parseEmf(lines)
      .map((d) => d.DailyActiveUsers)
      .filter((v) => typeof v === 'number');
    assert.deepEqual(dau, [1], 'someone, not the probe');
    // The marker is one row per region, overwritten each run: nothing accumulates.
    const res = await fetch(`${a.url}/api/items/probe-region-a`);
    assert.equal((await json(res)).id, 'probe-region-a');
  });

  it('with b no longer consuming invalidations (split brain), a→b reads go stale and the page alarm condition holds', async (t) => {
    await b.api.consumer!.stop();
    for (let i = 0; i < STALE_PERIODS; i++) {
      const results = await probe();
      const other = results.get('region-b')!;
      t.diagnostic(`run ${i}: a→b ${JSON.stringify(other)}`);
      assert.equal(results.get('region-a')!.outcome, 'visible', 'read-your-write in a is unaffected');
      assert.equal(other.outcome, 'stale');
      assert.ok(other.staleReads > 0);
      assert.equal(other.visibleAfterMs, undefined, "b's cached copy outlives the run");
    }
    const lines = runs.at(-1)!;
    assert.ok(metricSum(lines, 'StaleReads', { Writer: 'region-a', Reader: 'region-b' }) > 0);
    assert.equal(metricSum(lines, 'StaleReads', { Writer: 'region-a', Reader: 'region-a' }), 0);
    assert.equal(metricSum(lines, 'ProbeErrors'), 0, 'staleness is not an error');
    assert.equal(staleAlarm('region-b'), true);
    assert.equal(staleAlarm('region-a'), false);
  });

  it('once b consumes again, the queued invalidations apply and the next runs are back to normal', async () => {
    b.api.consumer!.start();
    // The backlog applies within a poll or two; then a run measures normal delivery again.
    await eventually(async () => {
      const res = await fetch(`${b.url}/api/items/probe-region-a`);
      const fromA = await fetch(`${a.url}/api/items/probe-region-a`);
      return (await json(res)).version === (await json(fromA)).version;
    }, 5000);
    for (let i = 0; i < STALE_PERIODS; i++) {
      const other = (await probe()).get('region-b')!;
      assert.equal(other.outcome, 'visible', JSON.stringify(other));
      assert.ok(other.visibleAfterMs! < STALE_AFTER_MS);
    }
    assert.equal(staleAlarm('region-b'), false);
  });

  it('with b down, a→b reports ProbeErrors and no staleness; a→a stays visible', async () => {
    await b.stop();
    const results = await probe();
    assert.equal(results.get('region-a')!.outcome, 'visible');
    const other = results.get('region-b')!;
    assert.equal(other.outcome, 'error');
    assert.equal(other.staleReads, 0);
    assert.match(other.detail ?? '', /read failed/);
    const lines = runs.at(-1)!;
    assert.equal(metricSum(lines, 'ProbeErrors', { Writer: 'region-a', Reader: 'region-b' }), 1);
    assert.equal(metricSum(lines, 'StaleReads'), 0);
    const doc = parseEmf(lines).find((d) => d.Reader === 'region-b')!;
    assert.equal('VisibleAfterMs' in doc, false);
  });

  it('with its own origin down, the writer reports an error for every pair', async () => {
    const results = await runProbe(
      probeConfig({
        PROBE_TARGETS: JSON.stringify([
          { region: 'region-a', url: b.url },
          { region: 'region-b', url: b.url },
        ]),
      }),
    );
    assert.deepEqual(
      results.map((r) => [r.reader, r.outcome, r.staleReads]),
      [
        ['region-a', 'error', 0],
        ['region-b', 'error', 0],
      ],
    );
    assert.match(results[0]!.detail ?? '', /login failed/);
  });

  it('a target pinned by connectHost is reached at that host, not at the url host', async () => {
    const port = new URL(a.url).port;
    const results = await runProbe(
      probeConfig({
        PROBE_TARGETS: JSON.stringify([
          { region: 'region-a', url: `http://origin.invalid:${port}`, connectHost: '127.0.0.1' },
        ]),
      }),
    );
    assert.equal(results[0]!.outcome, 'visible', JSON.stringify(results[0]));
  });
});

describe('probe configuration', () => {
  const base = { REGION: 'r1', PROBE_TARGETS: JSON.stringify([{ region: 'r1', url: 'https://origin.example.com' }]) };
  it('defaults: 5 s bound, 30 s wait, x-origin-verify', () => {
    const c = loadProbeConfig(base);
    assert.equal(c.staleAfterMs, 5000);
    assert.equal(c.maxWaitMs, 30_000);
    assert.equal(c.originVerify.header, 'x-origin-verify');
  });
  it('refuses a target list without its own region, a repeated region, or a wait below the bound', () => {
    assert.throws(() => loadProbeConfig({ ...base, REGION: 'r2' }), /no entry for this region r2/);
    const twice = JSON.stringify([
      { region: 'r1', url: 'https://a.example.com' },
      { region: 'r1', url: 'https://b.example.com' },
    ]);
    assert.throws(() => loadProbeConfig({ ...base, PROBE_TARGETS: twice }), /listed twice/);
    assert.throws(() => loadProbeConfig({ ...base, PROBE_MAX_WAIT_MS: '100' }), /PROBE_MAX_WAIT_MS/);
    assert.throws(() => loadProbeConfig({ ...base, PROBE_TARGETS: 'nope' }), /PROBE_TARGETS: not JSON/);
  });
});
