import { GLOBAL, Meter, fixed, props, share } from './kit';

/** Metrics CloudFront's additional metrics add per distribution, billed as custom metrics. */
const CLOUDFRONT_ADDITIONAL_METRICS = 8;
/** WAF managed rule groups with their own subscription and request fees, not in the price table. */
const PAID_MANAGED_RULE_GROUPS = [
  'AWSManagedRulesBotControlRuleSet',
  'AWSManagedRulesATPRuleSet',
  'AWSManagedRulesACFPRuleSet',
  'AWSManagedRulesAntiDDoSRuleSet',
];

/** Health checks that watch other checks, an alarm or a routing control instead of an endpoint. */
const DERIVED_HEALTH_CHECKS: Readonly<Record<string, string>> = {
  CALCULATED: 'calculated',
  CLOUDWATCH_METRIC: 'CloudWatch alarm',
  RECOVERY_CONTROL: 'ARC routing control',
};

/** Meters of the edge and DNS: Route 53, WAF, CloudFront and Route 53 ARC. */
export const EDGE_METERS: Readonly<Record<string, Meter>> = {
  'AWS::Route53::HostedZone': (input) => [
    fixed(input, 'Route 53 hosted zones', 'route53.hostedZoneMonth', 1, 'zones', { region: GLOBAL }),
  ],

  // Alias records answer for free; a latency CNAME (dns.recordTtlSeconds) is billed per query.
  // The records of one name share its queries, whichever region answers.
  'AWS::Route53::RecordSet': (input) => {
    const p = props(input);
    if (p.AliasTarget || p.Region === undefined) return [];
    const { assumptions } = input.context;
    const secondsPerMonth = input.context.hoursPerMonth * 3600;
    const queries = (assumptions.originDnsResolvers * secondsPerMonth) / Number(p.TTL ?? 300);
    const records = input.context.count('*', 'AWS::Route53::RecordSet', 'latency');
    return [
      fixed(
        input,
        'Route 53 latency queries (origin CNAME)',
        'route53.latencyQueries.million',
        share(queries, records) / 1e6,
        'M queries',
        {
          region: GLOBAL,
        },
      ),
    ];
  },

  'AWS::Route53::HealthCheck': (input) => {
    const config = props(input).HealthCheckConfig ?? {};
    const type = String(config.Type);
    const derived = DERIVED_HEALTH_CHECKS[type];
    if (derived) {
      return [
        fixed(input, `Route 53 health checks (${derived})`, 'route53.healthCheck.calculatedMonth', 1, 'checks', {
          region: GLOBAL,
        }),
      ];
    }
    const aws = isAwsEndpoint(config);
    const options = [
      type.startsWith('HTTPS') && 'HTTPS',
      type.endsWith('_STR_MATCH') && 'string matching',
      Number(config.RequestInterval ?? 30) === 10 && 'fast interval',
      config.MeasureLatency === true && 'latency',
    ].filter((o): o is string => Boolean(o));
    const where = aws ? 'AWS endpoint' : 'non-AWS endpoint';
    const usages = [
      fixed(
        input,
        `Route 53 health checks (${where})`,
        aws ? 'route53.healthCheck.awsMonth' : 'route53.healthCheck.nonAwsMonth',
        1,
        'checks',
        { region: GLOBAL },
      ),
    ];
    if (options.length) {
      usages.push(
        fixed(
          input,
          `Route 53 health-check options (${options.join(', ')})`,
          aws ? 'route53.healthCheck.awsOptionMonth' : 'route53.healthCheck.nonAwsOptionMonth',
          options.length,
          'options',
          { region: GLOBAL },
        ),
      );
    }
    return usages;
  },

  'AWS::WAFv2::WebACL': (input) => {
    const p = props(input);
    const rules: any[] = p.Rules ?? [];
    const region = p.Scope === 'CLOUDFRONT' ? GLOBAL : input.stack.region;
    const acls = input.context.count('*', 'AWS::WAFv2::WebACL');
    const usages = [
      fixed(input, 'WAF web ACLs', 'waf.webAclMonth', 1, 'web ACLs', { region }),
      fixed(input, 'WAF rules and rule groups', 'waf.ruleMonth', rules.length, 'rules', { region }),
      fixed(
        input,
        'WAF requests inspected',
        'waf.requests.million',
        share(input.context.assumptions.requestsPerMonth, acls) / 1e6,
        'M requests',
        { region },
      ),
    ];
    for (const rule of rules) {
      const name = rule.Statement?.ManagedRuleGroupStatement?.Name;
      if (PAID_MANAGED_RULE_GROUPS.includes(name)) {
        usages.push(fixed(input, `WAF ${name}`, `waf.managed.${name}.month`, 1, 'rule groups', { region, what: name }));
      }
    }
    return usages;
  },

  'AWS::WAFv2::LoggingConfiguration': (input) => {
    const { assumptions } = input.context;
    const acls = input.context.count('*', 'AWS::WAFv2::WebACL');
    const gb = (share(assumptions.requestsPerMonth, acls) * assumptions.wafLogBytesPerRequest) / 1e9;
    return [fixed(input, 'CloudWatch Logs ingestion (WAF logs)', 'logs.ingestGb', gb, 'GB')];
  },

  'AWS::CloudFront::Distribution': (input) => {
    const { assumptions } = input.context;
    const distributions = input.context.count('*', 'AWS::CloudFront::Distribution');
    return [
      fixed(
        input,
        'CloudFront data transfer out',
        'cloudfront.dataTransferOutGb',
        share(assumptions.cloudFrontEgressGb, distributions),
        'GB',
        { region: GLOBAL },
      ),
      fixed(
        input,
        'CloudFront HTTPS requests',
        'cloudfront.httpsRequests.10k',
        share(assumptions.requestsPerMonth, distributions) / 1e4,
        '10k requests',
        { region: GLOBAL },
      ),
    ];
  },

  'AWS::CloudFront::MonitoringSubscription': (input) => [
    fixed(
      input,
      'CloudFront additional metrics',
      'cloudwatch.customMetricMonth',
      CLOUDFRONT_ADDITIONAL_METRICS,
      'metrics',
    ),
  ],

  'AWS::Route53RecoveryControl::Cluster': (input) => [
    fixed(input, 'Route 53 ARC clusters', 'arc.clusterHour', 1, 'clusters', { hours: true, region: GLOBAL }),
  ],

  'AWS::Route53RecoveryReadiness::ReadinessCheck': (input) => [
    fixed(input, 'Route 53 ARC readiness checks', 'arc.readinessCheckHour', 1, 'checks', {
      hours: true,
      region: GLOBAL,
    }),
  ],
};

/** Whether a health check targets an AWS resource (an ALB or CloudFront name) rather than any host. */
function isAwsEndpoint(config: Record<string, any>): boolean {
  const fqdn = config.FullyQualifiedDomainName;
  if (fqdn && typeof fqdn === 'object') return true;
  return typeof fqdn === 'string' && /\.(amazonaws\.com|cloudfront\.net)\.?$/.test(fqdn);
}
