import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { AppConfig, EDGE_REGION } from '../config';

/** The latency-routed name CloudFront sends dynamic requests to; each region's ALB answers it. */
export function originDomainName(config: AppConfig): string {
  return `origin.${config.domainName}`;
}

export interface EdgeStackProps extends StackProps {
  readonly config: AppConfig;
}

/**
 * Global resources, deployed to us-east-1 because CloudFront certificates and WAF web ACLs
 * must live there: the public hosted zone and the certificate now, and the CDN and WAF built on
 * them. Deploys after the Data stacks (it reads the shared secrets' us-east-1 replicas) and
 * before the Service stacks (their certificates rely on its validation records).
 */
export class EdgeStack extends Stack {
  public readonly hostedZone: route53.IPublicHostedZone;
  /** CloudFront's certificate; its DNS validation records also validate every regional origin certificate. */
  public readonly certificate: acm.Certificate;

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

    // ACM validates a name with the same CNAME in every region of an account, so the record this
    // certificate writes for the origin name also validates each region's ALB certificate; one
    // long-lived stack owns it, and no two stacks write the same record (decision 5).
    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: config.domainName,
      subjectAlternativeNames: [`www.${config.domainName}`, originDomainName(config)],
      validation: acm.CertificateValidation.fromDns(this.hostedZone),
    });
  }
}
