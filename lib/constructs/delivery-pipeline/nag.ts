import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { flatten } from '../nag';

/** A wildcard CDK Pipelines writes into the policies it generates, and why it is acceptable. */
export interface PipelineWildcard {
  /** The AwsSolutions-IAM5 finding's subject: `Action::<action>` or `Resource::<ARN as nag flattens it>`. */
  readonly finding: RegExp;
  /** Every action of the statement must match. @default any actions */
  readonly actions?: RegExp;
  /** The statement must carry a condition on this key. @default no condition needed */
  readonly conditionKey?: string;
  readonly reason: string;
}

/** The wildcards acknowledged in the pipeline's policies; any other still fails synth. */
export const PIPELINE_WILDCARDS: readonly PipelineWildcard[] = [
  {
    finding: /^Action::(s3:(Abort|DeleteObject|GetBucket|GetObject|List)|kms:(GenerateDataKey|ReEncrypt))\*$/,
    reason:
      "CDK's read/write grants on the pipeline's own artifact buckets and their keys: the action families CodePipeline and CodeBuild exchange artifacts with.",
  },
  {
    finding: /^Resource::(<\w+ArtifactsBucket\w*\.Arn>|arn:aws[a-z-]*:s3:::[a-z0-9.-]*replicationbucket[a-z0-9]*)\/\*$/,
    reason:
      "Objects of the pipeline's artifact buckets (its own and the cross-region replicas): every run writes new keys.",
  },
  {
    finding: /^Resource::arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:\/aws\/codebuild\/(<\w+>:)?\*$/,
    reason:
      "CodeBuild's log streams in the project's own log group; the shared asset-publishing roles get every /aws/codebuild group, as their projects are made after them.",
  },
  {
    finding: /^Resource::arn:aws[a-z-]*:codebuild:[a-z0-9-]+:\d{12}:report-group\/(<\w+>-)?\*$/,
    reason:
      "CodeBuild's test-report groups of the project; the shared asset-publishing roles get every report group, as their projects are made after them.",
  },
  {
    finding: /^Resource::\*$/,
    actions: /^kms:(Decrypt|DescribeKey|Encrypt|GenerateDataKey\*|ReEncrypt\*)$/,
    reason:
      'The keys of the cross-region replication buckets, which the pipeline stack knows only by alias: a grant through an imported alias is on "*".',
  },
  {
    finding: /^Resource::\*$/,
    actions: /^codebuild:(BatchGetBuilds|StartBuild|StopBuild)$/,
    reason: 'The shared asset-publishing roles start the asset projects, which are made after the roles.',
  },
  {
    finding: /^Resource::\*$/,
    actions: /^(cloudformation:DescribeStacks|s3:ListBucket)$/,
    reason: "Self-mutation's cdk deploy reads stack states and lists the bootstrap bucket: read-only calls.",
  },
  {
    finding: /^Resource::arn:\*:iam::\d{12}:role\/\*$/,
    actions: /^sts:AssumeRole$/,
    conditionKey: 'iam:ResourceTag/aws-cdk:bootstrap-role',
    reason: "Self-mutation assumes this account's CDK bootstrap roles, picked by their aws-cdk:bootstrap-role tag.",
  },
  {
    finding: /^Resource::arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[A-Za-z][A-Za-z0-9-]*\/\*$/,
    actions: /^cloudformation:UpdateTerminationProtection$/,
    reason:
      "Protection steps: a stack's ARN ends in an id CloudFormation picks at creation; the grant names the one stack by name.",
  },
  {
    finding: /^Resource::\*$/,
    actions: /^cloudwatch:DescribeAlarms$/,
    conditionKey: 'aws:RequestedRegion',
    reason:
      'Bake gates: DescribeAlarms returns composite alarms only to a grant on "*"; the aws:RequestedRegion condition keeps it to the wave\'s region.',
  },
];

interface StatementJson {
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/**
 * Acknowledges AwsSolutions-IAM5 on each policy under `scope` for exactly the wildcards it holds
 * that match `rules`. A finding is acknowledged only when every statement that raises it matches
 * a rule, so a new wildcard elsewhere in the same policy still fails synth. Call once the
 * policies are complete (after `CodePipeline.buildPipeline()`).
 */
export function acknowledgePipelineWildcards(
  scope: IConstruct,
  rules: readonly PipelineWildcard[] = PIPELINE_WILDCARDS,
): void {
  for (const policy of scope.node.findAll().filter((c): c is iam.Policy => c instanceof iam.Policy)) {
    // The rendered document, not the document itself: resolving that would freeze its statements.
    const document = Stack.of(policy).resolve(policy.document.toJSON()) as { Statement?: StatementJson[] } | undefined;
    const reasons = new Map<string, string | undefined>();
    for (const statement of document?.Statement ?? []) {
      const actions = asList(statement.Action) as string[];
      const findings = [
        ...actions.filter((action) => action.includes('*')).map((action) => `Action::${action}`),
        ...asList(statement.Resource)
          .map(flatten)
          .filter((resource) => resource.includes('*'))
          .map((resource) => `Resource::${resource}`),
      ];
      for (const finding of findings) {
        const rule = rules.find(
          (r) =>
            r.finding.test(finding) &&
            (r.actions === undefined || actions.every((action) => r.actions!.test(action))) &&
            (r.conditionKey === undefined ||
              Object.values(statement.Condition ?? {}).some((keys) => r.conditionKey! in keys)),
        );
        // One unjustified statement leaves the finding standing for the whole policy.
        reasons.set(finding, reasons.has(finding) && reasons.get(finding) === undefined ? undefined : rule?.reason);
      }
    }
    for (const [finding, reason] of reasons) {
      if (reason !== undefined) Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }
  }
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
