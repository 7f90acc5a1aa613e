import type { StackTemplate } from '../model';
import { Meter, MeterInput, Usage, fixed, props, refOf, scalableTargetOf, scaled, share, perRegionUsage } from './kit';

/**
 * Size of a volume whose mapping gives none: the AMI's snapshot, 8 GiB for the Amazon Linux 2023
 * AMIs that the NAT instances (the only EC2 instances the app makes) boot from.
 */
const AMI_ROOT_VOLUME_GB = 8;

/**
 * The custom metrics a service's EMF lines create in its region, whatever its task count (the
 * `Service` dimension names the service, not the task). The sample service is known by its
 * `SERVICE_NAME` and counted from service/metric-series.json: the healthy series all month, the
 * failure-only ones for the assumed hours with failures. Any other image gets the flat assumption.
 */
function emfMetrics(input: MeterInput, taskDefinition: Record<string, any>): Usage[] {
  const { context } = input;
  const environment: { Name: string; Value?: unknown }[] = (taskDefinition.ContainerDefinitions ?? []).flatMap(
    (container: any) => container.Environment ?? [],
  );
  const serviceName = environment.find((variable) => variable.Name === 'SERVICE_NAME')?.Value;
  // One `name` per shard in SHARD_MAP, a join of literal JSON and the endpoints' tokens at synth
  // time (stringified here, so its quotes are escaped either way).
  const shardMap = JSON.stringify(environment.find((variable) => variable.Name === 'SHARD_MAP')?.Value ?? '');
  const shards = Math.max(1, (shardMap.match(/\\"name\\":/g) ?? []).length);
  const multiRegion = context.regionsWith('AWS::ECS::Service') > 1;
  const series =
    typeof serviceName === 'string' ? context.metricSeries.count(serviceName, { shards, multiRegion }) : undefined;
  if (!series) {
    return [
      fixed(
        input,
        'Custom metrics (EMF, other services)',
        'cloudwatch.customMetricMonth',
        context.assumptions.emfSeriesPerOtherService,
        'metrics',
      ),
    ];
  }
  const failingShare = Math.min(1, context.assumptions.failureHoursPerMonth / context.hoursPerMonth);
  return [
    fixed(input, 'Custom metrics (service EMF)', 'cloudwatch.customMetricMonth', series.healthy, 'metrics'),
    fixed(
      input,
      'Custom metrics (service EMF, hours with failures)',
      'cloudwatch.customMetricMonth',
      series.onlyWhileFailing * failingShare,
      'metric-months',
    ),
  ];
}

/** Meters of the compute tier: EC2 instances, Fargate services, their cluster's metrics, and FIS drills. */
export const COMPUTE_METERS: Readonly<Record<string, Meter>> = {
  'AWS::EC2::Instance': (input) => {
    const p = props(input);
    const type = String(p.InstanceType);
    const usages: Usage[] = [
      fixed(input, `EC2 ${type} instances`, `ec2.instance.${type}.hour`, 1, 'instances', { hours: true, what: type }),
    ];
    // EBS volumes: the root volume (from the AMI when no mapping names it) and any mapped ones.
    const mappings: any[] = (p.BlockDeviceMappings ?? []).filter((m: any) => m.Ebs);
    const volumes = mappings.length ? mappings.map((m) => m.Ebs) : [{}];
    for (const volume of volumes) {
      const volumeType = String(volume.VolumeType ?? 'gp3');
      usages.push(
        fixed(
          input,
          `EBS ${volumeType} volumes`,
          `ebs.${volumeType}.gbMonth`,
          Number(volume.VolumeSize ?? AMI_ROOT_VOLUME_GB),
          'GB-months',
          { what: volumeType },
        ),
      );
    }
    if (hasPublicIpv4(input.stack, p)) {
      usages.push(fixed(input, 'Public IPv4 addresses', 'publicIpv4.hour', 1, 'addresses', { hours: true }));
    }
    return usages;
  },

  'AWS::ECS::Service': (input) => {
    const p = props(input);
    const { stack, logicalId } = input;
    const usages: Usage[] = [];
    usages.push(
      perRegionUsage(
        input,
        'CloudWatch Logs ingestion (services, database)',
        'logs.ingestGb',
        'appLogsGbPerRegion',
        'GB',
      ),
    );
    const taskDefinition = stack.resources[refOf(p.TaskDefinition) ?? '']?.Properties ?? {};
    usages.push(...emfMetrics(input, taskDefinition));
    const providers: any[] = p.CapacityProviderStrategy ?? [];
    const fargate =
      p.LaunchType === 'FARGATE' || providers.some((s) => String(s.CapacityProvider).startsWith('FARGATE'));
    if (!fargate) return usages;
    if (providers.some((s) => s.CapacityProvider === 'FARGATE_SPOT')) {
      return [...usages, fixed(input, 'Fargate Spot tasks', 'fargate.spot.vcpuHour', 1, 'tasks', { hours: true })];
    }
    const { min: minTasks, max: maxTasks } = taskRange(stack, logicalId);
    const vcpu = Number(taskDefinition.Cpu) / 1024;
    const memoryGb = Number(taskDefinition.Memory) / 1024;
    const os = String(taskDefinition.RuntimePlatform?.OperatingSystemFamily ?? 'LINUX');
    const arch = taskDefinition.RuntimePlatform?.CpuArchitecture === 'ARM64' ? 'arm64' : 'x86_64';
    const family = os === 'LINUX' ? arch : `${os.toLowerCase()}-${arch}`;
    const label = `Fargate ${family}`;
    usages.push(
      scaled(input, `${label} vCPU`, `fargate.${family}.vcpuHour`, minTasks * vcpu, maxTasks * vcpu, 'vCPU'),
      scaled(input, `${label} memory`, `fargate.${family}.gbHour`, minTasks * memoryGb, maxTasks * memoryGb, 'GB'),
    );
    const extraStorage = Math.max(0, Number(taskDefinition.EphemeralStorage?.SizeInGiB ?? 20) - 20);
    if (extraStorage) {
      usages.push(
        scaled(
          input,
          'Fargate ephemeral storage',
          'fargate.ephemeralGbHour',
          minTasks * extraStorage,
          maxTasks * extraStorage,
          'GB',
        ),
      );
    }
    if (p.NetworkConfiguration?.AwsvpcConfiguration?.AssignPublicIp === 'ENABLED') {
      usages.push(scaled(input, 'Public IPv4 addresses', 'publicIpv4.hour', minTasks, maxTasks, 'addresses'));
    }
    return usages;
  },

  'AWS::ECS::Cluster': (input) => {
    const { stack, context } = input;
    const { assumptions } = context;
    const usages: Usage[] = [];
    const setting = (props(input).ClusterSettings ?? []).find((s: any) => s.Name === 'containerInsights')?.Value;
    if (setting !== 'enabled' && setting !== 'enhanced') return usages;
    const services = Object.entries(stack.resources).filter(([, r]) => r.Type === 'AWS::ECS::Service');
    const tasks = services.map(([id]) => taskRange(stack, id));
    const { perCluster, perService, perTask } = assumptions.containerInsightsMetrics;
    const base = share(perCluster, 1) + services.length * perService;
    const minTasks = tasks.reduce((a, t) => a + t.min, 0);
    const maxTasks = tasks.reduce((a, t) => a + t.max, 0);
    const enhanced = setting === 'enhanced';
    return [
      ...usages,
      {
        ...fixed(
          input,
          enhanced ? 'Container Insights (enhanced) metrics' : 'Container Insights metrics',
          enhanced ? 'cloudwatch.containerInsightsEnhancedMetricMonth' : 'cloudwatch.customMetricMonth',
          base + minTasks * perTask,
          'metrics',
        ),
        maxQuantity: base + maxTasks * perTask,
      },
    ];
  },

  'AWS::FIS::ExperimentTemplate': (input) => {
    const actions = Object.values(props(input).Actions ?? {}) as Record<string, any>[];
    const minutes = actions.reduce((total, action) => total + actionMinutes(action), 0);
    return [
      fixed(
        input,
        'FIS drills run',
        'fis.actionMinute',
        minutes * input.context.assumptions.fisRunsPerTemplatePerMonth,
        'action-minutes',
      ),
    ];
  },
};

/** Minutes an FIS action holds its fault: its ISO 8601 `duration` parameter, else one minute. */
function actionMinutes(action: Record<string, any>): number {
  const duration = action.Parameters?.duration;
  const match = typeof duration === 'string' ? /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(duration) : null;
  if (!match) return 1;
  const minutes = Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0) + Number(match[3] ?? 0) / 60;
  return Math.max(1, Math.round(minutes));
}

/**
 * Whether an instance gets a public IPv4 address: as its network interface says, else as its
 * subnet (in the same template) maps one on launch.
 */
function hasPublicIpv4(stack: StackTemplate, p: Record<string, any>): boolean {
  const primary = (p.NetworkInterfaces ?? []).find((ni: any) => String(ni.DeviceIndex) === '0');
  if (primary?.AssociatePublicIpAddress !== undefined) return primary.AssociatePublicIpAddress === true;
  const subnet = stack.resources[refOf(p.SubnetId ?? primary?.SubnetId) ?? ''];
  return subnet?.Type === 'AWS::EC2::Subnet' && subnet.Properties?.MapPublicIpOnLaunch === true;
}

/** A service's task count: its scalable target's bounds, else its desired count (1 if unset). */
function taskRange(stack: StackTemplate, serviceId: string): { min: number; max: number } {
  const target = scalableTargetOf(stack, serviceId, 'ecs:service:DesiredCount');
  const min = Number(target?.MinCapacity ?? stack.resources[serviceId]?.Properties?.DesiredCount ?? 1);
  return { min, max: Number(target?.MaxCapacity ?? min) };
}
