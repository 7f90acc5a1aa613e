/**
 * Regions enabled: every region the app deploys to must be enabled for the account. Regions
 * launched after March 2019 are opt-in (`OptInStatus` `opted-in` or `not-opted-in`); the older
 * ones answer `opt-in-not-required`. Read with EC2 DescribeRegions and `AllRegions`.
 */
import type { DescribeRegionsCommandOutput } from '@aws-sdk/client-ec2';
import type { Output, PreflightAws } from './aws';
import { Finding, Recorded, record } from './findings';

export function readRegions(aws: PreflightAws): Promise<Recorded<Output<DescribeRegionsCommandOutput>>> {
  return record(() => aws.describeRegions());
}

export interface RegionsResult {
  /** The regions the other checks can read: enabled ones, or all when the answer was missing. */
  readonly usable: string[];
  readonly findings: Finding[];
}

export function regionFindings(
  regions: readonly string[],
  answer: Recorded<Output<DescribeRegionsCommandOutput>>,
): RegionsResult {
  if ('error' in answer) {
    return {
      usable: [...regions],
      findings: [
        {
          severity: 'warning',
          check: 'regions',
          message: `could not list the account's regions (${answer.error.name}: ${answer.error.message}).`,
          fix: `check in the console (Account > AWS Regions) that ${regions.join(', ')} are enabled; allow ec2:DescribeRegions to let preflight check.`,
        },
      ],
    };
  }
  const status = new Map((answer.ok.Regions ?? []).map((r) => [r.RegionName, r.OptInStatus]));
  const findings: Finding[] = [];
  const usable: string[] = [];
  for (const region of regions) {
    const optIn = status.get(region);
    if (optIn === 'opt-in-not-required' || optIn === 'opted-in') {
      usable.push(region);
    } else if (optIn === undefined) {
      findings.push({
        severity: 'error',
        check: 'regions',
        region,
        message: 'is not a region of this account or partition.',
        fix: 'remove it from `regions` (or `primaryRegion`), or deploy to a partition that has it.',
      });
    } else {
      findings.push({
        severity: 'error',
        check: 'regions',
        region,
        message: `is an opt-in region and is not enabled for this account (OptInStatus ${optIn}).`,
        fix: `\`aws account enable-region --region-name ${region}\` (or Account > AWS Regions > Enable in the console), wait until \`aws account get-region-opt-status --region-name ${region}\` says ENABLED, then run preflight again.`,
      });
    }
  }
  return { usable, findings };
}
