import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { METRIC_CATALOGUE } from '../src/metrics.js';
import { login, metricSum, parseEmf, putItem, TestEnv, type RunningApi } from './helpers/env.js';
import { integrationSkip } from './helpers/servers.js';

const skip = await integrationSkip();

describe('business metrics from a running api', { skip }, () => {
  let env: TestEnv;
  let api: RunningApi;

  before(async () => {
    env = await TestEnv.create();
    api = await env.startApi('a', { METRICS_NAMESPACE: 'Blueprint/Test', SERVICE_NAME: 'items-api' });
  });
  after(async () => {
    await env.cleanup();
  });

  it('reports requests by route and status, writes, jobs, users and cache ratio under the documented names', async () => {
    const alice = await login(api.url, 'alice');
    await login(api.url, 'bob');
    for (const id of ['m-1', 'm-2', 'm-3']) assert.equal((await putItem(api.url, alice, id, { name: id })).status, 200);
    for (let i = 0; i < 4; i++) assert.equal((await fetch(`${api.url}/api/items/m-1`)).status, 200);
    assert.equal((await fetch(`${api.url}/api/items/none`)).status, 404);
    assert.equal((await fetch(`${api.url}/nowhere/${Math.random()}`)).status, 404);
    for (const probe of ['/healthz', '/readyz']) assert.equal((await fetch(`${api.url}${probe}`)).status, 200);
    const job = await fetch(`${api.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: alice },
      body: '{"type":"item.increment","itemId":"m-1"}',
    });
    assert.equal(job.status, 202);

    await api.api.core.metrics.flush();
    const lines = api.metricLines;
    const docs = parseEmf(lines);
    for (const d of docs) {
      assert.equal(d._aws.CloudWatchMetrics[0]?.Namespace, 'Blueprint/Test');
      assert.equal(d.Service, 'items-api');
      for (const m of d._aws.CloudWatchMetrics[0]?.Metrics ?? [])
        assert.ok(m.Name in METRIC_CATALOGUE, `${m.Name} is documented`);
    }
    const route = '/api/items/:id';
    assert.equal(metricSum(lines, 'Requests', { Route: route, StatusClass: '2xx' }), 3 + 4);
    assert.equal(metricSum(lines, 'Requests', { Route: route, StatusClass: '4xx' }), 1);
    assert.equal(
      metricSum(lines, 'Requests', { Route: 'unmatched', StatusClass: '4xx' }),
      1,
      'unknown paths share one Route value',
    );
    assert.equal(metricSum(lines, 'Requests', { Route: '/api/login', StatusClass: '2xx' }), 2);
    assert.equal(metricSum(lines, 'Requests', { Route: '/api/jobs', StatusClass: '2xx' }), 1);
    assert.equal(metricSum(lines, 'RequestLatency', { Route: route }), 8, 'one latency sample per request');
    for (const probe of ['/healthz', '/readyz']) {
      assert.ok(
        !docs.some((d) => d.Route === probe),
        `${probe} is a probe, not user traffic: not in Requests or RequestLatency`,
      );
    }
    assert.equal(
      metricSum(lines, 'Requests', { StatusClass: '2xx' }),
      3 + 4 + 2 + 1,
      'the status totals leave the probes out too',
    );
    assert.equal(metricSum(lines, 'ItemsWritten'), 3);
    assert.equal(metricSum(lines, 'JobsEnqueued'), 1);
    assert.equal(metricSum(lines, 'DailyActiveUsers'), 2);
    assert.equal(metricSum(lines, 'CacheMisses'), 2);
    assert.equal(metricSum(lines, 'CacheHitRatio'), 60, '3 hits of 5 lookups');
    assert.ok(metricSum(lines, 'DbQueries') > 0);
    const requestLine = docs.find((d) => d.Route === route && d.StatusClass === '2xx');
    assert.deepEqual(requestLine?._aws.CloudWatchMetrics[0]?.Dimensions, [
      ['Service', 'Route', 'StatusClass'],
      ['Service', 'StatusClass'],
    ]);
  });
});
