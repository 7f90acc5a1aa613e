import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PropError } from '../../lib/constructs/validation';
import { Cdn, CdnProps, CONTENT_SECURITY_POLICY } from '../../lib/constructs/cdn';
import { sharedSecretValue } from '../../lib/constructs/shared-secrets';
import { FEATURE_FLAGS } from '../helpers';

const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0d9e2f4c-1111-2222-3333-444455556666';
const WEB_ACL_ARN = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/app/0d9e2f4c-1111-2222-3333-444455556666';
const REPLICA = { bucketName: 'app-static-123456789012-eu-west-1', region: 'eu-west-1' };
const SITE = path.join(__dirname, '..', '..', 'web');

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly cdn: Cdn;
  readonly template: Template;
}

function build(props: Partial<CdnProps> = {}, options: { nag?: boolean } = {}): Built {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Edge', { env: { region: 'us-east-1' } });
  const cdn = new Cdn(stack, 'Cdn', {
    domainName: 'example.com',
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', CERTIFICATE_ARN),
    originDomainName: 'origin.example.com',
    originVerify: { headerName: 'x-origin-verify', headerValue: sharedSecretValue('app/origin-verify') },
    siteAssetPath: SITE,
    ...props,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, cdn, template: Template.fromStack(stack) };
}

const idOf = (built: Built, construct: { node: { defaultChild?: unknown } }) =>
  built.stack.getLogicalId(construct.node.defaultChild as never);
const distributionConfig = (built: Built) =>
  Object.values(built.template.findResources('AWS::CloudFront::Distribution'))[0].Properties.DistributionConfig;
const behavior = (built: Built, pathPattern: string) =>
  distributionConfig(built).CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === pathPattern);
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

describe('Cdn with a replica and a web ACL', () => {
  let built: Built;
  let config: Record<string, any>;
  beforeAll(() => {
    built = build({ staticReplica: REPLICA, webAclArn: WEB_ACL_ARN }, { nag: true });
    config = distributionConfig(built);
  });

  test('the API origin is HTTPS-only with TLS 1.2, timeouts, and the verification header as a dynamic reference', () => {
    const api = config.Origins.find((o: { DomainName: string }) => o.DomainName === 'origin.example.com');
    expect(api.CustomOriginConfig).toEqual({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
      OriginReadTimeout: 30,
      OriginKeepaliveTimeout: 30,
    });
    expect(api.OriginCustomHeaders).toEqual([{ HeaderName: 'x-origin-verify', HeaderValue: expect.any(String) }]);
    expect(api.OriginCustomHeaders[0].HeaderValue).toMatch(/^\{\{resolve:secretsmanager:app\/origin-verify:/);
  });

  test('the default behaviour caches nothing, allows every method and forwards all but Host', () => {
    expect(config.DefaultCacheBehavior).toMatchObject({
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST,
      ViewerProtocolPolicy: 'redirect-to-https',
    });
  });

  test('item reads cache 0-5-60 s, keyed on the path only, with writes still allowed', () => {
    built.template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: {
        MinTTL: 0,
        DefaultTTL: 5,
        MaxTTL: 60,
        ParametersInCacheKeyAndForwardedToOrigin: {
          CookiesConfig: { CookieBehavior: 'none' },
          HeadersConfig: { HeaderBehavior: 'none' },
          QueryStringsConfig: { QueryStringBehavior: 'none' },
          EnableAcceptEncodingGzip: true,
          EnableAcceptEncodingBrotli: true,
        },
      },
    });
    expect(behavior(built, '/api/items/*')).toMatchObject({
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachedMethods: ['GET', 'HEAD'],
      CachePolicyId: { Ref: idOf(built, built.cdn.policies.apiItemsCache) },
      OriginRequestPolicyId: { Ref: idOf(built, built.cdn.policies.apiItemsOrigin) },
    });
    built.template.hasResourceProperties('AWS::CloudFront::OriginRequestPolicy', {
      OriginRequestPolicyConfig: Match.objectLike({
        CookiesConfig: { CookieBehavior: 'all' },
        QueryStringsConfig: { QueryStringBehavior: 'none' },
      }),
    });
  });

  test('only item reads and the static site have their own behaviours', () => {
    expect(config.CacheBehaviors.map((b: { PathPattern: string }) => b.PathPattern)).toEqual([
      '/api/items/*',
      '/index.html',
      '/static/*',
    ]);
    expect(config.DefaultRootObject).toBe('index.html');
  });

  test('the site is read through OAC from an origin group failing over to the replica', () => {
    built.template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    built.template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    const [group] = config.OriginGroups.Items;
    expect(group.FailoverCriteria.StatusCodes.Items).toEqual([403, 404, 500, 502, 503, 504]);
    const members = group.Members.Items.map((m: { OriginId: string }) =>
      config.Origins.find((o: { Id: string }) => o.Id === m.OriginId),
    );
    expect(members[0].DomainName).toEqual({ 'Fn::GetAtt': [idOf(built, built.cdn.siteBucket), 'RegionalDomainName'] });
    expect(members[1].DomainName).toMatch(/^app-static-123456789012-eu-west-1\.s3\.eu-west-1\./);
    for (const member of members) {
      expect(member.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Id'] });
      expect(member.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    }
    for (const path of ['/index.html', '/static/*']) {
      expect(behavior(built, path)).toMatchObject({
        TargetOriginId: group.Id,
        AllowedMethods: ['GET', 'HEAD'],
        CachePolicyId: CACHING_OPTIMIZED,
      });
    }
  });

  test('the site bucket replicates every object and delete marker to the replica, with a role scoped to both', () => {
    const siteId = idOf(built, built.cdn.siteBucket);
    built.template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      ReplicationConfiguration: {
        Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReplicationRole'), 'Arn'] },
        Rules: [
          Match.objectLike({
            Status: 'Enabled',
            Destination: { Bucket: `arn:aws:s3:::${REPLICA.bucketName}` },
            DeleteMarkerReplication: { Status: 'Enabled' },
          }),
        ],
      },
    });
    const policies = built.template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('ReplicationRole') }] },
    });
    const statements = Object.values(policies)[0].Properties.PolicyDocument.Statement;
    const resources = statements.flatMap((s: { Resource: unknown }) => [s.Resource].flat());
    expect(resources).toEqual(
      expect.arrayContaining([
        { 'Fn::GetAtt': [siteId, 'Arn'] },
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [siteId, 'Arn'] }, '/*']] },
        `arn:aws:s3:::${REPLICA.bucketName}/*`,
      ]),
    );
    expect(resources).toHaveLength(3);
    expect(statements.flatMap((s: { Action: string[] }) => s.Action)).not.toContain('s3:*');
  });

  test('no bucket is public, unencrypted, or reachable without TLS', () => {
    const buckets = built.template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const [id, bucket] of Object.entries(buckets)) {
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
      });
      built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  test('the site bucket grants only this distribution, and logs its access to the log bucket', () => {
    built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: idOf(built, built.cdn.siteBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Condition: {
              StringEquals: {
                'AWS:SourceArn': {
                  'Fn::Join': ['', Match.arrayWith([{ Ref: idOf(built, built.cdn.distribution) }])],
                },
              },
            },
          }),
        ]),
      },
    });
    built.template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: {
        DestinationBucketName: { Ref: idOf(built, built.cdn.logBucket) },
        LogFilePrefix: 'site-bucket/',
      },
    });
  });

  test('standard logs go, without cookies, to a log bucket that accepts the ACLs CloudFront writes', () => {
    expect(config.Logging).toEqual({
      Bucket: { 'Fn::GetAtt': [idOf(built, built.cdn.logBucket), 'RegionalDomainName'] },
      IncludeCookies: false,
      Prefix: 'cloudfront/',
    });
    built.template.hasResourceProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90 })] },
    });
  });

  test('security headers: HSTS preload, the CSP, nosniff, DENY, referrer policy, XSS auditor off', () => {
    built.template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: {
          StrictTransportSecurity: {
            AccessControlMaxAgeSec: 63072000,
            IncludeSubdomains: true,
            Preload: true,
            Override: true,
          },
          ContentSecurityPolicy: { ContentSecurityPolicy: CONTENT_SECURITY_POLICY, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true },
          XSSProtection: { Protection: false, Override: true },
        },
      }),
    });
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    const policyRef = { Ref: idOf(built, built.cdn.policies.securityHeaders) };
    for (const b of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(b.ResponseHeadersPolicyId).toEqual(policyRef);
    }
  });

  test('viewers: apex and www, TLS 1.2_2021 by SNI, HTTP/2 and 3, IPv6, all price classes, the web ACL', () => {
    expect(config).toMatchObject({
      Aliases: ['example.com', 'www.example.com'],
      ViewerCertificate: {
        AcmCertificateArn: CERTIFICATE_ARN,
        MinimumProtocolVersion: 'TLSv1.2_2021',
        SslSupportMethod: 'sni-only',
      },
      HttpVersion: 'http2and3',
      IPV6Enabled: true,
      PriceClass: 'PriceClass_All',
      WebACLId: WEB_ACL_ARN,
    });
  });

  test('error responses only set how long errors are cached; API errors are never rewritten', () => {
    expect(config.CustomErrorResponses).toEqual([
      { ErrorCode: 404, ErrorCachingMinTTL: 5 },
      ...[500, 502, 503, 504].map((ErrorCode) => ({ ErrorCode, ErrorCachingMinTTL: 0 })),
    ]);
  });

  test('deploys web/ to the site bucket and invalidates the site paths', () => {
    built.template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: idOf(built, built.cdn.siteBucket) },
      DistributionId: { Ref: idOf(built, built.cdn.distribution) },
      DistributionPaths: ['/', '/index.html', '/static/*'],
      SystemMetadata: { 'cache-control': 'public, max-age=60, s-maxage=86400' },
      Prune: true,
    });
  });

  test('retains the buckets by default', () => {
    built.template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('offers request, 5xx-rate and cache-hit metrics with the Global dimension CloudFront publishes', () => {
    const { cdn, stack } = built;
    const cases = [
      [cdn.metricRequests(), 'Requests', 'Sum'],
      [cdn.metric5xxErrorRate(), '5xxErrorRate', 'Average'],
      [cdn.metricCacheHitRate(), 'CacheHitRate', 'Average'],
    ] as const;
    for (const [metric, metricName, statistic] of cases) {
      expect(metric).toMatchObject({ namespace: 'AWS/CloudFront', metricName, statistic, region: 'us-east-1' });
      expect(stack.resolve(metric.dimensions)).toEqual({
        DistributionId: { Ref: idOf(built, cdn.distribution) },
        Region: 'Global',
      });
    }
    built.template.resourceCountIs('AWS::CloudFront::MonitoringSubscription', 1);
  });

  test('passes cdk-nag AwsSolutions and the template lint, with no unacknowledged warning', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
    Annotations.fromStack(built.stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('Cdn options', () => {
  let plain: Built;
  beforeAll(() => {
    plain = build({
      priceClass: 'PriceClass_100',
      apiCacheDefaultTtl: Duration.seconds(2),
      apiCacheMaxTtl: Duration.seconds(10),
      apiCacheQueryStrings: ['fields'],
      removalPolicy: RemovalPolicy.DESTROY,
      publishAdditionalMetrics: false,
    });
  });

  test('without a replica: one S3 origin, no origin group, no replication', () => {
    const config = distributionConfig(plain);
    expect(config.OriginGroups).toBeUndefined();
    expect(behavior(plain, '/static/*').TargetOriginId).toBe(
      config.Origins.find((o: { S3OriginConfig?: unknown }) => o.S3OriginConfig).Id,
    );
    plain.template.hasResourceProperties('AWS::S3::Bucket', { ReplicationConfiguration: Match.absent() });
    plain.template.resourceCountIs('AWS::IAM::Role', 2);
  });

  test('without a web ACL the distribution has none (and AwsSolutions-CFR2 is left to fail)', () => {
    expect(distributionConfig(plain).WebACLId).toBeUndefined();
  });

  test('takes the price class, TTLs and keyed query strings from config', () => {
    expect(distributionConfig(plain).PriceClass).toBe('PriceClass_100');
    plain.template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: 2,
        MaxTTL: 10,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          QueryStringsConfig: { QueryStringBehavior: 'whitelist', QueryStrings: ['fields'] },
        }),
      }),
    });
  });

  test('deletes the buckets with their objects when asked (dev)', () => {
    plain.template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    plain.template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  });

  test('skips the additional metrics when asked', () => {
    plain.template.resourceCountIs('AWS::CloudFront::MonitoringSubscription', 0);
  });
});

describe('Cdn validation', () => {
  test.each([
    ['domainName', { domainName: '' }, '""'],
    ['domainName', { domainName: 'Example.COM' }, '"Example.COM"'],
    ['originDomainName', { originDomainName: 'origin' }, '"origin"'],
  ])('rejects %s %p', (key, props, shown) => {
    expect(() => build(props)).toThrow(PropError);
    expect(() => build(props)).toThrow(
      new RegExp(
        `^Edge/Cdn: ${key} = ${shown} is not allowed \\(allowed: a lower-case DNS name such as example\\.com\\)$`,
      ),
    );
  });

  test('rejects an unknown price class', () => {
    expect(() => build({ priceClass: 'PriceClass_50' as never })).toThrow(
      /^Edge\/Cdn: priceClass = "PriceClass_50" is not allowed \(allowed: PriceClass_100, PriceClass_200, PriceClass_All\)$/,
    );
  });

  test.each([
    ['apiCacheMinTtl', '500 millis', Duration.millis(500)],
    ['apiCacheDefaultTtl', '1 second 500 millis', Duration.millis(1500)],
    ['apiCacheMaxTtl', '366 days', Duration.days(366)],
  ] as const)('rejects %s of %s', (prop, shown, duration) => {
    expect(() => build({ [prop]: duration })).toThrow(
      new RegExp(
        `^Edge/Cdn: ${prop} = "${shown}" is out of range \\(allowed: a whole number of seconds from 0 to 31536000\\)$`,
      ),
    );
  });

  test('rejects a default TTL below the minimum and a maximum below the default', () => {
    expect(() => build({ apiCacheMinTtl: Duration.seconds(10) })).toThrow(
      /^Edge\/Cdn: apiCacheDefaultTtl = "5 seconds" is below the minimum TTL \(allowed: at least apiCacheMinTtl \(10 seconds\)\)$/,
    );
    expect(() => build({ apiCacheMaxTtl: Duration.seconds(4) })).toThrow(
      /^Edge\/Cdn: apiCacheMaxTtl = "4 seconds" is below the default TTL \(allowed: at least apiCacheDefaultTtl \(5 seconds\)\)$/,
    );
  });

  test.each(['originReadTimeout', 'originKeepaliveTimeout'])('rejects a %s over 60 seconds', (prop) => {
    expect(() => build({ [prop]: Duration.seconds(61) })).toThrow(
      new RegExp(
        `^Edge/Cdn: ${prop} = "1 minute 1 second" is out of range \\(allowed: a whole number of seconds from 1 to 60\\)$`,
      ),
    );
  });

  test('rejects a query string name that is not URL-safe', () => {
    expect(() => build({ apiCacheQueryStrings: ['a b'] })).toThrow(
      /^Edge\/Cdn: apiCacheQueryStrings = "a b" is not allowed/,
    );
  });

  test('rejects a replica in the edge region or with a bad bucket name', () => {
    expect(() => build({ staticReplica: { ...REPLICA, region: 'us-east-1' } })).toThrow(
      /^Edge\/Cdn: staticReplica\.region = "us-east-1" is the region of the primary site bucket \(allowed: a region other than us-east-1\)$/,
    );
    expect(() => build({ staticReplica: { ...REPLICA, bucketName: 'Bad_Name' } })).toThrow(
      /^Edge\/Cdn: staticReplica\.bucketName = "Bad_Name" is not allowed \(allowed: an S3 bucket name\)$/,
    );
  });
});
