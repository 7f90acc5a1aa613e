import { refTarget } from '../common/assembly';
import { Card, EdgeTier } from './model';
import { Props, TemplateView, literalText, plural, thousands } from './template';

/** The Edge stack's hosted zone, firewall, distribution and static site, read from its template. */
export function describeEdge(edge: TemplateView): EdgeTier {
  const distribution = edge.ofType('AWS::CloudFront::Distribution')[0]?.props.DistributionConfig as Props | undefined;
  const aliases: string[] = distribution?.Aliases ?? [];
  const routes = distribution ? routesOf(distribution) : undefined;
  return {
    label: `Edge stack · ${edge.stackName} · ${edge.region} (global)`,
    zone: zoneCard(edge),
    firewall: firewallCard(edge),
    cdn: distribution && cdnCard(distribution),
    site: distribution && siteCard(edge, distribution),
    usersLabel: aliases.length ? `HTTPS · ${aliases.join(', ')}` : 'HTTPS',
    staticLabel: routes?.static.join(', ') || undefined,
    dynamicLabel: routes?.dynamic.length ? `${routes.dynamic.join(', ')} → ${routes.originName}` : undefined,
  };
}

function zoneCard(edge: TemplateView): Card {
  const zone = edge.ofType('AWS::Route53::HostedZone')[0];
  const lines = [zone ? trimDot(String(zone.props.Name)) : 'existing zone (hostedZoneId)'];
  if (edge.ofType('AWS::Route53::RecordSet').some((record) => record.props.Type === 'CAA')) {
    lines.push('CAA: only Amazon issues certificates');
  }
  for (const certificate of edge.ofType('AWS::CertificateManager::Certificate')) {
    const names = 1 + (certificate.props.SubjectAlternativeNames?.length ?? 0);
    lines.push(`ACM certificate: ${plural(names, 'name')}`);
  }
  return { title: 'Route53 hosted zone', lines, tone: 'edge' };
}

function firewallCard(edge: TemplateView): Card | undefined {
  const acl = edge.ofType('AWS::WAFv2::WebACL')[0];
  if (!acl) return undefined;
  const rules: Props[] = acl.props.Rules ?? [];
  const lines: string[] = [];
  for (const rule of rules) {
    const rate = rule.Statement?.RateBasedStatement;
    if (rate) lines.push(`rate limit ${thousands(rate.Limit)} per IP / ${(rate.EvaluationWindowSec ?? 300) / 60} min`);
  }
  const managed = rules.filter((rule) => rule.Statement?.ManagedRuleGroupStatement).length;
  if (managed) lines.push(`${plural(managed, 'managed rule group')}`);
  if (edge.count('AWS::WAFv2::LoggingConfiguration')) lines.push('requests logged to CloudWatch');
  return { title: 'WAF web ACL', lines, tone: 'edge' };
}

const HTTP_VERSIONS: Record<string, string> = {
  http1: 'HTTP/1.1',
  http2: 'HTTP/2',
  http3: 'HTTP/3',
  http2and3: 'HTTP/2 and HTTP/3',
};

function cdnCard(distribution: Props): Card {
  const origins: Props[] = distribution.Origins ?? [];
  const behaviors = 1 + (distribution.CacheBehaviors?.length ?? 0);
  const lines = [
    [distribution.PriceClass, HTTP_VERSIONS[distribution.HttpVersion] ?? distribution.HttpVersion]
      .filter(Boolean)
      .join(' · '),
    `${plural(behaviors, 'cache behavior')} · ${plural(origins.length, 'origin')}`,
  ];
  if (distribution.WebACLId) lines.push('WAF attached');
  return { title: 'CloudFront distribution', lines: lines.filter(Boolean), tone: 'edge' };
}

function siteCard(edge: TemplateView, distribution: Props): Card | undefined {
  const origins: Props[] = distribution.Origins ?? [];
  const s3 = origins.filter((origin) => origin.S3OriginConfig || origin.OriginAccessControlId);
  if (s3.length === 0) return undefined;
  const lines = [`bucket in ${edge.region} (this stack)`];
  for (const group of distribution.OriginGroups?.Items ?? []) {
    const members: string[] = (group.Members?.Items ?? []).map((member: Props) => member.OriginId);
    for (const member of members.slice(1)) {
      const origin = origins.find((o) => o.Id === member);
      const region = /\.s3\.([a-z0-9-]+)\.amazonaws\.com/.exec(literalText(origin?.DomainName))?.[1];
      if (region) lines.push(`failover: replica in ${region}`);
    }
    const codes: number[] = group.FailoverCriteria?.StatusCodes?.Items ?? [];
    if (codes.length) lines.push(`fails over on ${statusCodes(codes)}`);
  }
  return { title: 'S3 static site', lines, tone: 'edge' };
}

/** Which path patterns go to S3 and which to the custom (latency-routed) origin. */
function routesOf(distribution: Props): { static: string[]; dynamic: string[]; originName: string } {
  const origins: Props[] = distribution.Origins ?? [];
  const custom = origins.find((origin) => origin.CustomOriginConfig);
  const behaviors: Props[] = [
    { ...distribution.DefaultCacheBehavior, PathPattern: 'default' },
    ...(distribution.CacheBehaviors ?? []),
  ];
  const toCustom = (b: Props) => custom !== undefined && b.TargetOriginId === custom.Id;
  return {
    static: behaviors.filter((b) => !toCustom(b)).map((b) => b.PathPattern),
    dynamic: behaviors.filter(toCustom).map((b) => b.PathPattern),
    originName: custom ? literalText(custom.DomainName) || String(refTarget(custom.DomainName)) : '',
  };
}

/** `[403, 404, 500, 502, 503, 504]` → `403, 404, 5xx`. */
function statusCodes(codes: readonly number[]): string {
  const clientErrors = codes.filter((code) => code < 500).map(String);
  return [...clientErrors, ...(codes.some((code) => code >= 500) ? ['5xx'] : [])].join(', ');
}

const trimDot = (name: string) => name.replace(/\.$/, '');
