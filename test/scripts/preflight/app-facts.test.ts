/**
 * What preflight reads from the synthesized app: regions, bootstrap versions, service-linked
 * roles and per-region quota needs follow the config, with no stack named in the checks.
 */
import { AppFacts, appFacts } from '../../../scripts/preflight/app-facts';
import type { QuotaId } from '../../../scripts/preflight/quota-needs';
import { buildApp } from '../../helpers';

let prodWithArc: AppFacts;
let dev: AppFacts;

beforeAll(() => {
  const factsOf = (overrides: Record<string, unknown>) => {
    const { app, config } = buildApp(overrides, { checks: false });
    return appFacts(app.synth(), config);
  };
  prodWithArc = factsOf({ 'resilience.arc': true, hostedZoneId: 'Z0123456789ABCDEFGHIJ' });
  dev = factsOf({ profile: 'dev' });
});

const count = (facts: AppFacts, region: string, quota: QuotaId) =>
  facts.quotas.find((n) => n.region === region && n.quota === quota)?.count;

test('every region a stack deploys to is checked: the serving regions, the edge and the ARC region', () => {
  expect([...prodWithArc.regions].sort()).toEqual(['ap-northeast-2', 'eu-west-1', 'us-east-1', 'us-west-2']);
  expect(dev.regions).toEqual(['us-east-1']);
});

test('each region needs the bootstrap version the assembly requires, at its version parameter', () => {
  expect(prodWithArc.bootstrap.map((n) => n.region).sort()).toEqual([...prodWithArc.regions].sort());
  for (const need of prodWithArc.bootstrap) {
    expect(need.version).toBeGreaterThanOrEqual(6);
    expect(need.parameter).toBe('/cdk-bootstrap/hnb659fds/version');
  }
});

test("the roles needed are those of the app's ECS, load balancers, caches, Aurora, drills and autoscaling", () => {
  expect(prodWithArc.roles.map((r) => r.roleName)).toEqual([
    'AWSServiceRoleForECS',
    'AWSServiceRoleForElasticLoadBalancing',
    'AWSServiceRoleForElastiCache',
    'AWSServiceRoleForRDS',
    'AWSServiceRoleForFIS',
    'AWSServiceRoleForApplicationAutoScaling_ECSService',
    'AWSServiceRoleForApplicationAutoScaling_RDSCluster',
  ]);
});

test('prod needs per region a VPC, a NAT gateway and an Elastic IP per AZ, and Aurora clusters per shard', () => {
  for (const region of ['us-east-1', 'eu-west-1', 'ap-northeast-2']) {
    expect(count(prodWithArc, region, 'vpcs')).toBe(1);
    expect(count(prodWithArc, region, 'internetGateways')).toBe(1);
    expect(count(prodWithArc, region, 'elasticIps')).toBe(3);
    expect(prodWithArc.quotas.find((n) => n.region === region && n.quota === 'natGatewaysPerAz')).toMatchObject({
      count: 1,
      byZone: expect.objectContaining({ [`${region}a`]: 1 }),
    });
    expect(count(prodWithArc, region, 'dbClusters')).toBe(2); // test/fixtures/context.json profiles.prod.database.shards
  }
  expect(prodWithArc.quotas.some((n) => n.region === 'us-west-2')).toBe(false);
});

test("prod's Fargate need is each service's task vCPUs at its maxTasks", () => {
  // test/fixtures/context.json profiles.prod.compute: api 512 CPU units x 20, worker 256 x 10
  expect(count(prodWithArc, 'eu-west-1', 'fargateVcpu')).toBe(0.5 * 20 + 0.25 * 10);
});

test("the primary region's DB instances include the readers autoscaling may add", () => {
  // two shards, each a writer and a reader, in every region; readers scale to 5 in the primary
  expect(count(prodWithArc, 'eu-west-1', 'dbInstances')).toBe(4);
  expect(count(prodWithArc, 'us-east-1', 'dbInstances')).toBe(4 + 2 * (5 - 1));
});

test("dev's NAT instance needs standard-instance vCPUs and no Elastic IP or NAT gateway", () => {
  expect(count(dev, 'us-east-1', 'standardVcpu')).toBe(2);
  expect(count(dev, 'us-east-1', 'elasticIps')).toBeUndefined();
  expect(count(dev, 'us-east-1', 'natGatewaysPerAz')).toBeUndefined();
});

test("the app's stack names are known, so its own resources are not counted as in use", () => {
  expect(prodWithArc.stacks).toEqual(expect.arrayContaining(['blueprint-Data-eu-west-1', 'blueprint-Edge']));
});

test('the hosted zone to check comes from the config', () => {
  expect(prodWithArc.zone).toEqual({ domainName: 'example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' });
  expect(dev.zone.hostedZoneId).toBeUndefined();
});
