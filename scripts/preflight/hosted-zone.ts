/**
 * The hosted zone delegated. With `hostedZoneId`, the zone must be the public zone of
 * `domainName`, and the parent domain must delegate to its name servers: the NS records public
 * resolvers answer for the domain are the zone's (Route53 GetHostedZone `DelegationSet`).
 * Without it, the Edge stack creates the zone, and every certificate waits for DNS validation
 * until the registrar delegates to the new zone's name servers.
 */
import type { GetHostedZoneCommandOutput } from '@aws-sdk/client-route-53';
import { Output, PreflightAws, normalizeName } from './aws';
import { Finding, Recorded, record } from './findings';

export interface ZoneFacts {
  readonly domainName: string;
  readonly hostedZoneId?: string;
}

export interface ZoneAnswers {
  readonly zone: Recorded<Output<GetHostedZoneCommandOutput>>;
  /** The NS records public resolvers answer for the domain. */
  readonly delegation: Recorded<string[]>;
}

export async function readHostedZone(aws: PreflightAws, facts: ZoneFacts): Promise<ZoneAnswers | undefined> {
  if (facts.hostedZoneId === undefined) return undefined;
  const id = facts.hostedZoneId;
  const [zone, delegation] = await Promise.all([
    record(() => aws.getHostedZone(id)),
    record(() => aws.resolveNameServers(facts.domainName)),
  ]);
  return { zone, delegation };
}

export function hostedZoneFindings(facts: ZoneFacts, answers: ZoneAnswers | undefined): Finding[] {
  const { domainName } = facts;
  const finding = (severity: Finding['severity'], message: string, fix: string): Finding => ({
    severity,
    check: 'dns',
    message,
    fix,
  });
  if (answers === undefined) {
    return [
      finding(
        'warning',
        `no \`hostedZoneId\`: the first deploy creates a new zone for ${domainName}, and its certificates wait for DNS validation until the registrar delegates ${domainName} to that zone's name servers.`,
        "create the zone and delegate it now, then pass `-c hostedZoneId=Z…`; or follow the README's two-step first deploy (the Edge stack's zone first, delegate it, then the rest).",
      ),
    ];
  }
  if ('error' in answers.zone) {
    return [
      finding(
        'error',
        `hosted zone ${facts.hostedZoneId} could not be read (${answers.zone.error.name}: ${answers.zone.error.message}).`,
        'check `hostedZoneId` (`aws route53 list-hosted-zones-by-name --dns-name ' +
          domainName +
          '`) and that the credentials allow route53:GetHostedZone.',
      ),
    ];
  }
  const zone = answers.zone.ok.HostedZone;
  if (zone?.Config?.PrivateZone) {
    return [
      finding(
        'error',
        `hosted zone ${facts.hostedZoneId} is private; the app needs the public zone of ${domainName}.`,
        'set `hostedZoneId` to the public zone.',
      ),
    ];
  }
  if (zone?.Name !== undefined && normalizeName(zone.Name) !== normalizeName(domainName)) {
    return [
      finding(
        'error',
        `hosted zone ${facts.hostedZoneId} is for ${normalizeName(zone.Name)}, not \`domainName\` ${domainName}.`,
        "set `hostedZoneId` to the zone of `domainName`, or `domainName` to the zone's name.",
      ),
    ];
  }
  const expected = (answers.zone.ok.DelegationSet?.NameServers ?? []).map(normalizeName).sort();
  const setNs = `at the registrar of ${domainName} (or in the parent zone), set its name servers to ${expected.join(', ')}`;
  if ('error' in answers.delegation) {
    return [
      finding(
        'error',
        `${domainName} is not delegated: public resolvers answer no NS records (${answers.delegation.error.name}: ${answers.delegation.error.message}).`,
        `${setNs}, wait for the parent's TTL, then run preflight again.`,
      ),
    ];
  }
  const answered = [...new Set(answers.delegation.ok.map(normalizeName))].sort();
  if (answered.join() === expected.join()) return [];
  const foreign = answered.filter((ns) => !expected.includes(ns));
  return [
    finding(
      foreign.length > 0 ? 'error' : 'warning',
      `${domainName} is delegated to ${answered.join(', ')}, not (only) to hosted zone ${facts.hostedZoneId}'s ${expected.join(', ')}.`,
      `${setNs}; certificates cannot validate while resolvers are sent elsewhere.`,
    ),
  ];
}
