import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { ServiceTask } from '../service-task';

/** The secret header CloudFront adds to every origin request; requests without it get a 403. */
export interface OriginVerifyHeader {
  /** Header name, e.g. `X-Origin-Verify`; at most 40 characters (an ALB rule limit). */
  readonly headerName: string;
  /**
   * Header value: a deploy-time dynamic reference such as
   * `{{resolve:secretsmanager:<name>:SecretString:value}}`, so the secret never appears in the
   * template. It is neither validated nor logged.
   */
  readonly headerValue: string;
}

/** Target-tracking goals; the service scales out when any one is exceeded. */
export interface ApiScaling {
  /**
   * Average CPU of the tasks, 10 to 90. Lower leaves more headroom for bursts, at more cost.
   * @default 60
   */
  readonly cpuPercent?: number;
  /**
   * Average memory of the tasks, 10 to 90. Node's heap grows before it collects, so keep it high.
   * @default 75
   */
  readonly memoryPercent?: number;
  /**
   * Requests per task per minute (`ALBRequestCountPerTarget`), at least 1. Set it from a load
   * test: the rate one task serves within its latency goal, minus headroom.
   * @default 1000
   */
  readonly requestsPerTarget?: number;
}

/** How the target group decides a task is healthy. */
export interface ApiHealthCheck {
  /**
   * Path probed on the container port; the liveness endpoint, so a dependency outage does not
   * take every task out of the target group at once.
   * @default '/healthz'
   */
  readonly path?: string;
  /**
   * Time between probes, 5 to 300 seconds. Shorter detects a dead task sooner, at more probes.
   * @default Duration.seconds(10)
   */
  readonly interval?: Duration;
  /**
   * Time a probe may take before it fails; shorter than `interval`, 2 to 120 seconds.
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;
  /**
   * Consecutive passes before a new task receives traffic, 2 to 10.
   * @default 2
   */
  readonly healthyThresholdCount?: number;
  /**
   * Consecutive failures before a task stops receiving traffic, 2 to 10. Raise it if the app
   * pauses (long GC) without being broken.
   * @default 2
   */
  readonly unhealthyThresholdCount?: number;
}

/** Where the load balancer's access logs go. */
export interface ApiAccessLogs {
  /**
   * What happens to the log bucket when it leaves the stack; with DESTROY its objects are
   * emptied first, so dev stacks delete cleanly.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long access logs are kept. Longer serves audits and incident forensics, at storage cost.
   * @default Duration.days(90)
   */
  readonly expiration?: Duration;
}

/** What rolls a deployment back: CloudWatch alarms that ECS watches while it deploys. */
export interface ApiDeploymentAlarmThresholds {
  /**
   * 5xx responses from the tasks within one minute that roll a deployment back.
   * @default 10
   */
  readonly target5xxPerMinute?: number;
}

export interface ApiServiceProps {
  /** The cluster the service runs on. */
  readonly cluster: ecs.ICluster;
  /** The region's VPC; the load balancer goes in its public subnets, the tasks in its app subnets. */
  readonly vpc: ec2.IVpc;
  /** The api task; it must listen on a `containerPort`. */
  readonly task: ServiceTask;
  /** TLS certificate of the origin hostname, in this region. */
  readonly certificate: acm.ICertificate;
  /** The secret header that proves a request came through the CDN. */
  readonly originVerify: OriginVerifyHeader;
  /**
   * Extra security groups for the tasks, e.g. the data-client group that the database and cache
   * admit. They receive no rule from this construct.
   * @default none
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Fewest running tasks; two or more keep the service up when a task or an AZ fails.
   * @default 2
   */
  readonly minTasks?: number;
  /**
   * Most running tasks; caps cost and the load the tasks put on the database.
   * @default 10
   */
  readonly maxTasks?: number;
  /**
   * Target-tracking goals.
   * @default 60% CPU, 75% memory, 1000 requests per task per minute
   */
  readonly scaling?: ApiScaling;
  /**
   * Target-group health check.
   * @default `/healthz` every 10 s, 5 s timeout, 2 passes to enter and 2 failures to leave
   */
  readonly healthCheck?: ApiHealthCheck;
  /**
   * How long a task keeps serving in-flight requests after it leaves the target group. Must be
   * shorter than the task's stop timeout, so the task finishes them before SIGKILL; raise both
   * for long requests. Whole seconds, 0 to 3600.
   * @default Duration.seconds(20)
   */
  readonly deregistrationDelay?: Duration;
  /**
   * How long ECS ignores failed health checks of a new task while it starts (migrations,
   * warm-up); raise it for a slow start. Whole seconds, 0 to 7200.
   * @default Duration.seconds(30)
   */
  readonly healthCheckGracePeriod?: Duration;
  /**
   * Access-log bucket settings.
   * @default retained, logs expire after 90 days
   */
  readonly accessLogs?: ApiAccessLogs;
  /**
   * Refuse to delete the load balancer. Its DNS name is the CDN's origin, so a replacement
   * breaks the origin record until it is updated; dev turns it off.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Let ARC zonal shift move the load balancer's traffic out of one AZ (`aws arc-zonal-shift
   * start-zonal-shift`), e.g. while that AZ is impaired, without a deploy. Zonal shift is free;
   * the other AZs must then carry the load. Works with cross-zone load balancing on.
   * @default false
   */
  readonly zonalShift?: boolean;
  /**
   * Thresholds of the alarms that roll a deployment back.
   * @default 10 target 5xx per minute; any unhealthy target for two minutes
   */
  readonly deploymentAlarms?: ApiDeploymentAlarmThresholds;
  /**
   * A path the ALB forwards for GET without the origin-verification header, for DNS health
   * checkers, which cannot send it. Expose only a cheap, non-sensitive readiness endpoint.
   * @default none: every request needs the header
   */
  readonly publicHealthCheckPath?: string;
}
