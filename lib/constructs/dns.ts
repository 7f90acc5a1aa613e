import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { CLOUDFRONT_REGION } from './choices';
import { EvacuationSwitch } from './dns/evacuation-switch';
import { HostedZoneByName } from './dns/hosted-zone-by-name';
import { OriginDnsProps, ResolvedHealthCheck, resolveOriginDns } from './dns/props';

export { EVACUATION_SWITCH_METRIC, EvacuationSwitch } from './dns/evacuation-switch';
export type { EvacuationSwitchProps, InvertedCheckSwitch, RoutingControlSwitch } from './dns/evacuation-switch';
export { HostedZoneByName } from './dns/hosted-zone-by-name';
export type { HostedZoneByNameProps } from './dns/hosted-zone-by-name';
export { SiteRecords } from './dns/site-records';
export type { SiteRecordsProps } from './dns/site-records';
export type { AlarmOriginHealthCheck, HttpsOriginHealthCheck, OriginDnsProps, OriginHealthCheck } from './dns/props';

/**
 * This region's share of the latency-routed origin name: an alias A record to the region's load
 * balancer (or, with `recordTtl`, a CNAME to its DNS name that resolvers keep for less time), tagged with the region and guarded by a Route 53 health check. Route 53 answers each
 * resolver (CloudFront's, for the origin) with the lowest-latency region whose check passes, so a
 * failed region drains within the time modeled in docs/decisions/0008; if every region fails,
 * Route 53 answers as if all were healthy.
 *
 * With an evacuation switch, the record follows a calculated health check that passes only while
 * both the region's own check and the switch pass, so an operator can take the region out of DNS
 * without a deploy, and turning the switch back on never hides a failing region.
 *
 * The zone is imported by id when `hostedZoneId` gives one, else found by name at deploy time: the Edge
 * stack that creates it lives in another region (decision 1).
 */
export class OriginDns extends Construct {
  public readonly hostedZone: route53.IHostedZone;
  /** An alias A record to the load balancer, or a CNAME to its DNS name when `recordTtl` is set. */
  public readonly record: route53.RecordSet;
  /** The region's own health: an HTTPS probe of the load balancer, or a CloudWatch alarm. */
  public readonly originHealthCheck: route53.HealthCheck;
  /** The operator's switch; undefined without `evacuationSwitch`. */
  public readonly evacuationSwitch?: EvacuationSwitch;
  /**
   * The health check the record follows: with a switch, a calculated check that requires both
   * children (`HealthThreshold` = 2); without one, `originHealthCheck` itself.
   */
  public readonly recordHealthCheck: route53.HealthCheck;

  constructor(scope: Construct, id: string, props: OriginDnsProps) {
    super(scope, id);
    const healthCheck = resolveOriginDns(this, props);
    const region = Stack.of(this).region;

    this.hostedZone = props.hostedZoneId
      ? route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: props.hostedZoneId,
          zoneName: props.zoneName,
        })
      : new HostedZoneByName(this, 'ZoneByName', { zoneName: props.zoneName }).hostedZone;

    this.originHealthCheck = new route53.HealthCheck(this, 'HealthCheck', healthCheckProps(props, healthCheck));
    if (props.evacuationSwitch) {
      this.evacuationSwitch = new EvacuationSwitch(this, 'EvacuationSwitch', props.evacuationSwitch);
      const children = [this.originHealthCheck, this.evacuationSwitch.healthCheck];
      this.recordHealthCheck = new route53.HealthCheck(this, 'RecordHealthCheck', {
        type: route53.HealthCheckType.CALCULATED,
        childHealthChecks: children,
        healthThreshold: children.length,
      });
    } else {
      this.recordHealthCheck = this.originHealthCheck;
    }
    // Latency routing: one record per region under the same name, told apart by the identifier.
    const routing = {
      zone: this.hostedZone,
      recordName: `${props.recordName}.`,
      region,
      setIdentifier: props.setIdentifier ?? region,
      healthCheck: this.recordHealthCheck,
    };
    this.record = props.recordTtl
      ? // Resolvers keep the answer for `recordTtl` instead of the alias's fixed 60 s.
        new route53.CnameRecord(this, 'Cname', {
          ...routing,
          domainName: props.loadBalancer.loadBalancerDnsName,
          ttl: props.recordTtl,
        })
      : new route53.ARecord(this, 'Record', {
          ...routing,
          // Also withdraw the region when its load balancer has no healthy target in any AZ.
          target: route53.RecordTarget.fromAlias(
            new targets.LoadBalancerTarget(props.loadBalancer, { evaluateTargetHealth: true }),
          ),
        });
  }

  /**
   * 1 while the record's health check passes, i.e. while the region is in DNS; 0 while it is
   * withdrawn, whether it failed or was evacuated (Minimum per period). Route 53 publishes it in
   * us-east-1 only: graph it anywhere, alarm on it from a us-east-1 stack.
   */
  metricHealthCheckStatus(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return healthCheckStatus(this.recordHealthCheck, props);
  }

  /**
   * 1 while the region's own health check passes, 0 while it fails, whatever the evacuation
   * switch says (Minimum per period): tells a failing region from an evacuated one.
   */
  metricOriginHealthCheckStatus(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return healthCheckStatus(this.originHealthCheck, props);
  }
}

/** Route 53's `HealthCheckStatus` of one health check, published in us-east-1. */
function healthCheckStatus(check: route53.IHealthCheck, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Route53',
    metricName: 'HealthCheckStatus',
    dimensionsMap: { HealthCheckId: check.healthCheckId },
    region: CLOUDFRONT_REGION,
    statistic: 'Minimum',
    period: Duration.minutes(1),
    ...props,
  });
}

function healthCheckProps(props: OriginDnsProps, check: ResolvedHealthCheck): route53.HealthCheckProps {
  if (check.type === 'alarm') {
    return {
      type: route53.HealthCheckType.CLOUDWATCH_METRIC,
      alarmIdentifier: { region: check.alarm.env.region, name: check.alarm.alarmName },
      insufficientDataHealthStatus: check.insufficientDataHealthStatus,
    };
  }
  return {
    type: route53.HealthCheckType.HTTPS,
    // The load balancer's own name: the probe must reach this region, not the latency answer.
    fqdn: props.loadBalancer.loadBalancerDnsName,
    port: 443,
    resourcePath: check.path,
    requestInterval: check.requestInterval,
    failureThreshold: check.failureThreshold,
  };
}
