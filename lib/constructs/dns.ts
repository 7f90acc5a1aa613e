import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { EDGE_REGION } from '../config';
import { HostedZoneByName } from './dns/hosted-zone-by-name';
import { OriginDnsProps, ResolvedHealthCheck, resolveOriginDns } from './dns/props';

export { HostedZoneByName } from './dns/hosted-zone-by-name';
export type { HostedZoneByNameProps } from './dns/hosted-zone-by-name';
export type { AlarmOriginHealthCheck, HttpsOriginHealthCheck, OriginDnsProps, OriginHealthCheck } from './dns/props';

/**
 * This region's share of the latency-routed origin name: an alias A record to the region's load
 * balancer, tagged with the region and guarded by a Route 53 health check. Route 53 answers each
 * resolver (CloudFront's, for the origin) with the lowest-latency region whose check passes, so a
 * failed region drains within the time modeled in docs/decisions/0008; if every region fails,
 * Route 53 answers as if all were healthy.
 *
 * The zone is imported by id when config gives one, else found by name at deploy time: the Edge
 * stack that creates it lives in another region (decision 1).
 */
export class OriginDns extends Construct {
  public readonly hostedZone: route53.IHostedZone;
  public readonly record: route53.ARecord;
  public readonly healthCheck: route53.HealthCheck;

  constructor(scope: Construct, id: string, props: OriginDnsProps) {
    super(scope, id);
    const { healthCheck } = resolveOriginDns(props);
    const region = Stack.of(this).region;

    this.hostedZone = props.hostedZoneId
      ? route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: props.hostedZoneId,
          zoneName: props.zoneName,
        })
      : new HostedZoneByName(this, 'ZoneByName', { zoneName: props.zoneName }).hostedZone;

    this.healthCheck = new route53.HealthCheck(this, 'HealthCheck', healthCheckProps(props, healthCheck));
    this.record = new route53.ARecord(this, 'Record', {
      zone: this.hostedZone,
      recordName: `${props.recordName}.`,
      // Latency routing: one record per region under the same name, told apart by the identifier.
      region,
      setIdentifier: props.setIdentifier ?? region,
      healthCheck: this.healthCheck,
      // Also withdraw the region when its load balancer has no healthy target in any AZ.
      target: route53.RecordTarget.fromAlias(
        new targets.LoadBalancerTarget(props.loadBalancer, { evaluateTargetHealth: true }),
      ),
    });
  }

  /**
   * 1 while Route 53 considers this region healthy, 0 while it is withdrawn (Minimum per period).
   * Route 53 publishes it in us-east-1 only: graph it anywhere, alarm on it from a us-east-1 stack.
   */
  metricHealthCheckStatus(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Route53',
      metricName: 'HealthCheckStatus',
      dimensionsMap: { HealthCheckId: this.healthCheck.healthCheckId },
      region: EDGE_REGION,
      statistic: 'Minimum',
      period: Duration.minutes(1),
      ...props,
    });
  }
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
