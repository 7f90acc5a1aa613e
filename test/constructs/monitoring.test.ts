import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiService } from '../../lib/constructs/api-service';
import { RegionalCache } from '../../lib/constructs/cache';
import { AuroraShard } from '../../lib/constructs/database';
import { InvalidationMesh } from '../../lib/constructs/invalidation-mesh';
import { RegionalMonitoring, RegionalMonitoringProps } from '../../lib/constructs/monitoring';
import { ServiceTask } from '../../lib/constructs/service-task';
import { WorkQueue } from '../../lib/constructs/work-queue';
import { WorkerService } from '../../lib/constructs/worker-service';
import { FEATURE_FLAGS, regionalFoundation } from '../helpers';

const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/0d9e2f4c-1111-2222-3333-444455556666';
const NAMESPACE = 'app/Service';

type Resources = Omit<RegionalMonitoringProps, 'alarmKey' | 'serviceMetricsNamespace' | 'regionLabel'> & {
  readonly key: kms.Key;
};

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly resources: Resources;
  readonly monitoring: RegionalMonitoring;
  readonly template: Template;
}

/** A region in miniature, from the real constructs: data tier, both services, then their monitoring. */
function buildRegion(
  props: Partial<RegionalMonitoringProps> = {},
  {
    role = 'secondary',
    nag = false,
    cacheReplicas = 1,
    databaseReaders,
  }: { role?: 'primary' | 'secondary'; nag?: boolean; cacheReplicas?: number; databaseReaders?: number } = {},
): Built {
  const app = new App({ context: FEATURE_FLAGS });
  const region = 'eu-west-1';
  const stack = new Stack(app, 'Region', { env: { region } });
  const resources = regionResources(stack, role, cacheReplicas, databaseReaders);
  const monitoring = new RegionalMonitoring(stack, 'Monitoring', {
    ...resources,
    alarmKey: resources.key,
    serviceMetricsNamespace: NAMESPACE,
    regionLabel: `${region} (${role})`,
    ...props,
  });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, resources, monitoring, template: Template.fromStack(stack) };
}

function regionResources(
  stack: Stack,
  role: 'primary' | 'secondary',
  cacheReplicas = 1,
  databaseReaders?: number,
): Resources {
  const region = stack.region;
  const { key, vpc } = regionalFoundation(stack);
  const clientSecurityGroup = new ec2.SecurityGroup(stack, 'DataClients', { vpc, description: 'Data clients' });
  const databases = [0, 1].map(
    (shardIndex) =>
      new AuroraShard(stack, `Shard${shardIndex}`, {
        appName: 'app',
        shardIndex,
        role,
        vpc,
        key: key,
        clientSecurityGroup,
        readers: databaseReaders,
      }),
  );
  const cache = new RegionalCache(stack, 'Cache', {
    vpc,
    key: key,
    clientSecurityGroup,
    replicationGroupId: 'app-cache',
    replicas: cacheReplicas,
  });
  const workQueue = new WorkQueue(stack, 'WorkQueue', { key: key, queueName: 'app-work' });
  const invalidation = new InvalidationMesh(stack, 'Invalidation', {
    appName: 'app',
    regions: ['us-east-1', region],
    region,
    key: key,
  });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENHANCED });
  const task = (id: string, extra: { containerPort?: number; command?: string[] }) =>
    new ServiceTask(stack, id, {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-slim'),
      cpu: 512,
      memoryMiB: 1024,
      architecture: 'arm64',
      logKey: key,
      ...extra,
    });
  const apiTask = task('ApiTask', { containerPort: 8080 });
  const workerTask = task('WorkerTask', { command: ['node', 'dist/worker.js'] });
  const api = new ApiService(stack, 'Api', {
    cluster,
    vpc,
    task: apiTask,
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', CERTIFICATE_ARN),
    originVerify: {
      headerName: 'X-Origin-Verify',
      headerValue: '{{resolve:secretsmanager:app/ov:SecretString:value}}',
    },
    securityGroups: [clientSecurityGroup],
  });
  const worker = new WorkerService(stack, 'Worker', {
    cluster,
    taskDefinition: workerTask.taskDefinition,
    queue: workQueue.queue,
    deadLetterQueue: workQueue.deadLetterQueue,
    securityGroups: [clientSecurityGroup],
    minTasks: 1,
    maxTasks: 4,
    acceptableBacklogPerTask: 100,
  });
  return {
    key,
    api,
    worker,
    databases,
    cache,
    workQueue,
    invalidation,
    serviceLogs: { api: apiTask.logGroup, worker: workerTask.logGroup },
  };
}

/** The logical id of a construct's CloudFormation resource. */
const idOf = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

type AlarmResource = { Properties: Record<string, any> };

/** Alarms of the template whose construct id (logical id prefix) starts with `prefix`. */
function alarmsNamed(template: Template, prefix: string): Record<string, AlarmResource> {
  const all = template.findResources('AWS::CloudWatch::Alarm') as Record<string, AlarmResource>;
  return Object.fromEntries(Object.entries(all).filter(([id]) => id.startsWith(`Monitoring${prefix}`)));
}

/** Every `MetricStat.Metric` (or plain metric) an alarm reads. */
function metricsOf(alarm: {
  Properties: Record<string, any>;
}): { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] }[] {
  const p = alarm.Properties;
  if (p.MetricName) return [{ Namespace: p.Namespace, MetricName: p.MetricName, Dimensions: p.Dimensions ?? [] }];
  return (p.Metrics as any[])
    .filter((m) => m.MetricStat)
    .map((m) => ({ ...m.MetricStat.Metric, Dimensions: m.MetricStat.Metric.Dimensions ?? [] }));
}

function dimension(metric: { Dimensions: { Name: string; Value: unknown }[] }, name: string): unknown {
  return metric.Dimensions.find((d) => d.Name === name)?.Value;
}

function nagViolations(app: App): unknown[] {
  // synth() throws on any unacknowledged cdk-nag or template-lint finding.
  const assembly = app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf-8'));
  return (report.pluginReports as { violations: unknown[] }[]).flatMap((r) => r.violations);
}

describe('RegionalMonitoring of a secondary region with defaults', () => {
  let built: Built;
  let template: Template;
  let topics: { page: string; ticket: string };
  beforeAll(() => {
    built = buildRegion({}, { nag: true });
    template = built.template;
    topics = {
      page: idOf(built.stack, built.monitoring.topics.page),
      ticket: idOf(built.stack, built.monitoring.topics.ticket),
    };
  });

  test('one topic per severity, encrypted with the alarm key and refusing plain HTTP', () => {
    template.resourceCountIs('AWS::SNS::Topic', 3); // page, ticket and the invalidation topic
    for (const topic of Object.values(topics)) {
      const keyArn = template.toJSON().Resources[topic].Properties.KmsMasterKeyId;
      expect(keyArn).toEqual({ 'Fn::GetAtt': [idOf(built.stack, built.resources.key), 'Arn'] });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topic }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  test('the alarm key lets CloudWatch alarms of this account and region encrypt to the topics', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarmsOfThisAccount',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  test('no e-mail subscription unless an address is given', () => {
    template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email' }, 0);
  });

  test('every alarm notifies its own severity topic, pages also on recovery, and states how missing data counts', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    const ours = Object.entries(alarms).filter(([id]) => id.startsWith('Monitoring'));
    expect(ours.length).toBeGreaterThan(30);
    for (const [id, alarm] of ours) {
      const severity = id.startsWith('MonitoringPage') ? 'page' : 'ticket';
      expect(id).toMatch(/^Monitoring(Page|Ticket)/);
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topics[severity] }]);
      expect(alarm.Properties.OKActions ?? []).toEqual(severity === 'page' ? [{ Ref: topics.page }] : []);
      expect(alarm.Properties.TreatMissingData).toMatch(/^(breaching|notBreaching|missing)$/);
      expect(alarm.Properties.AlarmDescription).toMatch(new RegExp(`^\\[${severity}\\] eu-west-1 \\(secondary\\): `));
    }
  });

  test('service alarms read the real ECS services: CPU and memory of both, tasks missing from Container Insights', () => {
    const services = [built.resources.api.service, built.resources.worker.service];
    for (const [prefix, metricName] of [
      ['TicketServiceCpuPercent', 'CPUUtilization'],
      ['TicketServiceMemoryPercent', 'MemoryUtilization'],
    ]) {
      const alarms = Object.values(alarmsNamed(template, prefix));
      expect(alarms).toHaveLength(2);
      expect(alarms.map((a) => metricsOf(a)[0])).toEqual(
        services.map((service) =>
          expect.objectContaining({
            Namespace: 'AWS/ECS',
            MetricName: metricName,
            Dimensions: expect.arrayContaining([
              { Name: 'ServiceName', Value: { 'Fn::GetAtt': [idOf(built.stack, service), 'Name'] } },
            ]),
          }),
        ),
      );
    }
    const missing = Object.values(alarmsNamed(template, 'TicketMissingTasks'));
    expect(missing).toHaveLength(2);
    for (const alarm of missing) {
      expect(metricsOf(alarm).map((m) => [m.Namespace, m.MetricName])).toEqual([
        ['ECS/ContainerInsights', 'DesiredTaskCount'],
        ['ECS/ContainerInsights', 'RunningTaskCount'],
      ]);
      expect(alarm.Properties.TreatMissingData).toBe('missing');
    }
  });

  test('load balancer alarms read the real load balancer and target group', () => {
    // Target-group metrics name the load balancer through the listener ARN; its own metrics by full name.
    const listener = idOf(built.stack, built.resources.api.httpsListener);
    const loadBalancer = {
      'Fn::GetAtt': [idOf(built.stack, built.resources.api.loadBalancer), 'LoadBalancerFullName'],
    };
    const targetGroup = { 'Fn::GetAtt': [idOf(built.stack, built.resources.api.targetGroup), 'TargetGroupFullName'] };
    const [healthy] = Object.values(alarmsNamed(template, 'PageMinHealthyHosts'));
    const [hosts] = metricsOf(healthy);
    expect(hosts).toMatchObject({ Namespace: 'AWS/ApplicationELB', MetricName: 'HealthyHostCount' });
    expect(dimension(hosts, 'TargetGroup')).toEqual(targetGroup);
    expect(JSON.stringify(dimension(hosts, 'LoadBalancer'))).toContain(listener);
    expect(healthy.Properties).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });

    const [rate] = Object.values(alarmsNamed(template, 'PageApi5xxRatePercent'));
    const byName = Object.fromEntries(metricsOf(rate).map((m) => [m.MetricName, m]));
    expect(Object.keys(byName).sort()).toEqual(['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count', 'RequestCount']);
    expect(dimension(byName.RequestCount, 'TargetGroup')).toEqual(targetGroup);
    expect(dimension(byName.HTTPCode_Target_5XX_Count, 'TargetGroup')).toEqual(targetGroup);
    expect(byName.HTTPCode_ELB_5XX_Count.Dimensions).toEqual([{ Name: 'LoadBalancer', Value: loadBalancer }]);
    expect(rate.Properties.Threshold).toBe(5);

    const [latency] = Object.values(alarmsNamed(template, 'PageP99LatencyMs'));
    expect(latency.Properties).toMatchObject({
      MetricName: 'TargetResponseTime',
      ExtendedStatistic: 'p99',
      Threshold: 3,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
    });
    expect(dimension(metricsOf(latency)[0], 'TargetGroup')).toEqual(targetGroup);
  });

  test('database alarms read each shard cluster; a secondary also alarms on global replication lag', () => {
    const clusters = built.resources.databases.map((shard) => ({ Ref: idOf(built.stack, shard.cluster) }));
    for (const prefix of [
      'TicketDatabaseCpuPercent',
      'TicketDatabaseConnections',
      'TicketReplicaLagMs',
      'PageGlobalReplicationLagMs',
      'TicketGlobalReplicationLagMs',
    ]) {
      const alarms = Object.values(alarmsNamed(template, prefix));
      expect(alarms.map((a) => dimension(metricsOf(a)[0], 'DBClusterIdentifier'))).toEqual(clusters);
      expect(metricsOf(alarms[0])[0].Namespace).toBe('AWS/RDS');
    }
    const [lag] = Object.values(alarmsNamed(template, 'PageGlobalReplicationLagMs'));
    expect(lag.Properties).toMatchObject({ MetricName: 'AuroraGlobalDBReplicationLag', Threshold: 60000 });
  });

  test('cache alarms read every node of the replication group', () => {
    for (const prefix of [
      'TicketCacheCpuPercent',
      'TicketCacheMemoryPercent',
      'TicketCacheEvictionsPerMinute',
      'TicketCacheReplicationLagSeconds',
    ]) {
      const [alarm] = Object.values(alarmsNamed(template, prefix));
      expect(metricsOf(alarm).map((m) => [m.Namespace, dimension(m, 'CacheClusterId')])).toEqual([
        ['AWS/ElastiCache', 'app-cache-001'],
        ['AWS/ElastiCache', 'app-cache-002'],
      ]);
    }
  });

  test('queue alarms read the work and invalidation queues and both dead-letter queues', () => {
    const queueName = (queue: { node: { defaultChild?: unknown } }) => ({
      'Fn::GetAtt': [idOf(built.stack, queue), 'QueueName'],
    });
    const { workQueue, invalidation } = built.resources;
    const dlq = Object.values(alarmsNamed(template, 'TicketDlqDepth'));
    expect(dlq.map((a) => [a.Properties.MetricName, a.Properties.Dimensions[0].Value])).toEqual([
      ['ApproximateNumberOfMessagesVisible', queueName(workQueue.deadLetterQueue)],
      ['ApproximateNumberOfMessagesVisible', queueName(invalidation.deadLetterQueue)],
    ]);
    expect(dlq[0].Properties).toMatchObject({ Threshold: 1, TreatMissingData: 'notBreaching' });
    expect(Object.values(alarmsNamed(template, 'PageDlqDepth')).map((a) => a.Properties.Threshold)).toEqual([100, 100]);
    const [work] = Object.values(alarmsNamed(template, 'TicketWorkQueueAgeSeconds'));
    expect(work.Properties).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: queueName(workQueue.queue) }],
    });
    const [invalidationAge] = Object.values(alarmsNamed(template, 'TicketInvalidationQueueAgeSeconds'));
    expect(invalidationAge.Properties.Dimensions).toEqual([
      { Name: 'QueueName', Value: queueName(invalidation.queue) },
    ]);
  });

  test('business alarms read the EMF metrics the service emits, with a dimension set it materialises', () => {
    const emf = (prefix: string) => Object.values(alarmsNamed(template, prefix)).flatMap(metricsOf);
    const dims = (m: ReturnType<typeof metricsOf>[number]) =>
      Object.fromEntries(m.Dimensions.map((d) => [d.Name, d.Value]));
    expect(emf('PageLoadShedPercent').map((m) => [m.Namespace, m.MetricName, dims(m)])).toEqual([
      [NAMESPACE, 'Requests', { Service: 'api', StatusClass: '2xx' }],
      [NAMESPACE, 'Requests', { Service: 'api', StatusClass: '3xx' }],
      [NAMESPACE, 'Requests', { Service: 'api', StatusClass: '4xx' }],
      [NAMESPACE, 'Requests', { Service: 'api', StatusClass: '5xx' }],
      [NAMESPACE, 'LoadShed', { Service: 'api' }],
    ]);
    expect(emf('TicketInvalidationPublishFailures').map((m) => [m.MetricName, dims(m)])).toEqual([
      ['InvalidationPublishFailures', { Service: 'api' }],
      ['InvalidationPublishFailures', { Service: 'worker' }],
    ]);
    expect(emf('PageOutboxOldestAgeSeconds').map((m) => m.MetricName)).toEqual(['OutboxOldestAge', 'OutboxOldestAge']);
    expect(emf('TicketFailedJobs').map((m) => [m.MetricName, dims(m)])).toEqual([
      ['JobsProcessed', { Service: 'worker', Outcome: 'failed' }],
    ]);
    expect(emf('TicketErrorLogs').map((m) => [m.Namespace, m.MetricName, dims(m)])).toEqual([
      [NAMESPACE, 'ErrorLogs', { Service: 'api' }],
      [NAMESPACE, 'ErrorLogs', { Service: 'worker' }],
    ]);
  });

  test('error logs of both services are counted by metric filters on their log groups', () => {
    for (const logGroup of Object.values(built.resources.serviceLogs)) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: idOf(built.stack, logGroup as never) },
        FilterPattern: '{ ($.level = "error") || ($.level = "fatal") }',
        MetricTransformations: [
          {
            MetricNamespace: NAMESPACE,
            MetricName: 'ErrorLogs',
            MetricValue: '1',
            Dimensions: [{ Key: 'Service', Value: '$.service' }],
          },
        ],
      });
    }
  });

  test('the region-health composite is the OR of the 5xx-rate, no-healthy-hosts and p99-latency page alarms', () => {
    const composites = template.findResources('AWS::CloudWatch::CompositeAlarm');
    const [composite] = Object.values(composites);
    const { api5xxRatePercent, minHealthyHosts, p99LatencyMs } = built.monitoring.regionHealthInputs;
    expect(composite.Properties.AlarmRule).toEqual({
      'Fn::Join': ['', expect.any(Array)],
    });
    const rule = JSON.stringify(composite.Properties.AlarmRule);
    for (const child of [api5xxRatePercent, minHealthyHosts, p99LatencyMs]) {
      expect(rule).toContain(idOf(built.stack, child));
    }
    expect(rule.match(/ OR /g)).toHaveLength(2);
    expect(composite.Properties.AlarmActions).toEqual([{ Ref: topics.page }]);
    expect(built.monitoring.regionHealthInputs.minHealthyHosts).toBe(built.monitoring.alarms.page.minHealthyHosts![0]);
  });

  test('the dashboard has the alarm overview and the service, data, queue and edge sections, without WAF by default', () => {
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const section of ['## Service', '## Data', '## Queues', '## Edge', 'Alarms in eu-west-1']) {
      expect(body).toContain(section);
    }
    for (const business of [
      'Requests by status class',
      'ItemsWritten',
      'JobsProcessed',
      'DailyActiveUsers',
      'CacheHitRatio',
    ]) {
      expect(body).toContain(business);
    }
    expect(body).not.toContain('AWS/WAFV2');
  });

  test('synthesizes with no cdk-nag or template-lint finding', () => {
    expect(nagViolations(built.app)).toEqual([]);
  });
});

describe('RegionalMonitoring of the primary region, with e-mail, WAF and custom thresholds', () => {
  let built: Built;
  let template: Template;
  beforeAll(() => {
    built = buildRegion(
      {
        alarmEmail: 'oncall@example.org',
        webAclName: 'app-edge',
        thresholds: { page: { p99LatencyMs: 1500, dlqDepth: undefined }, ticket: { dlqDepth: 5 } },
        latencyPeriods: 3,
      },
      { role: 'primary' },
    );
    template = built.template;
  });

  test('both topics get the e-mail subscription', () => {
    for (const topic of Object.values(built.monitoring.topics)) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'oncall@example.org',
        TopicArn: { Ref: idOf(built.stack, topic) },
      });
    }
  });

  test('a primary has no global replication lag alarm: Aurora emits it for secondaries only', () => {
    expect(Object.keys(alarmsNamed(template, 'PageGlobalReplicationLagMs'))).toEqual([]);
    expect(Object.keys(alarmsNamed(template, 'TicketGlobalReplicationLagMs'))).toEqual([]);
    expect(Object.keys(alarmsNamed(template, 'TicketReplicaLagMs'))).toHaveLength(2);
  });

  test('given thresholds override the defaults key by key, and undefined drops an alarm', () => {
    const [latency] = Object.values(alarmsNamed(template, 'PageP99LatencyMs'));
    expect(latency.Properties).toMatchObject({ Threshold: 1.5, EvaluationPeriods: 3 });
    expect(Object.keys(alarmsNamed(template, 'PageDlqDepth'))).toEqual([]);
    expect(Object.values(alarmsNamed(template, 'TicketDlqDepth')).map((a) => a.Properties.Threshold)).toEqual([5, 5]);
    expect(Object.values(alarmsNamed(template, 'PageApi5xxRatePercent')).map((a) => a.Properties.Threshold)).toEqual([
      5,
    ]);
  });

  test('the edge section graphs the web ACL blocked requests in us-east-1', () => {
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain(
      '[\\"AWS/WAFV2\\",\\"BlockedRequests\\",\\"Rule\\",\\"ALL\\",\\"WebACL\\",\\"app-edge\\",{\\"region\\":\\"us-east-1\\"',
    );
  });
});

describe('RegionalMonitoring of a region whose cache and database have no replica (dev)', () => {
  let template: Template;
  beforeAll(() => {
    // GIVEN cache.replicas = 0 (one node, which reports no ReplicationLag) and a primary database
    // without readers (no instance reports AuroraReplicaLag)
    template = buildRegion({}, { role: 'primary', cacheReplicas: 0, databaseReaders: 0 }).template;
  });

  test('has no database replica-lag alarm, and no replication-lag graph with nothing to show', () => {
    expect(Object.keys(alarmsNamed(template, 'PageReplicaLagMs'))).toEqual([]);
    expect(Object.keys(alarmsNamed(template, 'TicketReplicaLagMs'))).toEqual([]);
    expect(JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'))).not.toContain('AuroraReplicaLag');
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('Database connections');
    expect(body).not.toContain('Database replication lag');
  });

  test('has no cache replication-lag alarm of either severity', () => {
    expect(Object.keys(alarmsNamed(template, 'PageCacheReplicationLagSeconds'))).toEqual([]);
    expect(Object.keys(alarmsNamed(template, 'TicketCacheReplicationLagSeconds'))).toEqual([]);
    expect(JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'))).not.toContain('ReplicationLag"');
  });

  test('still alarms on the one node for CPU, memory and evictions', () => {
    for (const prefix of ['TicketCacheCpuPercent', 'TicketCacheMemoryPercent', 'TicketCacheEvictionsPerMinute']) {
      const [alarm] = Object.values(alarmsNamed(template, prefix));
      expect(metricsOf(alarm).map((m) => dimension(m, 'CacheClusterId'))).toEqual(['app-cache-001']);
    }
  });

  test('the dashboard has no cache replication-lag graph', () => {
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('Cache engine CPU');
    expect(body).not.toContain('Cache replication lag');
  });
});

describe('RegionalMonitoring validation', () => {
  let stack: Stack;
  let resources: Resources;
  let n = 0;
  beforeAll(() => {
    const app = new App({ context: FEATURE_FLAGS });
    stack = new Stack(app, 'Region', { env: { region: 'eu-west-1' } });
    resources = regionResources(stack, 'secondary');
  });
  const make = (props: Partial<RegionalMonitoringProps>) => () =>
    new RegionalMonitoring(stack, `Monitoring${n++}`, {
      ...resources,
      alarmKey: resources.key,
      serviceMetricsNamespace: NAMESPACE,
      regionLabel: 'eu-west-1',
      ...props,
    });

  test.each<[string, Partial<RegionalMonitoringProps>, RegExp]>([
    [
      'a percentage above 100',
      { thresholds: { page: { api5xxRatePercent: 101 } } },
      /^Region\/Monitoring\d+: thresholds\.page\.api5xxRatePercent = 101 is out of range \(allowed: a number above 0 and at most 100\)$/,
    ],
    [
      'a zero threshold',
      { thresholds: { ticket: { serviceCpuPercent: 0 } } },
      /^Region\/Monitoring\d+: thresholds\.ticket\.serviceCpuPercent = 0 is out of range/,
    ],
    [
      'a negative latency',
      { thresholds: { ticket: { p99LatencyMs: -5 } } },
      /^Region\/Monitoring\d+: thresholds\.ticket\.p99LatencyMs = -5 is out of range \(allowed: a number of milliseconds above 0/,
    ],
    [
      'a fractional count',
      { thresholds: { ticket: { dlqDepth: 1.5 } } },
      /^Region\/Monitoring\d+: thresholds\.ticket\.dlqDepth = 1\.5 is out of range \(allowed: an integer from 1 to 1000000\)$/,
    ],
    [
      'a queue age beyond SQS retention',
      { thresholds: { ticket: { workQueueAgeSeconds: 14 * 86400 + 1 } } },
      /^Region\/Monitoring\d+: thresholds\.ticket\.workQueueAgeSeconds = 1209601 is out of range/,
    ],
    [
      'an unknown severity',
      { thresholds: { warn: {} } as never },
      /^Region\/Monitoring\d+: thresholds\.warn = \{\} is not allowed \(allowed: page or ticket\)$/,
    ],
    [
      'an unknown key',
      { thresholds: { page: { cpu: 5 } as never } },
      /^Region\/Monitoring\d+: thresholds\.page\.cpu = 5 is not allowed \(allowed: one of serviceCpuPercent, /,
    ],
    [
      'a region-health input dropped',
      { thresholds: { page: { minHealthyHosts: undefined } } },
      /^Region\/Monitoring\d+: thresholds\.page\.minHealthyHosts = \(missing\) is required by the region-health alarm/,
    ],
    [
      'zero latency periods',
      { latencyPeriods: 0 },
      /^Region\/Monitoring\d+: latencyPeriods = 0 is not allowed \(allowed: an integer from 1 to 60\)$/,
    ],
    [
      'an empty e-mail address',
      { alarmEmail: ' ' },
      /^Region\/Monitoring\d+: alarmEmail = " " is empty \(allowed: an e-mail address, or none\)$/,
    ],
    ['an empty web ACL name', { webAclName: '' }, /^Region\/Monitoring\d+: webAclName = "" is empty/],
    ['an empty region label', { regionLabel: '' }, /^Region\/Monitoring\d+: regionLabel = "" is empty/],
    [
      'an empty region-health alarm name',
      { regionHealthAlarmName: ' ' },
      /^Region\/Monitoring\d+: regionHealthAlarmName = " " is not allowed \(allowed: 1 to 255 characters, or none\)$/,
    ],
  ])('rejects %s', (_, props, message) => {
    expect(make(props)).toThrow(message);
  });
});
