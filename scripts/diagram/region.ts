import { refTarget } from '../common/assembly';
import { Card, RegionColumn } from './model';
import { Props, Resource, TemplateView, literalText, mentions, naturalCompare, plural, thousands } from './template';

/** A region's two stacks: the stateful Data stack and the stateless Service stack. */
export interface RegionStacks {
  readonly data: TemplateView;
  readonly service: TemplateView;
}

/** Cross-region invalidation subscriptions touching one region, counted over every Data stack. */
export interface MeshCounts {
  readonly outgoing: number;
  readonly incoming: number;
}

/** Types counted in a region's header, as the noun to count them with. */
const OPERATIONS: ReadonlyArray<readonly [string, string]> = [
  ['AWS::CloudWatch::Alarm', 'alarm'],
  ['AWS::CloudWatch::CompositeAlarm', 'composite alarm'],
  ['AWS::CloudWatch::Dashboard', 'dashboard'],
  ['AWS::FIS::ExperimentTemplate', 'FIS drill'],
];

export function describeRegion(stacks: RegionStacks, appName: string, mesh: MeshCounts): RegionColumn {
  const { data, service } = stacks;
  const primary = data.count('AWS::RDS::GlobalCluster') > 0;
  const invalidation = invalidationPair(data);
  const balancer = service.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')[0];
  const services = service.ofType('AWS::ECS::Service');
  const behindBalancer = services.filter((s) => (s.props.LoadBalancers ?? []).length > 0);
  const background = services.filter((s) => !behindBalancer.includes(s));
  return {
    region: data.region,
    primary,
    facts: [...networkFacts(data), operationsFact(data, service)].filter((fact) => fact !== ''),
    alb: balancer && albCard(service, balancer),
    api: behindBalancer.length ? serviceCard(service, behindBalancer) : undefined,
    worker: background.length ? serviceCard(service, background) : undefined,
    cache: cacheCard(data),
    queue: workQueueCard(data, invalidation?.queue),
    database: databaseCard(data, appName),
    topic: invalidation && {
      title: 'SNS invalidation topic',
      lines: [
        invalidation.name,
        mesh.outgoing ? `→ queues of ${plural(mesh.outgoing, 'other region')}` : 'no other region to notify',
      ],
      tone: 'data',
    },
    invalidationQueue: invalidation?.queue && {
      title: 'SQS invalidation queue + DLQ',
      lines: [
        invalidation.name,
        mesh.incoming ? `← topics of ${plural(mesh.incoming, 'other region')}` : 'no other region notifies it',
      ],
      tone: 'data',
    },
  };
}

/** `Route53 latency routing · origin.example.com`, from the Service stacks' latency records. */
export function describeRouting(services: readonly TemplateView[]): Card | undefined {
  const records = services.flatMap((stack) =>
    stack
      .ofType('AWS::Route53::RecordSet')
      .filter((record) => record.props.Region && record.props.SetIdentifier)
      .map((record) => ({ stack, record })),
  );
  if (records.length === 0) return undefined;
  const names = [...new Set(records.map(({ record }) => String(record.props.Name).replace(/\.$/, '')))];
  const lines = [`${plural(records.length, 'latency record')}, one per region, each an alias of the region's ALB`];
  const { stack, record } = records[0];
  const check = stack.byId(refTarget(record.props.HealthCheckId));
  if (check) lines.push(`a region leaves DNS when ${healthCheckText(stack, check)}`);
  return { title: `Route53 latency routing · ${names.join(', ')}`, lines, tone: 'service' };
}

/** `its HTTPS /readyz check fails (every 10 s, 2 failures)`, following calculated checks' children. */
function healthCheckText(stack: TemplateView, check: Resource): string {
  const config: Props = check.props.HealthCheckConfig ?? {};
  if (config.ResourcePath) {
    return `its ${config.Type} ${config.ResourcePath} check fails (every ${config.RequestInterval ?? 30} s, ${plural(config.FailureThreshold ?? 3, 'failure')})`;
  }
  if (config.Type === 'CLOUDWATCH_METRIC') {
    const alarm = stack.byId(refTarget(config.AlarmIdentifier?.Name));
    const name = literalText(alarm?.props.AlarmName).replace(stack.region, '<region>');
    return name ? `alarm ${name} fires` : 'its CloudWatch alarm fires';
  }
  if (config.Type === 'RECOVERY_CONTROL') return 'its ARC routing control is turned Off';
  if (config.Type === 'CALCULATED') {
    const children = (config.ChildHealthChecks ?? [])
      .map((child: unknown) => stack.byId(refTarget(child)))
      .filter((child: Resource | undefined): child is Resource => child !== undefined);
    const any = config.HealthThreshold === undefined || config.HealthThreshold >= children.length;
    return children.map((child: Resource) => healthCheckText(stack, child)).join(any ? ', or when ' : ' and when ');
  }
  return `its ${String(config.Type).toLowerCase()} health check fails`;
}

function networkFacts(data: TemplateView): string[] {
  const vpc = data.ofType('AWS::EC2::VPC')[0];
  if (!vpc) return [];
  const zones = new Set(data.ofType('AWS::EC2::Subnet').map((subnet) => String(subnet.props.AvailabilityZone)));
  const endpoints = data.ofType('AWS::EC2::VPCEndpoint');
  const byType = (type: string) => endpoints.filter((e) => (e.props.VpcEndpointType ?? 'Gateway') === type).length;
  // NAT instances are EC2 instances that forward others' packets (source/dest check off).
  const natInstances = data.ofType('AWS::EC2::Instance').filter((i) => i.props.SourceDestCheck === false).length;
  const nat = natInstances ? plural(natInstances, 'NAT instance') : `${data.count('AWS::EC2::NatGateway')} NAT`;
  return [
    `VPC ${literalText(vpc.props.CidrBlock)} · ${plural(zones.size, 'AZ')} · ${nat}`,
    `${byType('Interface')} interface + ${byType('Gateway')} gateway endpoints`,
  ];
}

function operationsFact(data: TemplateView, service: TemplateView): string {
  return OPERATIONS.map(([type, noun]) => [data.count(type) + service.count(type), noun] as const)
    .filter(([count]) => count > 0)
    .map(([count, noun]) => plural(count, noun))
    .join(' · ');
}

function albCard(service: TemplateView, balancer: Resource): Card {
  const listeners = service
    .ofType('AWS::ElasticLoadBalancingV2::Listener')
    .filter((listener) => refTarget(listener.props.LoadBalancerArn) === balancer.logicalId)
    .sort((a, b) => b.props.Port - a.props.Port);
  const lines = [String(balancer.props.Scheme ?? 'internal')];
  for (const listener of listeners) {
    const action: Props = listener.props.DefaultActions?.[0] ?? {};
    const port = `${listener.props.Protocol} :${listener.props.Port}`;
    if (action.Type === 'redirect') {
      lines.push(`${port} redirects to ${action.RedirectConfig?.Protocol ?? 'another port'}`);
      continue;
    }
    const conditions: Props[] = service
      .ofType('AWS::ElasticLoadBalancingV2::ListenerRule')
      .filter((rule) => refTarget(rule.props.ListenerArn) === listener.logicalId)
      .flatMap((rule) => rule.props.Conditions ?? []);
    const admits = [
      ...conditions.filter((c) => c.Field === 'http-header').map((c) => `header ${c.HttpHeaderConfig.HttpHeaderName}`),
      ...conditions.filter((c) => c.Field === 'path-pattern').flatMap((c) => c.PathPatternConfig.Values as string[]),
    ];
    const otherwise = action.Type === 'fixed-response' ? `; else ${action.FixedResponseConfig?.StatusCode}` : '';
    lines.push(admits.length ? `${port} forwards only ${admits.join(' or ')}${otherwise}` : port);
  }
  return { title: 'Application Load Balancer', lines, tone: 'service' };
}

const METRIC_LABELS: Record<string, (target: number) => string> = {
  ECSServiceAverageCPUUtilization: (t) => `CPU ${t}%`,
  ECSServiceAverageMemoryUtilization: (t) => `memory ${t}%`,
  ALBRequestCountPerTarget: (t) => `${thousands(t)} req/task`,
};

/** One card for the services of a kind: `api · Fargate`, task counts from the scalable target. */
function serviceCard(stack: TemplateView, services: readonly Resource[]): Card {
  const names: string[] = [];
  const lines: string[] = [];
  for (const svc of services) {
    const task = stack.byId(refTarget(svc.props.TaskDefinition));
    const container: Props = task?.props.ContainerDefinitions?.[0] ?? {};
    const env: Props[] = container.Environment ?? [];
    names.push(env.find((e) => e.Name === 'SERVICE_NAME')?.Value ?? container.Name ?? svc.logicalId);
    const target = stack
      .ofType('AWS::ApplicationAutoScaling::ScalableTarget')
      .find(
        (t) => t.props.ScalableDimension === 'ecs:service:DesiredCount' && mentions(t.props.ResourceId, svc.logicalId),
      );
    lines.push(
      target
        ? `${target.props.MinCapacity}–${target.props.MaxCapacity} tasks`
        : plural(Number(svc.props.DesiredCount ?? 1), 'task'),
    );
    if (target) {
      const scalesOn = stack
        .ofType('AWS::ApplicationAutoScaling::ScalingPolicy')
        .filter((p) => refTarget(p.props.ScalingTargetId) === target.logicalId)
        .map((p) => scalingLabel(p.props));
      if (scalesOn.length) lines.push(`scales on ${scalesOn.join(', ')}`);
    }
    if (task) {
      const arch = task.props.RuntimePlatform?.CpuArchitecture;
      lines.push(
        [`${Number(task.props.Cpu) / 1024} vCPU`, `${Number(task.props.Memory) / 1024} GiB`, arch]
          .filter(Boolean)
          .join(' · '),
      );
    }
    const port = svc.props.LoadBalancers?.[0]?.ContainerPort;
    const group = stack.byId(refTarget(svc.props.LoadBalancers?.[0]?.TargetGroupArn));
    if (port)
      lines.push(`port ${port}${group?.props.HealthCheckPath ? ` · checked on ${group.props.HealthCheckPath}` : ''}`);
  }
  const launch = services.every((s) => s.props.LaunchType === 'FARGATE') ? ' · Fargate' : '';
  return { title: `${names.join(', ')}${launch}`, lines, tone: 'service' };
}

function scalingLabel(policy: Props): string {
  const tracking = policy.TargetTrackingScalingPolicyConfiguration;
  if (!tracking) return 'steps';
  const predefined = tracking.PredefinedMetricSpecification?.PredefinedMetricType;
  if (predefined) return (METRIC_LABELS[predefined] ?? ((t: number) => `${predefined} ${t}`))(tracking.TargetValue);
  const metrics: Props[] = tracking.CustomizedMetricSpecification?.Metrics ?? [];
  const backlog = metrics.some((m) => m.MetricStat?.Metric?.MetricName === 'ApproximateNumberOfMessagesVisible');
  return backlog ? `backlog ${thousands(tracking.TargetValue)}/task` : `a custom metric at ${tracking.TargetValue}`;
}

function cacheCard(data: TemplateView): Card | undefined {
  const group = data.ofType('AWS::ElastiCache::ReplicationGroup')[0]?.props;
  if (!group) return undefined;
  const clusterMode = group.ClusterMode === 'enabled' || (group.NumNodeGroups ?? 1) > 1;
  const replicas = group.ReplicasPerNodeGroup ?? (group.NumCacheClusters ?? 1) - 1;
  const shape = `1 primary + ${plural(replicas, 'replica')}`;
  const lines = [
    [group.CacheNodeType, clusterMode ? `${plural(group.NumNodeGroups ?? 1, 'shard')} × (${shape})` : shape]
      .filter(Boolean)
      .join(' · '),
    [
      group.MultiAZEnabled && 'Multi-AZ',
      group.TransitEncryptionEnabled && 'TLS',
      group.AtRestEncryptionEnabled && 'encrypted at rest',
    ]
      .filter(Boolean)
      .join(' · '),
  ];
  if (group.SnapshotRetentionLimit) lines.push(`daily snapshots kept ${group.SnapshotRetentionLimit} days`);
  if (group.GlobalReplicationGroupId)
    lines.push(`joins global datastore ${literalText(group.GlobalReplicationGroupId)}`);
  if (data.count('AWS::ElastiCache::GlobalReplicationGroup')) lines.push('primary of a global datastore');
  const engine = group.Engine ? `${group.Engine} ${group.EngineVersion ?? ''}`.trim() : 'global datastore secondary';
  return { title: `ElastiCache ${engine}`, lines: lines.filter(Boolean), tone: 'data' };
}

/** The region's invalidation topic and the queue of the same name, if the stack has them. */
function invalidationPair(data: TemplateView): { name: string; queue?: Resource } | undefined {
  const queues = data.ofType('AWS::SQS::Queue');
  for (const topic of data.ofType('AWS::SNS::Topic')) {
    const name = literalText(topic.props.TopicName);
    const queue = queues.find((q) => name !== '' && literalText(q.props.QueueName) === name);
    if (queue) return { name, queue };
  }
  return undefined;
}

function workQueueCard(data: TemplateView, exclude: Resource | undefined): Card | undefined {
  const queues = data.ofType('AWS::SQS::Queue');
  const mains = queues.filter((q) => q.props.RedrivePolicy && q !== exclude);
  if (mains.length === 0) return undefined;
  const lines: string[] = [];
  for (const queue of mains) {
    const redrive: Props = queue.props.RedrivePolicy;
    const dlq = data.byId(refTarget(redrive.deadLetterTargetArn));
    const days = (resource?: Resource) => Math.round(Number(resource?.props.MessageRetentionPeriod ?? 345600) / 86400);
    if (mains.length > 1) lines.push(literalText(queue.props.QueueName) || queue.logicalId);
    lines.push(`dead-letter queue after ${plural(redrive.maxReceiveCount, 'receive')}`);
    lines.push(`kept ${plural(days(queue), 'day')}${dlq ? `, dead letters ${days(dlq)}` : ''}`);
  }
  const title =
    mains.length === 1
      ? `SQS ${literalText(mains[0].props.QueueName) || 'queue'} + DLQ`
      : `SQS · ${mains.length} queues`;
  return { title, lines, tone: 'data' };
}

function databaseCard(data: TemplateView, appName: string): Card | undefined {
  const clusters = data
    .ofType('AWS::RDS::DBCluster')
    .sort((a, b) =>
      naturalCompare(
        String(a.props.DBClusterIdentifier ?? a.logicalId),
        String(b.props.DBClusterIdentifier ?? b.logicalId),
      ),
    );
  if (clusters.length === 0) return undefined;
  const globals = data.ofType('AWS::RDS::GlobalCluster');
  const first = clusters[0].props;
  const engine = String(first.Engine ?? '').replace(/^aurora-?/, '') || 'mysql';
  const engineName = { postgresql: 'PostgreSQL', mysql: 'MySQL' }[engine] ?? engine;
  const lines: string[] = [];
  const scaling = first.ServerlessV2ScalingConfiguration;
  if (scaling) lines.push(`Serverless v2 · ${scaling.MinCapacity}–${scaling.MaxCapacity} ACU per instance`);
  for (const cluster of clusters) {
    const id = String(cluster.props.DBClusterIdentifier ?? cluster.logicalId);
    const label = id.startsWith(`${appName}-`) ? id.slice(appName.length + 1) : id;
    const instances = data
      .ofType('AWS::RDS::DBInstance')
      .filter((instance) => refTarget(instance.props.DBClusterIdentifier) === cluster.logicalId);
    const writes =
      globals.some((g) => refTarget(g.props.SourceDBClusterIdentifier) === cluster.logicalId) ||
      !cluster.props.GlobalClusterIdentifier;
    const readerScaling = data
      .ofType('AWS::ApplicationAutoScaling::ScalableTarget')
      .find(
        (t) =>
          t.props.ScalableDimension === 'rds:cluster:ReadReplicaCount' &&
          mentions(t.props.ResourceId, cluster.logicalId),
      );
    const autoscale = readerScaling
      ? ` (autoscaled ${readerScaling.props.MinCapacity}–${readerScaling.props.MaxCapacity})`
      : '';
    lines.push(
      writes
        ? `${label}: writer${instances.length > 1 ? ` + ${plural(instances.length - 1, 'reader')}` : ''}${autoscale}`
        : `${label}: ${plural(instances.length, 'read replica')}${autoscale}`,
    );
  }
  if (globals.length) lines.push(`creates ${plural(globals.length, 'global cluster')}`);
  else if (clusters.some((c) => c.props.EnableGlobalWriteForwarding)) lines.push('writes forwarded to the primary');
  return {
    title: `Aurora ${engineName} ${first.EngineVersion ?? ''} · ${plural(clusters.length, 'shard')}`.replace('  ', ' '),
    lines,
    tone: 'data',
  };
}
