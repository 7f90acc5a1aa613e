/**
 * `npm run preflight`: before the first deploy, checks that the account of the current AWS
 * credentials can take the app: CDK bootstrap in every region, service-linked roles, opt-in
 * regions enabled, quotas, and the hosted zone's delegation. One line per problem with its fix;
 * exits 1 when any is an error.
 *
 *   npm run preflight
 *   npm run preflight -- -c profile=dev -c account=123456789012
 *
 * `-c key=value` works as with `cdk synth`: the app is synthesized in-process (as `npm run cost`
 * does) and every check reads what it needs from that assembly. Only reads: it changes nothing.
 * docs/runbooks/first-deploy-preflight.md lists the permissions and what each finding means.
 */
import { cdkContext, withSynthesizedApp } from './common/assembly';
import { commandLine, run } from './common/cli';
import { appFacts } from './preflight/app-facts';
import { PreflightAws, sdkAws } from './preflight/aws';
import { exitCodeOf, renderFindings, renderSummary } from './preflight/findings';
import { runPreflight } from './preflight/run';

/** `-c key=value` overrides; anything else is a usage error. */
export function parseArgs(argv: readonly string[]): Record<string, string> {
  return commandLine(argv, 'npm run preflight -- [-c key=value ...]').context;
}

/** Runs preflight for `argv` against `aws`: the lines to print and the exit code. */
export async function preflight(
  argv: readonly string[],
  aws: PreflightAws,
): Promise<{ lines: string[]; code: number }> {
  const facts = withSynthesizedApp(cdkContext(parseArgs(argv)), appFacts);
  const { account, findings } = await runPreflight(aws, facts);
  return {
    lines: [...renderFindings(findings), renderSummary(findings, account ?? 'unknown', facts.regions)],
    code: exitCodeOf(findings),
  };
}

if (require.main === module) {
  run('preflight', async () => {
    const { lines, code } = await preflight(process.argv.slice(2), sdkAws());
    for (const line of lines) console.log(line);
    process.exitCode = code;
  });
}
