/**
 * CDK bootstrap in every region the app deploys to: the `CDKToolkit` stack in a usable state,
 * and its version parameter at least what the synthesized assembly requires. The requirement is
 * read from the assembly: each stack's and asset manifest's `requiresBootstrapStackVersion`, and
 * the `CheckBootstrapVersion` rule CDK writes into each template (the versions it rejects).
 */
import type { DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import type { GetParameterCommandOutput } from '@aws-sdk/client-ssm';
import { AssetManifestArtifact, CloudAssembly } from 'aws-cdk-lib/cx-api';
import { allStacks } from '../common/assembly';
import type { Output, PreflightAws } from './aws';
import { Finding, Recorded, record } from './findings';

/** The toolkit stack `cdk bootstrap` creates, unless given `--toolkit-stack-name`. */
export const TOOLKIT_STACK = 'CDKToolkit';

export interface BootstrapNeed {
  readonly region: string;
  /** The lowest bootstrap version every stack of the region accepts. */
  readonly version: number;
  /** SSM parameter holding the bootstrapped version, e.g. `/cdk-bootstrap/hnb659fds/version`. */
  readonly parameter: string;
}

/** One need per region of `assembly`, nested stage assemblies included, in first-seen order. */
export function bootstrapNeeds(assembly: CloudAssembly): BootstrapNeed[] {
  const needs = new Map<string, { version: number; parameter: string }>();
  for (const stack of allStacks(assembly)) {
    const region = stack.environment.region;
    const assets = stack.dependencies.filter((d): d is AssetManifestArtifact =>
      AssetManifestArtifact.isAssetManifestArtifact(d),
    );
    const versions = [
      stack.requiresBootstrapStackVersion,
      ...assets.map((a) => a.requiresBootstrapStackVersion),
      ruleVersion(stack.template),
    ].filter((v): v is number => v !== undefined);
    const parameter =
      stack.bootstrapStackVersionSsmParameter ??
      assets.find((a) => a.bootstrapStackVersionSsmParameter)?.bootstrapStackVersionSsmParameter;
    if (versions.length === 0 || parameter === undefined) continue; // a legacy-synthesized stack needs no bootstrap version
    const before = needs.get(region);
    needs.set(region, {
      version: Math.max(before?.version ?? 0, ...versions),
      parameter: before?.parameter ?? parameter,
    });
  }
  return [...needs].map(([region, need]) => ({ region, ...need }));
}

/**
 * The version the template's `CheckBootstrapVersion` rule needs: one above the highest version it
 * lists as rejected (`Fn::Not [Fn::Contains [["1", …, "5"], Ref BootstrapVersion]]`).
 */
export function ruleVersion(template: any): number | undefined {
  const assertions: any[] = template?.Rules?.CheckBootstrapVersion?.Assertions ?? [];
  const rejected = assertions.flatMap((a) => a?.Assert?.['Fn::Not']?.[0]?.['Fn::Contains']?.[0] ?? []);
  const numbers = rejected.map(Number).filter(Number.isInteger);
  return numbers.length > 0 ? Math.max(...numbers) + 1 : undefined;
}

export interface BootstrapAnswers {
  readonly region: string;
  readonly stack: Recorded<Output<DescribeStacksCommandOutput>>;
  readonly parameter: Recorded<Output<GetParameterCommandOutput>>;
}

export async function readBootstrap(aws: PreflightAws, need: BootstrapNeed): Promise<BootstrapAnswers> {
  const [stack, parameter] = await Promise.all([
    record(() => aws.describeStack(need.region, TOOLKIT_STACK)),
    record(() => aws.getParameter(need.region, need.parameter)),
  ]);
  return { region: need.region, stack, parameter };
}

/** Statuses in which the toolkit stack's resources are in place and `cdk deploy` can use them. */
const USABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE']);

export function bootstrapFindings(need: BootstrapNeed, answers: BootstrapAnswers, account: string): Finding[] {
  const { region } = need;
  const bootstrap = `\`npx cdk bootstrap aws://${account}/${region}\``;
  const finding = (severity: Finding['severity'], message: string, fix: string): Finding => ({
    severity,
    check: 'bootstrap',
    region,
    message,
    fix,
  });
  if ('error' in answers.stack) {
    if (/does not exist/.test(answers.stack.error.message)) {
      return [finding('error', `the account is not bootstrapped (no ${TOOLKIT_STACK} stack).`, `${bootstrap}.`)];
    }
    return [
      finding(
        'warning',
        `could not read the ${TOOLKIT_STACK} stack (${answers.stack.error.name}: ${answers.stack.error.message}).`,
        `allow cloudformation:DescribeStacks, or check the stack in the CloudFormation console of ${region}.`,
      ),
    ];
  }
  const status = answers.stack.ok.Stacks?.[0]?.StackStatus;
  if (status === undefined || !USABLE.has(status)) {
    const inProgress = status?.endsWith('_IN_PROGRESS') ?? false;
    return [
      finding(
        inProgress ? 'warning' : 'error',
        `the ${TOOLKIT_STACK} stack is ${status ?? 'missing from the answer'}.`,
        inProgress
          ? 'wait until it finishes, then run preflight again.'
          : `delete it (\`aws cloudformation delete-stack --region ${region} --stack-name ${TOOLKIT_STACK}\`; empty its assets bucket first if retained), then ${bootstrap}.`,
      ),
    ];
  }
  if ('error' in answers.parameter) {
    const missing = answers.parameter.error.name === 'ParameterNotFound';
    return [
      finding(
        missing ? 'error' : 'warning',
        missing
          ? `${need.parameter} does not exist: the ${TOOLKIT_STACK} stack was made with another qualifier or by an old CDK.`
          : `could not read ${need.parameter} (${answers.parameter.error.name}: ${answers.parameter.error.message}).`,
        missing ? `${bootstrap} with this repository's CDK (\`npx cdk\`).` : 'allow ssm:GetParameter on it.',
      ),
    ];
  }
  const version = Number(answers.parameter.ok.Parameter?.Value);
  if (!Number.isInteger(version) || version < need.version) {
    return [
      finding(
        'error',
        `bootstrap version ${answers.parameter.ok.Parameter?.Value} is older than the ${need.version} the app requires.`,
        `${bootstrap} with this repository's CDK (\`npx cdk\`) to upgrade it in place.`,
      ),
    ];
  }
  return [];
}
