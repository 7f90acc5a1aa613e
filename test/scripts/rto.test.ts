import { readFileSync } from 'node:fs';
import { RESILIENCE_DOC, parseArgs } from '../../scripts/rto';
import { CfnResource, StackTemplate, stacksOf } from '../../scripts/common/assembly';
import { RecoveryRow, RowId, modelRecovery } from '../../scripts/rto/model';
import { sectionOf } from '../../scripts/common/generated';
import { RTO_MARKERS, renderDocsBlock, renderMarkdown } from '../../scripts/rto/render';
import { PUBLISHED, TARGETS } from '../../scripts/rto/sources';
import { buildApp } from '../helpers';

/** nag and the template lint run over the whole app in test/app.test.ts. */
const TEMPLATES_ONLY = { checks: false };

/** Templates of the app as `npm run rto -- -c key=value ...` would synthesize them. */
const synthesize = (overrides: Record<string, string> = {}) =>
  stacksOf(buildApp(overrides, TEMPLATES_ONLY).app.synth());

const rowOf = (stacks: readonly StackTemplate[], id: RowId): RecoveryRow => {
  const row = modelRecovery(stacks).find((r) => r.id === id);
  if (!row) throw new Error(`no ${id} row`);
  return row;
};

/** A deep copy of `stacks` with every Service stack's template passed through `edit`. */
function editServiceTemplates(
  stacks: readonly StackTemplate[],
  edit: (resources: Record<string, CfnResource & { Properties: Record<string, any> }>) => void,
): StackTemplate[] {
  return stacks.map((stack) => {
    const copy: StackTemplate = structuredClone(stack);
    if (/-Service-/.test(copy.stackName)) edit(copy.resources as never);
    return copy;
  });
}

const idOfType = (resources: Record<string, CfnResource>, type: string, configType?: string) =>
  Object.entries(resources).find(
    ([, r]) => r.Type === type && (!configType || r.Properties?.HealthCheckConfig?.Type === configType),
  )![0];
const recordOf = (resources: Record<string, CfnResource & { Properties: Record<string, any> }>) =>
  resources[idOfType(resources, 'AWS::Route53::RecordSet')].Properties;

/**
 * Points the origin record at a new CALCULATED check over `child` and an ARC routing-control
 * switch, healthy while `healthThreshold` of the two are.
 */
function recordOnCalculatedParent(
  resources: Record<string, CfnResource & { Properties: Record<string, any> }>,
  child: unknown,
  healthThreshold: number,
): void {
  resources.TestSwitch = {
    Type: 'AWS::Route53::HealthCheck',
    Properties: { HealthCheckConfig: { Type: 'RECOVERY_CONTROL', RoutingControlArn: 'arn' } },
  };
  resources.TestParent = {
    Type: 'AWS::Route53::HealthCheck',
    Properties: {
      HealthCheckConfig: {
        Type: 'CALCULATED',
        ChildHealthChecks: [child, { Ref: 'TestSwitch' }],
        HealthThreshold: healthThreshold,
      },
    },
  };
  recordOf(resources).HealthCheckId = { Ref: 'TestParent' };
}

describe('modeled RTO/RPO (npm run rto)', () => {
  let prod: StackTemplate[];
  let dev: StackTemplate[];
  /** One more failed check for Route 53 and two more for the ALB. */
  let stricter: StackTemplate[];
  /** Route 53 probes every 30 s; a new api task needs 7 passed ALB checks. */
  let slower: StackTemplate[];

  beforeAll(() => {
    prod = synthesize();
    dev = synthesize({ profile: 'dev' });
    stricter = synthesize({ 'dns.healthCheckFailureThreshold': '3', 'compute.api.unhealthyThreshold': '4' });
    slower = synthesize({ 'dns.healthCheckIntervalSeconds': '30', 'compute.api.healthyThreshold': '7' });
  });

  test('one row per failure mode, in a fixed order', () => {
    expect(modelRecovery(prod).map((r) => r.id)).toEqual([
      'task-loss-api',
      'task-loss-worker',
      'az-loss',
      'cache-node',
      'db-writer',
      'region-stateless',
      'region-data',
    ]);
  });

  test('prod: task loss reads the target group, and queued work is never lost', () => {
    // GIVEN 10 s ALB checks, 2 to fail, 2 to pass; WHEN a task hangs
    const api = rowOf(prod, 'task-loss-api');
    // THEN it leaves the rotation after 20 s, 30 s unaligned
    expect([api.rto.bestSeconds, api.rto.worstSeconds]).toEqual([20, 30]);
    expect(api.rto.summary).toMatch(/full capacity after 100–110 s/);
    expect(api.inputs).toContainEqual({ name: 'task start', value: '60 s', source: 'assumed' });
    const worker = rowOf(prod, 'task-loss-worker');
    expect(worker.rto.worstSeconds).toBe(60);
    expect(worker.rpo.worstSeconds).toBe(0);
  });

  test('prod: in-region failovers use the published figures', () => {
    expect(rowOf(prod, 'db-writer').rto.worstSeconds).toBe(PUBLISHED.auroraFailover.seconds);
    expect(rowOf(prod, 'db-writer').rpo.worstSeconds).toBe(0);
    expect(rowOf(prod, 'cache-node').rto.worstSeconds).toBe(PUBLISHED.elastiCacheFailover.seconds);
    const az = rowOf(prod, 'az-loss');
    expect(az.rto.worstSeconds).toBe(PUBLISHED.auroraFailover.seconds);
    expect(az.recovery).toMatch(/a NAT gateway in each of the 3 AZs/);
  });

  test('prod: region failover meets its 60 s target with the 10 s record TTL, and the table says by how much', () => {
    const region = rowOf(prod, 'region-stateless');
    // 10 s × 2 checks, up to one interval unaligned, then the record's 10 s TTL
    expect([region.rto.bestSeconds, region.rto.worstSeconds]).toEqual([30, 40]);
    expect(region.verdicts).toEqual([
      { on: 'RTO', target: TARGETS.statelessRegionFailover, meets: true, marginSeconds: 20 },
    ]);
    expect(renderMarkdown(modelRecovery(prod))).toContain('RTO yes (20 s to spare)');
  });

  test('prod: the data tier meets its RPO and promoted-write targets', () => {
    const data = rowOf(prod, 'region-data');
    expect(data.verdicts.map((v) => [v.on, v.meets, v.marginSeconds])).toEqual([
      ['RPO', true, 0],
      ['RTO', true, 80],
    ]);
    // managed failover (3 min, published) + global writer DNS (30 s, assumed) + the tasks' 10 s writer check
    expect(data.rto.worstSeconds).toBe(220);
  });

  test('dev: one region and no readers leave nothing to fail over to', () => {
    expect(rowOf(dev, 'region-stateless').verdicts).toEqual([
      { on: 'RTO', target: TARGETS.statelessRegionFailover, meets: false, marginSeconds: null },
    ]);
    expect(rowOf(dev, 'region-data').verdicts.map((v) => v.meets)).toEqual([false, false]);
    expect(rowOf(dev, 'db-writer').rto.worstSeconds).toBe(PUBLISHED.auroraRecreate.seconds);
    const az = rowOf(dev, 'az-loss');
    expect(az.rto.worstSeconds).toBeNull();
    expect(az.recovery).toMatch(/1 NAT instance\(s\) for 2 AZs/);
    expect(az.inputs).toContainEqual(expect.objectContaining({ name: 'NAT instances', value: '1' }));
    // one cache node: nothing to promote
    expect(rowOf(dev, 'cache-node').rto.worstSeconds).toBeNull();
    expect(rowOf(dev, 'cache-node').recovery).toMatch(/^no automatic failover/);
  });

  test('one more Route 53 failure moves region failover by one interval; two more ALB failures move task loss by two', () => {
    const move = (id: RowId) => {
      const [before, after] = [rowOf(prod, id).rto, rowOf(stricter, id).rto];
      return [after.bestSeconds! - before.bestSeconds!, after.worstSeconds! - before.worstSeconds!];
    };
    expect(move('region-stateless')).toEqual([10, 10]);
    expect(move('task-loss-api')).toEqual([20, 20]);
    expect(rowOf(stricter, 'region-data').rto).toEqual(rowOf(prod, 'region-data').rto);
  });

  test('a 30 s Route 53 interval moves region failover by threshold (best) and threshold + 1 (worst) intervals', () => {
    const [before, after] = [rowOf(prod, 'region-stateless').rto, rowOf(slower, 'region-stateless').rto];
    expect(after.bestSeconds! - before.bestSeconds!).toBe(2 * 20);
    expect(after.worstSeconds! - before.worstSeconds!).toBe(3 * 20);
    // 30 s × 2 + up to 30 s + 10 s TTL = 70–100 s: now over the 60 s target
    expect(rowOf(slower, 'region-stateless').verdicts[0]).toMatchObject({ meets: false, marginSeconds: -40 });
    // The ALB's checks, not Route 53's, take a task out of the rotation.
    const taskOut = (stacks: StackTemplate[]) => {
      const { bestSeconds, worstSeconds } = rowOf(stacks, 'task-loss-api').rto;
      return [bestSeconds, worstSeconds];
    };
    expect(taskOut(slower)).toEqual(taskOut(prod));
  });

  test('promoted writes wait for the writer check, not for new tasks; without writer discovery for new tasks', () => {
    const verdictOf = (stacks: StackTemplate[]) => rowOf(stacks, 'region-data').verdicts.find((v) => v.on === 'RTO')!;
    // 180 s failover + 30 s DNS + 10 s check, whatever the tasks' health checks take.
    expect(verdictOf(prod)).toMatchObject({ meets: true, marginSeconds: 80 });
    expect(verdictOf(slower)).toMatchObject({ meets: true, marginSeconds: 80 });
    const withoutDiscovery = (stacks: StackTemplate[]) =>
      editServiceTemplates(stacks, (resources) => {
        for (const resource of Object.values(resources)) {
          if (resource.Type !== 'AWS::ECS::TaskDefinition') continue;
          const text = JSON.stringify(resource.Properties).replaceAll('globalWriterHost', 'noWriterDiscovery');
          resource.Properties = JSON.parse(text);
        }
      });
    // New tasks: 2 passed checks × 10 s + 60 s start = 80 s; with 7 checks 130 s, 310 s against 300 s.
    expect(verdictOf(withoutDiscovery(prod))).toMatchObject({ meets: true, marginSeconds: 40 });
    expect(verdictOf(withoutDiscovery(slower))).toMatchObject({ meets: false, marginSeconds: -10 });
    expect(rowOf(withoutDiscovery(prod), 'region-data').recovery).toMatch(/task-definition revision/);
  });

  test('a longer writer check moves promoted writes by the difference', () => {
    const verdictOf = (stacks: StackTemplate[]) => rowOf(stacks, 'region-data').verdicts.find((v) => v.on === 'RTO')!;
    const slowerChecks = editServiceTemplates(prod, (resources) => {
      for (const resource of Object.values(resources)) {
        if (resource.Type !== 'AWS::ECS::TaskDefinition') continue;
        for (const container of resource.Properties.ContainerDefinitions) {
          container.Environment.push({ Name: 'DB_WRITER_CHECK_MS', Value: '60000' });
        }
      }
    });
    expect(verdictOf(slowerChecks)).toMatchObject({ meets: true, marginSeconds: 30 });
  });

  test('reads the templates, not the config', () => {
    const edited = editServiceTemplates(prod, (resources) => {
      resources[idOfType(resources, 'AWS::ElasticLoadBalancingV2::TargetGroup')].Properties.HealthCheckIntervalSeconds =
        5;
    });
    expect(rowOf(edited, 'task-loss-api').rto.bestSeconds).toBe(10);
  });

  test('a record on the HTTPS check itself or on a calculated parent of it fails over alike', () => {
    const bare = editServiceTemplates(prod, (resources) => {
      recordOf(resources).HealthCheckId = { Ref: idOfType(resources, 'AWS::Route53::HealthCheck', 'HTTPS') };
    });
    const parent = editServiceTemplates(bare, (resources) =>
      recordOnCalculatedParent(resources, recordOf(resources).HealthCheckId, 2),
    );
    for (const stacks of [bare, parent]) {
      const rto = rowOf(stacks, 'region-stateless').rto;
      expect([rto.bestSeconds, rto.worstSeconds]).toEqual([30, 40]);
    }
    expect(rowOf(parent, 'region-stateless').detection).toMatch(
      /calculated check \(healthy while 2 of 2 children are\)/,
    );
  });

  test('a calculated parent that needs only one healthy child never withdraws a lost region', () => {
    const lenient = editServiceTemplates(prod, (resources) =>
      recordOnCalculatedParent(resources, { Ref: idOfType(resources, 'AWS::Route53::HealthCheck', 'HTTPS') }, 1),
    );
    const region = rowOf(lenient, 'region-stateless');
    expect(region.rto.worstSeconds).toBeNull();
    expect(region.verdicts[0].meets).toBe(false);
  });

  test('docs/resilience.md holds the table of the default app (regenerate: npm run rto -- --write)', () => {
    const committed = sectionOf(readFileSync(RESILIENCE_DOC, 'utf-8'), RTO_MARKERS);
    expect(committed).toBeDefined();
    expect(committed).toEqual(renderDocsBlock(modelRecovery(prod)));
  });

  test('takes -c overrides as cdk does, and --write', () => {
    expect(parseArgs(['-c', 'profile=dev', '--context', 'a.b=c=d', '--context=x=1', '--write'])).toEqual({
      context: { profile: 'dev', 'a.b': 'c=d', x: '1' },
      write: true,
    });
    expect(() => parseArgs(['-c'])).toThrow(/argument missing/);
    expect(() => parseArgs(['-c', '=x'])).toThrow(/-c =x: expected key=value/);
    expect(() => parseArgs(['--profile', 'dev'])).toThrow(/^unknown option --profile \(usage: npm run rto -- /);
  });
});
