import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { contentBucket, logBucket } from './cdn/buckets';
import { acknowledgeWildcardResource } from './nag';
import { CdnPolicies, createPolicies } from './cdn/policies';
import { CdnProps, resolveCdnSettings } from './cdn/props';

export { CONTENT_SECURITY_POLICY } from './cdn/policies';
export { PRICE_CLASSES } from './cdn/props';
export type { CdnProps, PriceClassName, StaticReplicaLocation } from './cdn/props';

/** Cacheable API reads; every other dynamic path falls to the uncached default behaviour. */
export const API_ITEMS_PATH = '/api/items/*';
/** Paths served from the site bucket: the root document (via the default root object) and assets. */
export const STATIC_PATHS = ['/index.html', '/static/*'] as const;
/** S3 answers 403 for a missing object when CloudFront may not list the bucket. */
export const FAILOVER_STATUS_CODES = [403, 404, 500, 502, 503, 504];
/** Browsers re-check the site after a minute; the edge keeps it a day, invalidated on every deploy. */
const SITE_CACHE_CONTROL = 'public, max-age=60, s-maxage=86400';

/**
 * The CloudFront distribution of the app (Edge stack, us-east-1): dynamic requests go over HTTPS to
 * the latency-routed ALBs with the origin-verify header and are not cached, except item reads with
 * a short TTL (decision 7); the static site is served from a private bucket through OAC, failing
 * over to a replica bucket in another region when one is given.
 */
export class Cdn extends Construct {
  public readonly distribution: cloudfront.Distribution;
  /** The primary copy of the static site (us-east-1). */
  public readonly siteBucket: s3.Bucket;
  /** CloudFront standard logs (`cloudfront/`) and the site bucket's access logs (`site-bucket/`). */
  public readonly logBucket: s3.Bucket;
  public readonly policies: CdnPolicies;
  public readonly deployment: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: CdnProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const settings = resolveCdnSettings(this, props, stack.region);
    const { removalPolicy } = settings;

    this.logBucket = logBucket(this, 'Logs', { expiration: settings.logExpiration, removalPolicy, acceptAcls: true });
    const replica = props.staticReplica
      ? s3.Bucket.fromBucketAttributes(this, 'Replica', {
          bucketName: props.staticReplica.bucketName,
          region: props.staticReplica.region,
          account: stack.account,
        })
      : undefined;
    this.siteBucket = contentBucket(this, 'Site', {
      removalPolicy,
      accessLogBucket: this.logBucket,
      accessLogPrefix: 'site-bucket/',
      replicationRules: replica && [{ destination: replica, id: 'static-failover', deleteMarkerReplication: true }],
    });
    if (replica) {
      // Replication reads every object version here and writes it there: object-level by nature.
      const role = this.siteBucket.node.findChild('ReplicationRole');
      for (const bucket of [this.siteBucket, replica]) {
        acknowledgeWildcardResource(
          role,
          bucket.arnForObjects('*'),
          'S3 replication acts on every object of the site bucket and its replica, and on nothing else.',
        );
      }
    }
    this.policies = createPolicies(this, settings);

    const api = new origins.HttpOrigin(props.originDomainName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      customHeaders: { [props.originVerify.headerName]: props.originVerify.headerValue },
      readTimeout: settings.originReadTimeout,
      keepaliveTimeout: settings.originKeepaliveTimeout,
    });
    const oac = new cloudfront.S3OriginAccessControl(this, 'SiteAccessControl', {
      description: 'CloudFront reads the static site buckets, signing with SigV4',
    });
    const primary = origins.S3BucketOrigin.withOriginAccessControl(this.siteBucket, { originAccessControl: oac });
    const site = replica
      ? new origins.OriginGroup({
          primaryOrigin: primary,
          fallbackOrigin: origins.S3BucketOrigin.withOriginAccessControl(replica, { originAccessControl: oac }),
          fallbackStatusCodes: FAILOVER_STATUS_CODES,
        })
      : primary;

    const common = {
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      responseHeadersPolicy: this.policies.securityHeaders,
      compress: true,
    };
    const staticBehavior: cloudfront.BehaviorOptions = {
      ...common,
      origin: site,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
    };

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${props.domainName}: site from S3, API from ${props.originDomainName}`,
      domainNames: [props.domainName, `www.${props.domainName}`],
      certificate: props.certificate,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      sslSupportMethod: cloudfront.SSLMethod.SNI,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableIpv6: true,
      priceClass: settings.priceClass as cloudfront.PriceClass,
      webAclId: props.webAclArn,
      defaultRootObject: 'index.html',
      publishAdditionalMetrics: settings.publishAdditionalMetrics,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      // Cookies carry session ids; the logs must not.
      logIncludesCookies: false,
      // Sessions, writes and anything unknown: never cached, everything the service may need
      // forwarded. Not the Host header: CloudFront would then expect the ALB's certificate to
      // cover the viewer's host, and it covers `origin.<domain>` only.
      defaultBehavior: {
        ...common,
        origin: api,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      additionalBehaviors: {
        // All methods, because PUT shares the path; CloudFront caches GET and HEAD only.
        [API_ITEMS_PATH]: {
          ...common,
          origin: api,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
          cachePolicy: this.policies.apiItemsCache,
          originRequestPolicy: this.policies.apiItemsOrigin,
        },
        ...Object.fromEntries(STATIC_PATHS.map((path) => [path, staticBehavior])),
      },
      // Distribution-wide, so no error page rewrites: API clients must see the API's own errors.
      // Only how long an error is cached: failures not at all, so a recovered origin is used at
      // once; a missing item as long as an item read.
      errorResponses: [
        { httpStatus: 404, ttl: settings.apiCacheDefaultTtl },
        ...[500, 502, 503, 504].map((httpStatus) => ({ httpStatus, ttl: Duration.seconds(0) })),
      ],
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'The app serves every country on purpose; blocking by geography belongs in the WAF web ACL if ever needed.',
    });
    if (replica) {
      Validations.of(this.distribution).acknowledge({
        id: '@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac',
        reason:
          "The replica's own stack grants CloudFront s3:GetObject (StaticReplica), because it deploys before this distribution exists.",
      });
    }

    this.deployment = new s3deploy.BucketDeployment(this, 'DeploySite', {
      sources: [s3deploy.Source.asset(props.siteAssetPath)],
      destinationBucket: this.siteBucket,
      cacheControl: [s3deploy.CacheControl.fromString(SITE_CACHE_CONTROL)],
      distribution: this.distribution,
      distributionPaths: ['/', ...STATIC_PATHS],
      memoryLimit: 256,
      // Its own group instead of CDK's default, which is retained even when the stack goes: a
      // copy job's logs hold nothing worth keeping past a month, or past the stack.
      logGroup: new logs.LogGroup(this, 'DeploySiteLogs', {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    this.acknowledgeDeploymentHandler();
  }

  /**
   * BucketDeployment's handler is a CDK-owned singleton Lambda at stack level (the role's parent);
   * its permissions and runtime come from aws-cdk-lib and change only with it.
   */
  private acknowledgeDeploymentHandler(): void {
    const handler = this.deployment.handlerRole.node.scope!;
    const asset = this.deployment.node.findAll().find((child) => child instanceof s3assets.Asset) as s3assets.Asset;
    Validations.of(handler).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The managed policy only lets the deployment handler write its own CloudWatch logs.',
      },
      {
        id: 'AwsSolutions-L1',
        reason: 'The runtime of the BucketDeployment handler is pinned by aws-cdk-lib and moves with its upgrades.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudfront:CreateInvalidation and GetInvalidation, which the handler calls after a deploy, have no resource-level permissions.',
      },
      ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason:
          'The grantRead/grantReadWrite action families BucketDeployment uses on its asset and on the site bucket only.',
      })),
    );
    const reason =
      'The handler copies the site from its staged asset into the site bucket: every object of both, nothing else.';
    acknowledgeWildcardResource(handler, this.siteBucket.arnForObjects('*'), reason);
    acknowledgeWildcardResource(handler, asset.bucket.arnForObjects('*'), reason);
  }

  /** Requests of every method and path, summed. */
  metricRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.distribution.metricRequests({ statistic: 'Sum', ...this.metricTarget(), ...props });
  }

  /** Share of viewer requests answered with a 5xx, in percent (edge and origin errors). */
  metric5xxErrorRate(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.distribution.metric5xxErrorRate({ statistic: 'Average', ...this.metricTarget(), ...props });
  }

  /** Share of cacheable requests served from the edge, in percent; needs `publishAdditionalMetrics`. */
  metricCacheHitRate(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.distribution.metricCacheHitRate({ statistic: 'Average', ...this.metricTarget(), ...props });
  }

  /**
   * CloudFront publishes in us-east-1 with a `Region: Global` dimension, which the L2's metrics
   * leave out, so they match no data (aws-cdk#19245).
   */
  private metricTarget(): Pick<cloudwatch.MetricOptions, 'dimensionsMap' | 'region'> {
    return {
      dimensionsMap: { DistributionId: this.distribution.distributionId, Region: 'Global' },
      region: 'us-east-1',
    };
  }
}
