import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { AppConfig, EDGE_REGION } from '../config';

export interface EdgeStackProps extends StackProps {
  readonly config: AppConfig;
}

/**
 * Global resources, deployed to us-east-1 because CloudFront certificates and WAF web ACLs
 * must live there: the public hosted zone now, and the CDN, WAF and certificates built on it.
 */
export class EdgeStack extends Stack {
  public readonly hostedZone: route53.IPublicHostedZone;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    const { config } = props;
    super(scope, id, { ...props, env: { account: config.account, region: EDGE_REGION } });

    if (config.hostedZoneId) {
      this.hostedZone = route53.PublicHostedZone.fromPublicHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: config.hostedZoneId,
        zoneName: config.domainName,
      });
    } else {
      const zone = new route53.PublicHostedZone(this, 'Zone', { zoneName: config.domainName });
      // Recreating a zone changes its name servers and breaks the delegation from the registrar.
      zone.applyRemovalPolicy(config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
      this.hostedZone = zone;
    }

    // Only ACM may issue certificates for the domain: every certificate here is ACM-issued.
    new route53.CaaAmazonRecord(this, 'CaaAmazon', { zone: this.hostedZone });
  }
}
