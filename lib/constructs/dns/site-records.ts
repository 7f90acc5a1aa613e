import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

export interface SiteRecordsProps {
  /** The public zone of `names`. */
  readonly zone: route53.IHostedZone;
  /** Names users type, e.g. `example.com` and `www.example.com`; each must be one of the distribution's aliases. */
  readonly names: readonly string[];
  /** The distribution the names lead to. */
  readonly distribution: cloudfront.IDistribution;
}

/**
 * The records users resolve: for each name an IPv4 and an IPv6 alias to the distribution.
 * Alias answers to CloudFront are free and follow its edge addresses as they change.
 */
export class SiteRecords extends Construct {
  public readonly records: readonly route53.RecordSet[];

  constructor(scope: Construct, id: string, props: SiteRecordsProps) {
    super(scope, id);
    const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(props.distribution));
    this.records = props.names.flatMap((name, index) => {
      const recordName = `${name}.`;
      return [
        new route53.ARecord(this, `A${index}`, { zone: props.zone, recordName, target }),
        new route53.AaaaRecord(this, `Aaaa${index}`, { zone: props.zone, recordName, target }),
      ];
    });
  }
}
