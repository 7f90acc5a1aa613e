import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { CLOUDFRONT_REGION } from './choices';
import { PropError } from './validation';

/** WAF's bounds on a rate-based rule's limit (requests per evaluation window per client IP). */
export const RATE_LIMIT_RANGE = { min: 10, max: 2_000_000_000 } as const;

/** Rule names; each is also the rule's CloudWatch metric name (the `Rule` dimension). */
export const EDGE_FIREWALL_RULES = {
  rateLimit: 'RateLimitPerIp',
  ipReputation: 'AWSManagedRulesAmazonIpReputationList',
  common: 'AWSManagedRulesCommonRuleSet',
  knownBadInputs: 'AWSManagedRulesKnownBadInputsRuleSet',
} as const;

export interface EdgeFirewallProps {
  /** Names the log group `aws-waf-logs-<appName>` and describes the web ACL. */
  readonly appName: string;
  /** Name of the web ACL, also the `WebACL` dimension of its metrics, e.g. `<appName>-edge`. */
  readonly webAclName: string;
  /**
   * Requests one client IP may send in any 5-minute window before the excess is answered 429:
   * load shedding at the edge, before a flood reaches an origin. 10 to 2,000,000,000 (WAF's
   * bounds). Size it above your busiest legitimate client, which may be a whole office behind one
   * NAT address; WAF enforces it approximately, within seconds of the breach.
   * @default 2000 (about 6.7 requests per second, sustained)
   */
  readonly rateLimitPer5Minutes?: number;
  /**
   * How long WAF logs are kept; they hold every request's IP, path and matched rule.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Key that encrypts the log group, in this region. CloudWatch Logs (`logs.<region>.amazonaws.com`)
   * must be allowed to use it; a `kms.Key` of this stack is given that statement here, an imported
   * key's policy must already have it. The log-delivery service needs no key access.
   * @default CloudWatch Logs' own encryption
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The CDN's web ACL (CLOUDFRONT scope, so it must live in us-east-1): a per-IP rate limit, then
 * AWS's IP-reputation, common and known-bad-inputs rule groups; anything they let through is
 * allowed. Every rule emits metrics and samples, and every request is logged (credentials
 * redacted) to `aws-waf-logs-<appName>`.
 *
 * Built on the L1 `CfnWebACL`: aws-cdk-lib has no WAFv2 L2 (tracked in aws/aws-cdk#6878).
 */
export class EdgeFirewall extends Construct {
  /** Give this to the CloudFront distribution (`webAclId` takes the ARN for WAFv2). */
  public readonly webAclArn: string;
  public readonly webAclName: string;
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly logGroup: logs.LogGroup;
  public readonly loggingConfiguration: wafv2.CfnLoggingConfiguration;

  constructor(scope: Construct, id: string, props: EdgeFirewallProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.region) && stack.region !== CLOUDFRONT_REGION) {
      throw new Error(
        `${this.node.path}: the stack's region ${stack.region} cannot hold a CloudFront web ACL (allowed: ${CLOUDFRONT_REGION}, where web ACLs for CloudFront must be created)`,
      );
    }
    const rateLimit = props.rateLimitPer5Minutes ?? 2000;
    if (
      !Token.isUnresolved(rateLimit) &&
      (!Number.isInteger(rateLimit) || rateLimit < RATE_LIMIT_RANGE.min || rateLimit > RATE_LIMIT_RANGE.max)
    ) {
      throw new PropError(this, 'rateLimitPer5Minutes', rateLimit, 'an integer from 10 to 2000000000');
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.webAclName = props.webAclName;

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: this.webAclName,
      description: `${props.appName}: rate limit and AWS managed rules in front of the CDN`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      // The web ACL's metric name is its name, so its metrics' `WebACL` dimension is the name too.
      visibilityConfig: visibility(this.webAclName),
      rules: [
        {
          // First, so a flood is shed before any other rule spends capacity on it.
          name: EDGE_FIREWALL_RULES.rateLimit,
          priority: 0,
          statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          // 429 tells well-behaved clients to back off; a 403 would read as "forbidden for good".
          action: { block: { customResponse: { responseCode: 429 } } },
          visibilityConfig: visibility(EDGE_FIREWALL_RULES.rateLimit),
        },
        managedRuleGroup(EDGE_FIREWALL_RULES.ipReputation, 1),
        managedRuleGroup(EDGE_FIREWALL_RULES.common, 2),
        managedRuleGroup(EDGE_FIREWALL_RULES.knownBadInputs, 3),
      ],
    });
    this.webAclArn = this.webAcl.attrArn;

    // WAF only delivers to log groups whose name starts with `aws-waf-logs-`.
    const logGroupName = `aws-waf-logs-${props.appName}`;
    // WAF wants the bare log-group ARN; the L2's `logGroupArn` ends in `:*` and is refused.
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    if (props.encryptionKey instanceof kms.Key) {
      props.encryptionKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowWafLogGroupEncryption',
          principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
          actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          resources: ['*'],
          conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
        }),
      );
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });
    // Granted here, in the template, rather than left to WAF to add to a shared account-wide
    // policy when logging is turned on; the same statement AWS documents for vended logs.
    const { policyDependable } = this.logGroup.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AwsWafLogDelivery',
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${logGroupArn}:log-stream:*`],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: '*' }) },
        },
      }),
    );

    this.loggingConfiguration = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAclArn,
      logDestinationConfigs: [logGroupArn],
      // Session cookies and bearer tokens are credentials: never write them to a log.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    });
    this.loggingConfiguration.node.addDependency(this.logGroup);
    if (policyDependable) this.loggingConfiguration.node.addDependency(policyDependable);
  }

  /**
   * Requests blocked by the whole web ACL, or by one rule (a name from `EDGE_FIREWALL_RULES`).
   * CloudFront-scope metrics live in us-east-1 and carry no `Region` dimension.
   */
  metricBlockedRequests(rule?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('BlockedRequests', rule, props);
  }

  /** Requests allowed by the web ACL (its default action), or by one rule. */
  metricAllowedRequests(rule?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('AllowedRequests', rule, props);
  }

  /** Requests answered 429 by the per-IP rate limit: the edge shedding load. */
  metricRateLimitedRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('BlockedRequests', EDGE_FIREWALL_RULES.rateLimit, props);
  }

  private metric(metricName: string, rule = 'ALL', props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName,
      dimensionsMap: { WebACL: this.webAclName, Rule: rule },
      region: CLOUDFRONT_REGION,
      statistic: 'Sum',
      period: Duration.minutes(1),
      ...props,
    });
  }
}

function visibility(metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return { metricName, cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true };
}

/** An AWS managed rule group, enforcing its own rule actions (`overrideAction: none`). */
function managedRuleGroup(name: string, priority: number): wafv2.CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
    overrideAction: { none: {} },
    visibilityConfig: visibility(name),
  };
}
