import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics, METRIC_CATALOGUE } from '../src/metrics.js';
import { metricSum, parseEmf } from './helpers/env.js';

describe('EMF metrics', () => {
  it('aggregates counters and writes valid EMF lines grouped by dimensions', async () => {
    const lines: string[] = [];
    const m = new Metrics('Blueprint/Service', 'svc', (l) => lines.push(l));
    m.count('Requests', 1, { Route: '/api/items/:id', StatusClass: '2xx' });
    m.count('Requests', 2, { Route: '/api/items/:id', StatusClass: '2xx' });
    m.count('Requests', 1, { Route: '/api/items/:id', StatusClass: '5xx' });
    m.count('ItemsWritten', 3);
    m.count('JobsEnqueued', 1);
    m.gauge('DailyActiveUsers', 42);
    await m.flush();
    const docs = parseEmf(lines);
    for (const d of docs) {
      assert.equal(typeof d._aws.Timestamp, 'number');
      const directive = d._aws.CloudWatchMetrics[0];
      assert.ok(directive);
      assert.equal(directive.Namespace, 'Blueprint/Service');
      assert.equal(d.Service, 'svc');
      for (const set of directive.Dimensions) for (const dim of set) assert.ok(dim in d, `dimension ${dim} present`);
      for (const metric of directive.Metrics) {
        assert.ok(metric.Name in d);
        assert.equal(metric.Unit, METRIC_CATALOGUE[metric.Name as keyof typeof METRIC_CATALOGUE].unit);
      }
    }
    assert.equal(metricSum(lines, 'Requests', { StatusClass: '2xx' }), 3);
    assert.equal(metricSum(lines, 'Requests', { StatusClass: '5xx' }), 1);
    // Service-only metrics share one line.
    const serviceLine = docs.find((d) => 'ItemsWritten' in d);
    assert.ok(serviceLine);
    assert.equal(serviceLine.ItemsWritten, 3);
    assert.equal(serviceLine.JobsEnqueued, 1);
    assert.equal(serviceLine.DailyActiveUsers, 42);
    assert.deepEqual(serviceLine._aws.CloudWatchMetrics[0]?.Dimensions, [['Service']]);
    lines.length = 0;
    await m.flush();
    assert.equal(lines.length, 0, 'counters reset after a flush');
  });

  it('writes distributions as Values/Counts with at most 100 values per line', async () => {
    const lines: string[] = [];
    const m = new Metrics('NS', 'svc', (l) => lines.push(l));
    for (let i = 1; i <= 5000; i++) m.observe('RequestLatency', i / 10, { Route: '/r' });
    m.observe('RequestLatency', 12.34, { Route: '/r' });
    await m.flush();
    let total = 0;
    for (const d of parseEmf(lines)) {
      const v = d.RequestLatency as { Values: number[]; Counts: number[] };
      assert.ok(v.Values.length <= 100);
      assert.equal(v.Values.length, v.Counts.length);
      total += v.Counts.reduce((a, b) => a + b, 0);
    }
    assert.equal(total, 5001);
  });

  it('runs collectors before each flush and reports their failure after writing', async () => {
    const lines: string[] = [];
    const m = new Metrics('NS', 'svc', (l) => lines.push(l));
    m.addCollector(() => m.gauge('OutboxOldestAge', 7));
    m.addCollector(async () => {
      throw new Error('db down');
    });
    await assert.rejects(m.flush(), /db down/);
    assert.equal(metricSum(lines, 'OutboxOldestAge'), 7);
  });
});
