/**
 * Whose account the credentials are: STS GetCallerIdentity. Every other check reads that
 * account, so no answer here stops preflight.
 */
import type { GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import type { Output, PreflightAws } from './aws';
import { Finding, Recorded, record } from './findings';

export interface IdentityResult {
  /** The credentials' account, when STS answered. */
  readonly account?: string;
  readonly findings: Finding[];
}

export function readIdentity(aws: PreflightAws): Promise<Recorded<Output<GetCallerIdentityCommandOutput>>> {
  return record(() => aws.callerIdentity());
}

/**
 * The account to check, and a finding when STS did not answer or when the config's `account`
 * names another one (the deploy would then target an account these credentials are not in).
 */
export function identityFindings(
  answer: Recorded<Output<GetCallerIdentityCommandOutput>>,
  configAccount: string | undefined,
): IdentityResult {
  if ('error' in answer || !answer.ok.Account) {
    const why = 'error' in answer ? `${answer.error.name}: ${answer.error.message}` : 'no account in the answer';
    return {
      findings: [
        {
          severity: 'error',
          check: 'identity',
          message: `no usable AWS credentials (${why}).`,
          fix: 'sign in (e.g. `aws sso login --profile <name>` and `export AWS_PROFILE=<name>`), then run preflight again.',
        },
      ],
    };
  }
  const account = answer.ok.Account;
  const findings: Finding[] = [];
  if (configAccount !== undefined && configAccount !== account) {
    findings.push({
      severity: 'warning',
      check: 'identity',
      message: `the credentials are for account ${account} (${answer.ok.Arn}) but the config's \`account\` is ${configAccount}; preflight checked ${account}.`,
      fix: `use credentials of ${configAccount}, or pass \`-c account=${account}\` if ${account} is the account to deploy to.`,
    });
  }
  return { account, findings };
}
