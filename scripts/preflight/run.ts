/**
 * Runs every check against one account: identity first (without it nothing can be read), then
 * the regions (a disabled region answers nothing), then bootstrap and quotas per enabled region,
 * the service-linked roles and the hosted zone, reads in parallel.
 */
import type { AppFacts } from './app-facts';
import type { PreflightAws } from './aws';
import { bootstrapFindings, readBootstrap } from './bootstrap';
import type { Finding } from './findings';
import { hostedZoneFindings, readHostedZone } from './hosted-zone';
import { identityFindings, readIdentity } from './identity';
import { quotaFindings, readQuotas } from './quotas';
import { readRegions, regionFindings } from './regions';
import { readRoles, roleFindings } from './service-linked-roles';

export interface PreflightResult {
  /** The credentials' account; unset when STS did not answer. */
  readonly account?: string;
  readonly findings: Finding[];
}

export async function runPreflight(aws: PreflightAws, facts: AppFacts): Promise<PreflightResult> {
  const identity = identityFindings(await readIdentity(aws), facts.configAccount);
  const account = identity.account;
  if (account === undefined) return { findings: identity.findings };

  const regions = regionFindings(facts.regions, await readRegions(aws));
  const usable = new Set(regions.usable);
  const bootstrapNeeds = facts.bootstrap.filter((need) => usable.has(need.region));
  const [bootstrap, quotas, roles, zone] = await Promise.all([
    Promise.all(bootstrapNeeds.map(async (need) => bootstrapFindings(need, await readBootstrap(aws, need), account))),
    Promise.all(
      regions.usable.map(async (region) =>
        quotaFindings(facts.quotas, await readQuotas(aws, region, facts.quotas), new Set(facts.stacks)),
      ),
    ),
    readRoles(aws, facts.roles).then((answers) => roleFindings(facts.roles, answers)),
    readHostedZone(aws, facts.zone).then((answers) => hostedZoneFindings(facts.zone, answers)),
  ]);
  return {
    account,
    findings: [...identity.findings, ...regions.findings, ...bootstrap.flat(), ...roles, ...quotas.flat(), ...zone],
  };
}
