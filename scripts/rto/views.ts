/**
 * The resources the recovery model needs per region, picked out of the synthesized templates:
 * found by type, and followed through `Ref`, `Fn::GetAtt` and `Fn::GetStackOutput` (how a Service
 * stack reads its Data stack) to the resource they name.
 */
import { Found, StackTemplate, Templates } from '../common/assembly';

/** Thrown when the templates lack something the model needs: the app changed shape. */
export class TemplateShapeError extends Error {}

/** What the model needs from one region's Service stack. */
export interface ServiceView {
  readonly stack: StackTemplate;
  readonly region: string;
  readonly api: Found;
  readonly worker?: Found;
  readonly targetGroup: Found;
  readonly loadBalancer?: Found;
  readonly apiMinTasks?: number;
  readonly workerMinTasks?: number;
  readonly stopTimeoutSeconds?: number;
  /** The latency record for the origin name, if the stack has one. */
  readonly record?: Found;
  /** The queue the worker consumes (its `WORK_QUEUE_URL`). */
  readonly workQueue?: Found;
  /**
   * Seconds between the api's checks of where each shard's writer is, when its shard map names
   * the global writer endpoint (decision 14): `DB_WRITER_CHECK_MS`, else the service's default.
   */
  readonly writerCheckSeconds?: number;
}

/** The service's default `DB_WRITER_CHECK_MS` (service/src/config.ts). */
const DEFAULT_WRITER_CHECK_MS = 10_000;

/** What the model needs from one region's Data stack. */
export interface DataView {
  readonly stack: StackTemplate;
  readonly region: string;
  readonly zones: string[];
  /** The AZ of each NAT gateway or NAT instance. */
  readonly natZones: string[];
  /** What the NATs are: managed gateways, or EC2 instances that forward (source/dest check off). */
  readonly natKind: 'gateway' | 'instance';
  readonly interfaceEndpoints: number;
  readonly clusters: ClusterView[];
  readonly cache?: Found;
}

export interface ClusterView {
  readonly found: Found;
  readonly identifier: string;
  /** The global cluster it belongs to: created here (primary) or joined (secondary). */
  readonly globalIdentifier?: string;
  readonly role: 'primary' | 'secondary' | 'regional';
  readonly instances: number;
  readonly parameters: Record<string, string>;
}

export function serviceViews(t: Templates): ServiceView[] {
  return t.stacksWith('AWS::ECS::Service').flatMap((stack) => {
    const services = t.resources(stack, 'AWS::ECS::Service');
    const api = services.find((s) => (s.props.LoadBalancers ?? []).length > 0);
    if (!api) return [];
    const worker = services.find((s) => s !== api);
    const targetGroup = t.resolve(stack, api.props.LoadBalancers[0].TargetGroupArn);
    if (!targetGroup) throw new TemplateShapeError(`${stack.stackName}: the api service's target group`);
    const loadBalancer = t.resources(stack, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0];
    const minTasksOf = (service: Found | undefined) =>
      service &&
      t
        .resources(stack, 'AWS::ApplicationAutoScaling::ScalableTarget')
        .find((target) => JSON.stringify(target.props.ResourceId).includes(`"${service.id}"`))?.props.MinCapacity;
    const containerOf = (service: Found | undefined) =>
      service && t.resolve(stack, service.props.TaskDefinition)?.props.ContainerDefinitions?.[0];
    const workerEnvironment: { Name: string; Value: unknown }[] = containerOf(worker)?.Environment ?? [];
    const workQueueUrl = workerEnvironment.find((e) => e.Name === 'WORK_QUEUE_URL')?.Value;
    const apiEnvironment: { Name: string; Value: unknown }[] = containerOf(api)?.Environment ?? [];
    const shardMap = JSON.stringify(apiEnvironment.find((e) => e.Name === 'SHARD_MAP')?.Value ?? '');
    const checkMs = Number(
      apiEnvironment.find((e) => e.Name === 'DB_WRITER_CHECK_MS')?.Value ?? DEFAULT_WRITER_CHECK_MS,
    );
    return [
      {
        stack,
        region: stack.region,
        api,
        worker,
        targetGroup,
        loadBalancer,
        apiMinTasks: minTasksOf(api),
        workerMinTasks: minTasksOf(worker),
        stopTimeoutSeconds: containerOf(api)?.StopTimeout,
        record: t.resources(stack, 'AWS::Route53::RecordSet').find((r) => r.props.SetIdentifier !== undefined),
        workQueue: workQueueUrl === undefined ? undefined : t.resolve(stack, workQueueUrl),
        writerCheckSeconds: shardMap.includes('globalWriterHost') ? checkMs / 1000 : undefined,
      },
    ];
  });
}

export function dataViews(t: Templates): DataView[] {
  return t.stacksWith('AWS::RDS::DBCluster').map((stack) => {
    const zones = [...new Set(t.resources(stack, 'AWS::EC2::Subnet').map((s) => String(s.props.AvailabilityZone)))];
    const gateways = t.resources(stack, 'AWS::EC2::NatGateway');
    // A NAT instance is an EC2 instance that forwards others' packets: its source/dest check is off.
    const natInstances = t.resources(stack, 'AWS::EC2::Instance').filter((i) => i.props.SourceDestCheck === false);
    const natZones = [...gateways, ...natInstances].map(
      (nat) => t.resolve(stack, nat.props.SubnetId)?.props.AvailabilityZone ?? 'unknown AZ',
    );
    const instances = t.resources(stack, 'AWS::RDS::DBInstance');
    const globals = t.resources(stack, 'AWS::RDS::GlobalCluster');
    const clusters = t.resources(stack, 'AWS::RDS::DBCluster').map((found): ClusterView => {
      const created = globals.find((g) => t.resolve(stack, g.props.SourceDBClusterIdentifier)?.id === found.id);
      const joined: unknown = found.props.GlobalClusterIdentifier;
      return {
        found,
        identifier: String(found.props.DBClusterIdentifier ?? found.id),
        globalIdentifier: created ? String(created.props.GlobalClusterIdentifier) : (joined as string | undefined),
        role: created ? 'primary' : joined ? 'secondary' : 'regional',
        instances: instances.filter((i) => t.resolve(stack, i.props.DBClusterIdentifier)?.id === found.id).length,
        parameters: t.resolve(stack, found.props.DBClusterParameterGroupName)?.props.Parameters ?? {},
      };
    });
    return {
      stack,
      region: stack.region,
      zones: zones.sort(),
      natZones: natZones.sort(),
      natKind: gateways.length === 0 && natInstances.length > 0 ? 'instance' : 'gateway',
      interfaceEndpoints: t
        .resources(stack, 'AWS::EC2::VPCEndpoint')
        .filter((e) => e.props.VpcEndpointType === 'Interface').length,
      clusters,
      cache: t.resources(stack, 'AWS::ElastiCache::ReplicationGroup')[0],
    };
  });
}
