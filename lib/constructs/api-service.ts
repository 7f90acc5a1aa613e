import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ApiServiceProps } from './api-service/props';
import { resolveSettings } from './api-service/settings';
import { PropError } from './validation';
import { SubnetGroup } from './network';

export type {
  ApiAccessLogs,
  ApiDeploymentAlarmThresholds,
  ApiHealthCheck,
  ApiScaling,
  ApiServiceProps,
  OriginVerifyHeader,
} from './api-service/props';

/** The alarms ECS watches during a deployment; either one firing rolls the deployment back. */
export interface ApiDeploymentAlarms {
  /** The tasks answer with too many 5xx. */
  readonly target5xx: cloudwatch.Alarm;
  /** A target has failed its health checks for two minutes in a row. */
  readonly unhealthyHosts: cloudwatch.Alarm;
}

/** Scale out within a minute of a breach; scale in slowly, so a dip between bursts keeps capacity. */
const SCALE_OUT_COOLDOWN = Duration.seconds(60);
const SCALE_IN_COOLDOWN = Duration.seconds(300);

/**
 * The internet-facing edge of a region: an ALB in the public subnets (HTTPS with TLS 1.2+, HTTP
 * redirected, invalid headers dropped, access logs to S3) in front of an autoscaling Fargate
 * service in the app subnets. Only requests that carry the CDN's secret origin header reach the
 * tasks; all others get a 403. Deployments start new tasks before stopping old ones and roll
 * back when the circuit breaker trips or a deployment alarm fires.
 */
export class ApiService extends Construct {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly httpsListener: elbv2.ApplicationListener;
  public readonly httpListener: elbv2.ApplicationListener;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly service: ecs.FargateService;
  /** The load balancer's group: 443 and 80 from anywhere, out only to the tasks. */
  public readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  /** The tasks' own group: it admits the container port from the load balancer only. */
  public readonly taskSecurityGroup: ec2.SecurityGroup;
  public readonly accessLogBucket: s3.Bucket;
  public readonly scalableTaskCount: ecs.ScalableTaskCount;
  public readonly deploymentAlarms: ApiDeploymentAlarms;

  constructor(scope: Construct, id: string, props: ApiServiceProps) {
    super(scope, id);
    const settings = resolveSettings(this, props);
    const { task, vpc } = props;
    const { containerPort } = settings;
    const removalPolicy = settings.accessLogRemovalPolicy;

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      // ALB log delivery supports only SSE-S3 (AES256) on the target bucket, never a KMS key.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [
        {
          expiration: settings.accessLogExpiration,
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is itself a log sink written only by the ELB log-delivery service; server access logs of it would need another log bucket, whose own logs would need a third. Reads of it are audited by CloudTrail.',
    });

    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: 'Internet-facing api load balancer: HTTPS, and HTTP that is redirected',
      allowAllOutbound: false,
    });
    this.loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from CloudFront');
    this.loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP, redirected to HTTPS');
    Validations.of(this.loadBalancerSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        "CloudFront reaches the origin from hundreds of changing addresses, and its origin-facing prefix list can only be resolved by a lookup. The HTTPS listener answers 403 unless the CDN's secret origin-verify header is present (see the header rule), and port 80 only redirects.",
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetGroupName: SubnetGroup.PUBLIC },
      securityGroup: this.loadBalancerSecurityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection: settings.deletionProtection,
    });
    this.loadBalancer.logAccessLogs(this.accessLogBucket);
    // The ApplicationLoadBalancer L2 of aws-cdk-lib 2.276 has no `zonalShift` prop (only the
    // NetworkLoadBalancer has), so the attribute is set directly, `false` included: turning the
    // setting off must not depend on what CloudFormation does with a removed attribute.
    this.loadBalancer.setAttribute('zonal_shift.config.enabled', String(settings.zonalShift));

    this.httpsListener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [props.certificate],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(403, { contentType: 'text/plain', messageBody: 'Forbidden' }),
    });
    this.httpListener = this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc,
      port: containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: settings.deregistrationDelay,
      healthCheck: {
        path: settings.healthCheckPath,
        interval: settings.interval,
        timeout: settings.timeout,
        healthyThresholdCount: settings.healthyThresholdCount,
        unhealthyThresholdCount: settings.unhealthyThresholdCount,
        healthyHttpCodes: '200',
      },
    });
    this.httpsListener.addAction('FromCdn', {
      priority: 1,
      conditions: [elbv2.ListenerCondition.httpHeader(props.originVerify.headerName, [props.originVerify.headerValue])],
      action: elbv2.ListenerAction.forward([this.targetGroup]),
    });
    if (props.publicHealthCheckPath !== undefined) {
      if (!/^\/[\w./-]{0,254}$/.test(props.publicHealthCheckPath)) {
        throw new PropError(this, 'publicHealthCheckPath', props.publicHealthCheckPath, 'a path such as /readyz');
      }
      this.httpsListener.addAction('HealthCheckers', {
        priority: 2,
        conditions: [
          elbv2.ListenerCondition.pathPatterns([props.publicHealthCheckPath]),
          elbv2.ListenerCondition.httpRequestMethods(['GET']),
        ],
        action: elbv2.ListenerAction.forward([this.targetGroup]),
      });
    }

    // No requests means nothing failed: a quiet region must not block its own deployments.
    const alarmDefaults = { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING };
    this.deploymentAlarms = {
      target5xx: new cloudwatch.Alarm(this, 'Target5xxAlarm', {
        ...alarmDefaults,
        alarmDescription: `api tasks answered ${settings.target5xxPerMinute} or more 5xx in a minute; rolls a deployment back`,
        metric: this.metricTarget5xxCount({ period: Duration.minutes(1) }),
        threshold: settings.target5xxPerMinute,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      }),
      unhealthyHosts: new cloudwatch.Alarm(this, 'UnhealthyHostsAlarm', {
        ...alarmDefaults,
        alarmDescription: 'An api target failed its health checks for two minutes; rolls a deployment back',
        metric: this.metricUnhealthyHostCount({ period: Duration.minutes(1) }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
      }),
    };

    this.taskSecurityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc,
      description: 'api tasks: the container port from the load balancer only',
      // Tasks call AWS APIs, the database and the cache; their targets' groups decide who is reached.
      allowAllOutbound: true,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: task.taskDefinition,
      vpcSubnets: { subnetGroupName: SubnetGroup.APP },
      assignPublicIp: false,
      securityGroups: [this.taskSecurityGroup, ...(props.securityGroups ?? [])],
      // Left unset: autoscaling owns the count, and a fixed value would reset it on every deploy.
      desiredCount: undefined,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      deploymentAlarms: {
        alarmNames: [this.deploymentAlarms.target5xx.alarmName, this.deploymentAlarms.unhealthyHosts.alarmName],
        behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
      },
      healthCheckGracePeriod: settings.healthCheckGracePeriod,
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    this.attachToTargetGroup(task.container.containerName, containerPort);

    this.scalableTaskCount = this.service.autoScaleTaskCount({
      minCapacity: settings.minTasks,
      maxCapacity: settings.maxTasks,
    });
    const cooldowns = { scaleOutCooldown: SCALE_OUT_COOLDOWN, scaleInCooldown: SCALE_IN_COOLDOWN };
    this.scalableTaskCount.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: settings.cpuPercent,
      ...cooldowns,
    });
    this.scalableTaskCount.scaleOnMemoryUtilization('Memory', {
      targetUtilizationPercent: settings.memoryPercent,
      ...cooldowns,
    });
    this.scalableTaskCount.scaleOnRequestCount('Requests', {
      requestsPerTarget: settings.requestsPerTarget,
      targetGroup: this.targetGroup,
      ...cooldowns,
    });
  }

  /** 5xx responses from the tasks (not from the load balancer itself), summed. */
  metricTarget5xxCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
      statistic: 'Sum',
      ...props,
    });
  }

  /** Targets passing health checks, at their lowest in the period. */
  metricHealthyHostCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.healthyHostCount({ statistic: 'Minimum', ...props });
  }

  /** Targets failing health checks, at their highest in the period. */
  metricUnhealthyHostCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.unhealthyHostCount({ statistic: 'Maximum', ...props });
  }

  /** Time from the load balancer sending a request to a task until the response starts, at `percentile`. */
  metricTargetResponseTime(percentile = 99, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.targetResponseTime({ statistic: `p${percentile}`, ...props });
  }

  /** Requests forwarded to the tasks, summed. */
  metricRequestCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.requestCount({ statistic: 'Sum', ...props });
  }

  /**
   * Registers the service's container with the target group and opens the container port from
   * the load balancer on the task group only. The L2 registration (`attachToApplicationTargetGroup`)
   * adds that rule to every group of the service, including shared extra groups such as the
   * data-client group (aws-cdk#18245), so the service's load balancer entry is set on the L1.
   */
  private attachToTargetGroup(containerName: string, containerPort: number): void {
    this.targetGroup.registerConnectable(this.taskSecurityGroup, ec2.Port.tcp(containerPort));
    const cfnService = this.service.node.defaultChild as ecs.CfnService;
    cfnService.loadBalancers = [{ targetGroupArn: this.targetGroup.targetGroupArn, containerName, containerPort }];
    // ECS refuses a target group that no listener rule forwards to yet.
    cfnService.node.addDependency(this.targetGroup.loadBalancerAttached);
  }
}
