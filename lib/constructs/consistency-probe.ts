import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { pascalCase } from './naming';
import { SubnetGroup } from './network';
import { ServiceTask, TaskArchitecture } from './service-task';

/** The probe's metric names, as `service/src/probe/run.ts` writes them (EMF, dimensions Writer and Reader). */
export const PROBE_METRICS = ['VisibleAfterMs', 'StaleReads', 'ProbeErrors'] as const;
export type ProbeMetricName = (typeof PROBE_METRICS)[number];

/** One serving region as the probe reaches it. */
export interface ConsistencyProbeTarget {
  /** Region name, as the services stamp it on their events (`REGION`). */
  readonly region: string;
  /**
   * Host the probe connects to for this region: its own record (e.g.
   * `us-east-1.origin.example.com`), so the latency-routed origin name is pinned to the region.
   */
  readonly connectHost: string;
}

/** Where the region's own `connectHost` record is written. */
export interface ConsistencyProbeRecord {
  readonly zone: route53.IHostedZone;
  /** The region's load balancer the record aliases. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
}

export interface ConsistencyProbeAlarms {
  /**
   * Minutes (of `staleMinutes + 1`) with a stale read for one pair before the page alarm fires,
   * rounded up to whole runs when `interval` is longer than a minute.
   * One minute of staleness is a blip a deploy can cause; three is a broken invalidation path.
   * @default 3
   */
  readonly staleMinutes?: number;
  /**
   * Minutes (of `errorMinutes + 1`) in which a pair could not be measured, or the probe did not
   * run at all, before the ticket alarm fires; rounded up to whole runs like `staleMinutes`.
   * @default 5
   */
  readonly errorMinutes?: number;
  /** @default no action: the alarms only change state */
  readonly pageAction?: cloudwatch.IAlarmAction;
  /** @default no action: the alarms only change state */
  readonly ticketAction?: cloudwatch.IAlarmAction;
}

export interface ConsistencyProbeProps {
  /** Cluster the scheduled task runs in; its VPC needs egress to the internet (NAT) from the `app` subnets. */
  readonly cluster: ecs.ICluster;
  /** The service image; the probe runs `node dist/probe.js` in it. */
  readonly image: ecs.ContainerImage;
  readonly architecture: TaskArchitecture;
  /** This region: the writer, and one of `targets`. */
  readonly region: string;
  /** Every serving region, this one included (read-your-write). */
  readonly targets: readonly ConsistencyProbeTarget[];
  /** The name users reach the origin by: Host header, TLS server name and certificate check. */
  readonly originDomainName: string;
  /** The header the load balancers require, and this region's copy of the secret holding its value. */
  readonly originVerify: { readonly headerName: string; readonly secret: secretsmanager.ISecret };
  /**
   * Keys that may encrypt `originVerify.secret` here (the primary's data key, or the replica key);
   * the probe may decrypt with them.
   * @default none: the secret uses the AWS-managed key
   */
  readonly secretKeys?: readonly kms.IKey[];
  /**
   * Writes this region's `connectHost` record, an alias to its load balancer.
   * @default no record: it exists already
   */
  readonly record?: ConsistencyProbeRecord;
  /**
   * The staleness bound: a read sent this long after the write that still answers the old
   * version counts as stale. Above the normal invalidation delay, far below the cache TTL.
   * @default Duration.seconds(5)
   */
  readonly staleAfter?: Duration;
  /**
   * How long a run keeps reading a late region to measure how late it was; at least
   * `staleAfter` and below `interval`, so runs do not overlap.
   * @default Duration.seconds(30)
   */
  readonly maxWait?: Duration;
  /**
   * Time between runs; EventBridge Scheduler's finest rate is one minute.
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;
  /**
   * CloudWatch namespace of the probe's metrics.
   * @default 'Blueprint/ConsistencyProbe'
   */
  readonly metricsNamespace?: string;
  /** @default the defaults of `ConsistencyProbeAlarms` */
  readonly alarms?: ConsistencyProbeAlarms;
  /** Key that encrypts the probe's log group (the region's data key). */
  readonly logKey: kms.IKey;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

const DEFAULT_NAMESPACE = 'Blueprint/ConsistencyProbe';
const MINUTE = Duration.minutes(1);

/**
 * A consistency probe in one region (docs/decisions/0013): every `interval` EventBridge Scheduler
 * starts a Fargate task of the service image that logs in as the region's probe identity, writes
 * its marker through the region's origin (with the origin-verify header, as CloudFront does), and
 * reads it in every region until the new version shows. Per (this region → reader) pair it pages
 * on staleness past the bound and opens a ticket when the pair cannot be measured.
 */
export class ConsistencyProbe extends Construct {
  public readonly task: ServiceTask;
  public readonly schedule: scheduler.Schedule;
  /** What EventBridge Scheduler runs the task as: RunTask of this task definition and PassRole of its roles. */
  public readonly schedulerRole: iam.Role;
  /** The task's only network access: HTTPS out. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** This region's `connectHost` record, when `record` was given. */
  public readonly record?: route53.ARecord;
  /** Page alarms, by reader region. */
  public readonly staleAlarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** Ticket alarms, by reader region. */
  public readonly errorAlarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** The namespace of the probe's metrics. */
  public readonly metricsNamespace: string;
  private readonly region: string;
  private readonly interval: Duration;

  constructor(scope: Construct, id: string, props: ConsistencyProbeProps) {
    super(scope, id);
    const staleAfter = props.staleAfter ?? Duration.seconds(5);
    const maxWait = props.maxWait ?? Duration.seconds(30);
    const interval = props.interval ?? MINUTE;
    const staleMinutes = props.alarms?.staleMinutes ?? 3;
    const errorMinutes = props.alarms?.errorMinutes ?? 5;
    this.metricsNamespace = props.metricsNamespace ?? DEFAULT_NAMESPACE;
    this.region = props.region;
    this.interval = interval;
    const own = props.targets.find((t) => t.region === props.region);
    if (!own) throw new Error(`${this.node.path}: targets must include region ${props.region}`);
    if (new Set(props.targets.map((t) => t.region)).size !== props.targets.length) {
      throw new Error(`${this.node.path}: targets name a region twice`);
    }
    if (
      maxWait.toMilliseconds() < staleAfter.toMilliseconds() ||
      maxWait.toMilliseconds() >= interval.toMilliseconds()
    ) {
      throw new Error(`${this.node.path}: maxWait must be at least staleAfter and less than interval`);
    }
    for (const [name, minutes] of [
      ['staleMinutes', staleMinutes],
      ['errorMinutes', errorMinutes],
    ] as const) {
      if (!Token.isUnresolved(minutes) && !(Number.isInteger(minutes) && minutes >= 1)) {
        throw new Error(`${this.node.path}: alarms.${name} = ${minutes} must be an integer >= 1`);
      }
    }

    this.task = new ServiceTask(this, 'Task', {
      image: props.image,
      architecture: props.architecture,
      command: ['node', '--enable-source-maps', 'dist/probe.js'],
      cpu: 256,
      memoryMiB: 512,
      containerName: 'probe',
      environment: {
        REGION: props.region,
        PROBE_TARGETS: Stack.of(this).toJsonString(
          props.targets.map((t) => ({
            region: t.region,
            url: `https://${props.originDomainName}`,
            connectHost: t.connectHost,
          })),
        ),
        PROBE_ORIGIN_VERIFY_HEADER: props.originVerify.headerName,
        // Read by the probe with its task role: a name, not the value.
        PROBE_ORIGIN_VERIFY_SECRET_ID: props.originVerify.secret.secretName,
        PROBE_STALE_AFTER_MS: String(staleAfter.toMilliseconds()),
        PROBE_MAX_WAIT_MS: String(maxWait.toMilliseconds()),
        PROBE_METRICS_NAMESPACE: this.metricsNamespace,
      },
      logKey: props.logKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Least privilege: read the one secret and decrypt it; nothing else (the metrics are log lines).
    props.originVerify.secret.grantRead(this.task.taskRole);
    for (const key of props.secretKeys ?? []) key.grantDecrypt(this.task.taskRole);
    const executionRole = this.task.taskDefinition.obtainExecutionRole();
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken, needed to pull the service image, has no resource-level permissions.',
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: 'Consistency probe: HTTPS out only (origins, Secrets Manager, ECR, logs)',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the origins and AWS APIs');

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Runs the consistency probe task of ${props.region}`,
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Consistency probe of ${props.region}`,
      schedule: scheduler.ScheduleExpression.rate(interval),
      target: new schedulerTargets.EcsRunFargateTask(props.cluster, {
        taskDefinition: this.task.taskDefinition,
        role: this.schedulerRole,
        vpcSubnets: { subnetGroupName: SubnetGroup.APP },
        securityGroups: [this.securityGroup],
        assignPublicIp: false,
        // A run that did not start within its minute is replaced by the next one.
        maxEventAge: MINUTE,
        retryAttempts: 0,
      }),
    });

    if (props.record) {
      this.record = new route53.ARecord(this, 'Record', {
        zone: props.record.zone,
        recordName: `${own.connectHost}.`,
        target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(props.record.loadBalancer)),
      });
    }

    const { pageAction, ticketAction } = props.alarms ?? {};
    // Alarms count runs: one data point per pair per run.
    const runMinutes = interval.toMinutes();
    const staleRuns = Math.ceil(staleMinutes / runMinutes);
    const errorRuns = Math.ceil(errorMinutes / runMinutes);
    const window = (runs: number) =>
      runMinutes === 1
        ? `${runs} of ${runs + 1} minutes`
        : `${runs} of ${runs + 1} runs (one every ${runMinutes} minutes)`;
    const staleAlarms: Record<string, cloudwatch.Alarm> = {};
    const errorAlarms: Record<string, cloudwatch.Alarm> = {};
    for (const { region: reader } of props.targets) {
      const pair = `${props.region} → ${reader}`;
      const id = pascalCase(reader);
      staleAlarms[reader] = new cloudwatch.Alarm(this, `Stale${id}`, {
        alarmDescription: `[page] ${pair}: reads still answered the old version more than ${staleAfter.toSeconds()} s after a write, in ${window(staleRuns)} (cache invalidation or replication broken)`,
        metric: this.metric('StaleReads', reader),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: staleRuns + 1,
        datapointsToAlarm: staleRuns,
        // No run, no verdict on staleness: the error alarm covers a probe that does not run.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      errorAlarms[reader] = new cloudwatch.Alarm(this, `Errors${id}`, {
        alarmDescription: `[ticket] ${pair}: the consistency probe could not measure the pair, or did not run, in ${window(errorRuns)}`,
        metric: this.metric('ProbeErrors', reader),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: errorRuns + 1,
        datapointsToAlarm: errorRuns,
        // Every run writes a data point per pair: silence means the probe itself is broken.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      if (pageAction) {
        staleAlarms[reader].addAlarmAction(pageAction);
        staleAlarms[reader].addOkAction(pageAction);
      }
      if (ticketAction) errorAlarms[reader].addAlarmAction(ticketAction);
    }
    this.staleAlarms = staleAlarms;
    this.errorAlarms = errorAlarms;
  }

  /**
   * A pair's metric, this region writing: `VisibleAfterMs` (Maximum), `StaleReads` and
   * `ProbeErrors` (Sum), per run.
   */
  metric(name: ProbeMetricName, reader: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      ...probeMetricProps(this.metricsNamespace, name, this.region, reader),
      period: this.interval,
      ...props,
    });
  }
}

/**
 * A (writer → reader) pair's probe metric, addressed by names alone, so a dashboard in any region
 * can show every pair (the metric lives in the writer's region).
 */
export function probeMetric(
  namespace: string,
  name: ProbeMetricName,
  writer: string,
  reader: string,
  props?: cloudwatch.MetricOptions,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    ...probeMetricProps(namespace, name, writer, reader),
    region: writer,
    label: `${writer} → ${reader}`,
    ...props,
  });
}

function probeMetricProps(namespace: string, name: ProbeMetricName, writer: string, reader: string) {
  return {
    namespace,
    metricName: name,
    dimensionsMap: { Writer: writer, Reader: reader },
    statistic: name === 'VisibleAfterMs' ? 'Maximum' : 'Sum',
    period: MINUTE,
  };
}
