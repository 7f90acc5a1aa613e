import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { EvacuationSwitchProps } from './evacuation-switch';
import { IConstruct } from 'constructs';
import { PropError } from '../validation';

/** Route 53 probes the load balancer over HTTPS from its checkers in several regions. */
export interface HttpsOriginHealthCheck {
  readonly type: 'https';
  /**
   * Path probed on the load balancer (port 443, no custom headers: Route 53 cannot send the
   * origin-verify header, so the HTTPS listener must forward this path without it). 2xx/3xx is
   * healthy. Readiness fails over a region whose database is unreachable, liveness only one
   * whose load balancer or tasks are down.
   * @default '/readyz'
   */
  readonly path?: string;
  /**
   * Time between probes of each checker: 10 or 30 seconds. 10 detects a failure three times
   * sooner and costs a little more per health check.
   * @default Duration.seconds(30)
   */
  readonly requestInterval?: Duration;
  /**
   * Consecutive failed probes before a checker calls the region unhealthy (and passes before it
   * calls it healthy again), 1 to 10. Lower fails over sooner and flaps more.
   * @default 3
   */
  readonly failureThreshold?: number;
}

/** Route 53 follows a CloudWatch metric alarm of the region instead of probing it. */
export interface AlarmOriginHealthCheck {
  readonly type: 'alarm';
  /**
   * A metric alarm on one standard-resolution metric with a plain statistic (Average, Minimum,
   * Maximum, Sum, SampleCount): Route 53 cannot follow composite, metric-math or percentile
   * alarms. In ALARM the region is unhealthy.
   */
  readonly alarm: cloudwatch.IAlarm;
  /**
   * Health while the alarm has too little data. LAST_KNOWN_STATUS rides out a metrics gap;
   * UNHEALTHY treats silence (e.g. the region's CloudWatch itself impaired) as failure.
   * @default route53.InsufficientDataHealthStatusEnum.LAST_KNOWN_STATUS
   */
  readonly insufficientDataHealthStatus?: route53.InsufficientDataHealthStatusEnum;
}

export type OriginHealthCheck = HttpsOriginHealthCheck | AlarmOriginHealthCheck;

export interface OriginDnsProps {
  /** Domain of the public hosted zone, e.g. `example.com`. */
  readonly zoneName: string;
  /**
   * Id of the zone, when known at synth. Unset: the zone (created by another stack, e.g. the Edge
   * stack) is found by name at deploy time.
   * @default found by name
   */
  readonly hostedZoneId?: string;
  /** The latency-routed name, inside the zone, e.g. `origin.example.com`. */
  readonly recordName: string;
  /** This region's load balancer; the record is an alias to it. */
  readonly loadBalancer: elbv2.ILoadBalancerV2;
  /**
   * How Route 53 decides this region may receive traffic (see docs/decisions/0008).
   * @default HTTPS probe of `/readyz` every 30 s, unhealthy after 3 failures
   */
  readonly healthCheck?: OriginHealthCheck;
  /**
   * A switch an operator turns off to take the region out of DNS on purpose, without a deploy
   * and without touching `healthCheck`: the record then follows a calculated health check that
   * requires both (see `EvacuationSwitch` and docs/decisions/0008). Changing from none to a
   * switch or back points the record at another health check; the region's own check stays.
   * @default none: the record follows `healthCheck` alone, and evacuating the region takes a deploy
   */
  readonly evacuationSwitch?: EvacuationSwitchProps;
  /**
   * Make the record a CNAME to the load balancer's DNS name with this TTL, instead of an alias A
   * record. An alias answer is free and withdraws a load balancer with no healthy target, but
   * resolvers keep it for the load balancer's fixed 60 s, which is most of a region failover; a
   * 10 s CNAME fails over within a minute, for Route 53's per-query charge on latency records.
   * Every region's record of the name must be of the same kind.
   * @default an alias A record (60 s)
   */
  readonly recordTtl?: Duration;
  /**
   * Distinguishes this region's record from the other regions' records of the same name.
   * @default the stack's region
   */
  readonly setIdentifier?: string;
}

/** A lower-case DNS name of at least two labels. */
const HOSTNAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.[a-z]{2,63}$/;
/** Route 53 resource paths: up to 255 characters, starting with `/`, no spaces. */
const RESOURCE_PATH = /^\/\S{0,254}$/;

/** The resolved health-check settings, after validation. */
export type ResolvedHealthCheck =
  | {
      readonly type: 'https';
      readonly path: string;
      readonly requestInterval: Duration;
      readonly failureThreshold: number;
    }
  | {
      readonly type: 'alarm';
      readonly alarm: cloudwatch.IAlarm;
      readonly insufficientDataHealthStatus: route53.InsufficientDataHealthStatusEnum;
    };

/** Validates the names and the health check; throws `PropError` naming the prop. */
export function resolveOriginDns(scope: IConstruct, props: OriginDnsProps): ResolvedHealthCheck {
  const { zoneName, recordName } = props;
  if (!Token.isUnresolved(zoneName) && !HOSTNAME.test(zoneName)) {
    throw new PropError(scope, 'zoneName', zoneName, 'a lower-case DNS name such as example.com');
  }
  if (
    !Token.isUnresolved(recordName) &&
    (!HOSTNAME.test(recordName) || !(recordName === zoneName || recordName.endsWith(`.${zoneName}`)))
  ) {
    throw new PropError(scope, 'recordName', recordName, `a lower-case DNS name in the zone ${zoneName}`);
  }
  const ttl = props.recordTtl?.toSeconds();
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1 || ttl > 300)) {
    throw new PropError(
      scope,
      'recordTtl',
      props.recordTtl?.toHumanString(),
      'a whole number of seconds from 1 to 300',
    );
  }
  const check = props.healthCheck ?? { type: 'https' };
  if (check.type === 'alarm') {
    if (check.alarm instanceof cloudwatch.CompositeAlarm || usesMathOrPercentile(check.alarm)) {
      throw new PropError(
        scope,
        'healthCheck.alarm',
        check.alarm.node.path,
        'a metric alarm on one standard-resolution metric with Average, Minimum, Maximum, Sum or SampleCount',
        'cannot be followed by Route 53',
      );
    }
    return {
      type: 'alarm',
      alarm: check.alarm,
      insufficientDataHealthStatus:
        check.insufficientDataHealthStatus ?? route53.InsufficientDataHealthStatusEnum.LAST_KNOWN_STATUS,
    };
  }
  const probePath = check.path ?? '/readyz';
  if (!Token.isUnresolved(probePath) && !RESOURCE_PATH.test(probePath)) {
    throw new PropError(
      scope,
      'healthCheck.path',
      probePath,
      'a path that starts with / and has no spaces, up to 255 characters',
    );
  }
  const requestInterval = check.requestInterval ?? Duration.seconds(30);
  const intervalSeconds = requestInterval.toSeconds({ integral: false });
  if (!Token.isUnresolved(intervalSeconds) && intervalSeconds !== 10 && intervalSeconds !== 30) {
    throw new PropError(scope, 'healthCheck.requestInterval', requestInterval.toHumanString(), '10 or 30 seconds');
  }
  const failureThreshold = check.failureThreshold ?? 3;
  if (
    !Token.isUnresolved(failureThreshold) &&
    (!Number.isInteger(failureThreshold) || failureThreshold < 1 || failureThreshold > 10)
  ) {
    throw new PropError(scope, 'healthCheck.failureThreshold', failureThreshold, 'an integer from 1 to 10');
  }
  return { type: 'https', path: probePath, requestInterval, failureThreshold };
}

/** True for an alarm of this app whose template uses metric math or an extended statistic. */
function usesMathOrPercentile(alarm: cloudwatch.IAlarm): boolean {
  const cfn = alarm.node.defaultChild;
  return cfn instanceof cloudwatch.CfnAlarm && (cfn.metrics !== undefined || cfn.extendedStatistic !== undefined);
}
