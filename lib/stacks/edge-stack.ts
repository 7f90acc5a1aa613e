import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { projectPath } from '../project-paths';
import { AppConfig, EDGE_REGION } from '../config';
import { AlarmDelivery } from '../constructs/alarm-delivery';
import { Cdn } from '../constructs/cdn';
import { keyByAliasInRegion } from '../constructs/data-key';
import { SiteRecords } from '../constructs/dns';
import { ValidationRecordCleanup } from '../constructs/dns/validation-record-cleanup';
import { sharedSecretValue } from '../constructs/shared-secrets';
import { EdgeMonitoring } from '../constructs/edge-monitoring';
import { EdgeFirewall } from '../constructs/waf';
import {
  dataKeyAlias,
  edgeAlarmPrefix,
  edgeWebAclName,
  ORIGIN_VERIFY_HEADER,
  originDomainName,
  sharedSecretNames,
  staticReplicaBucketName,
  staticReplicaRegion,
} from './names';
import { removalPolicyFor } from './regional-stack';

/** The static site CloudFront serves from S3. */
const SITE_DIR = projectPath('web');

export interface EdgeStackProps extends StackProps {
  readonly config: AppConfig;
}

/**
 * The app's public hosted zone in `scope` (the Edge stack): the one `hostedZoneId` names, or else
 * one created here (logical id `Zone` either way), whose name servers are an output to delegate to.
 */
export function appHostedZone(scope: Stack, config: AppConfig): route53.IPublicHostedZone {
  if (config.hostedZoneId) {
    return route53.PublicHostedZone.fromPublicHostedZoneAttributes(scope, 'Zone', {
      hostedZoneId: config.hostedZoneId,
      zoneName: config.domainName,
    });
  }
  const zone = new route53.PublicHostedZone(scope, 'Zone', { zoneName: config.domainName });
  // Recreating a zone changes its name servers and breaks the delegation from the registrar.
  zone.applyRemovalPolicy(removalPolicyFor(config.retainData));
  new CfnOutput(scope, 'NameServers', {
    description: `Delegate ${config.domainName} to these name servers at its registrar (or parent zone)`,
    value: Fn.join(',', zone.hostedZoneNameServers!),
  });
  return zone;
}

/**
 * The first step of a first deploy without `hostedZoneId` (`-c zoneOnly=true`): the Edge stack
 * with its hosted zone alone, under the same stack name and logical id as the full Edge stack. Its
 * `NameServers` output is delegated to before the full deploy, in which every certificate would
 * otherwise wait on DNS validation through a zone nobody resolves yet.
 */
export class EdgeZoneStack extends Stack {
  public readonly hostedZone: route53.IPublicHostedZone;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    const { config } = props;
    super(scope, id, { stackName: id, ...props, env: { account: config.account, region: EDGE_REGION } });
    this.hostedZone = appHostedZone(this, config);
  }
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
  public readonly firewall: EdgeFirewall;
  public readonly cdn: Cdn;
  /** CloudFront, WAF and (through the Service stacks) origin health-check alarms, and their topics. */
  public readonly monitoring: EdgeMonitoring;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    const { config } = props;
    // The id is the CloudFormation name even inside a Stage (pipeline mode, decision 9).
    super(scope, id, { stackName: id, ...props, env: { account: config.account, region: EDGE_REGION } });

    this.hostedZone = appHostedZone(this, config);

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
    if (!config.hostedZoneId) {
      // A zone that goes with the stack must first lose the validation records CloudFormation
      // leaves in it, or the delete (and a failed create's rollback) stops at the zone.
      new ValidationRecordCleanup(this, 'ValidationRecordCleanup', {
        zone: this.hostedZone,
        certificates: [this.certificate],
        enabled: !config.retainData,
      });
    }

    const removalPolicy = removalPolicyFor(config.retainData);
    this.firewall = new EdgeFirewall(this, 'Firewall', {
      appName: config.appName,
      webAclName: edgeWebAclName(config.appName),
      rateLimitPer5Minutes: config.edge.rateLimitPer5Minutes,
      logRetention: config.logRetentionDays,
      removalPolicy,
    });

    const { edge } = config;
    const replicaRegion = staticReplicaRegion(config);
    this.cdn = new Cdn(this, 'Cdn', {
      domainName: config.domainName,
      certificate: this.certificate,
      originDomainName: originDomainName(config),
      originVerify: {
        headerName: ORIGIN_VERIFY_HEADER,
        headerValue: sharedSecretValue(sharedSecretNames(config.appName).originVerify),
      },
      webAclArn: this.firewall.webAclArn,
      priceClass: edge.priceClass,
      staticReplica: replicaRegion && {
        bucketName: staticReplicaBucketName(config.appName, this.account, replicaRegion),
        region: replicaRegion,
      },
      siteAssetPath: SITE_DIR,
      apiCacheMinTtl: Duration.seconds(edge.apiCacheMinTtlSeconds),
      apiCacheDefaultTtl: Duration.seconds(edge.apiCacheDefaultTtlSeconds),
      apiCacheMaxTtl: Duration.seconds(edge.apiCacheMaxTtlSeconds),
      publishAdditionalMetrics: edge.publishAdditionalMetrics,
      logExpiration: Duration.days(config.logRetentionDays),
      removalPolicy,
    });

    // The names users type lead to the distribution.
    new SiteRecords(this, 'SiteRecords', {
      zone: this.hostedZone,
      names: [config.domainName, `www.${config.domainName}`],
      distribution: this.cdn.distribution,
    });

    this.monitoring = new EdgeMonitoring(this, 'Monitoring', {
      namePrefix: edgeAlarmPrefix(config.appName),
      distributionId: this.cdn.distribution.distributionId,
      webAclName: this.firewall.webAclName,
      additionalMetrics: edge.publishAdditionalMetrics,
      // Where us-east-1 serves, its data key (which already lets this region's alarms publish)
      // encrypts the topics too: one key less.
      key: config.regions.includes(EDGE_REGION)
        ? keyByAliasInRegion(this, 'DataKey', EDGE_REGION, dataKeyAlias(config.appName))
        : undefined,
    });
    new AlarmDelivery(this, 'AlarmDelivery', {
      topics: this.monitoring.topics,
      targets: withAlarmEmail(config),
      chatConfigurationPrefix: edgeAlarmPrefix(config.appName),
    });
  }
}

/** `notifications` per severity, with `alarmEmail` (which reaches both) added to each. */
function withAlarmEmail(config: AppConfig): AppConfig['notifications'] {
  const { notifications, alarmEmail } = config;
  if (alarmEmail === undefined) return notifications;
  const add = (targets: AppConfig['notifications']['page']) => ({
    ...targets,
    emails: [...targets.emails, alarmEmail],
  });
  return { ...notifications, page: add(notifications.page), ticket: add(notifications.ticket) };
}
