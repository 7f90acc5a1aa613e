import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { checkGitHubSource, PropError } from './validation';

/** GitHub Actions' OIDC issuer, the provider's URL without `https://`. */
export const GITHUB_OIDC_ISSUER = 'token.actions.githubusercontent.com';
/** The audience `aws-actions/configure-aws-credentials` requests in GitHub's tokens. */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';
/** The per-region roles `cdk bootstrap` creates and `cdk deploy` assumes. */
export const CDK_BOOTSTRAP_ROLE_KINDS = ['deploy', 'file-publishing', 'image-publishing', 'lookup'] as const;
/** The qualifier `cdk bootstrap` uses unless given `--qualifier`. */
export const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';

export interface GitHubOidcProps {
  /** The only repository whose workflows may assume the role, as `owner/name`. */
  readonly repository: string;
  /** The only branch whose jobs without a GitHub environment may assume the role. */
  readonly branch: string;
  /**
   * GitHub environments whose jobs may assume the role. A job with `environment: <name>` gets
   * the subject `repo:<repository>:environment:<name>` whatever its branch, so limit the
   * environment's deployment branches (and add required reviewers) in the repository settings.
   * @default ['production']
   */
  readonly environments?: string[];
  /** Regions whose CDK bootstrap roles the role may assume: every region the app deploys to. */
  readonly regions: string[];
  /**
   * Qualifier the regions were bootstrapped with (`cdk bootstrap --qualifier`).
   * @default DEFAULT_BOOTSTRAP_QUALIFIER
   */
  readonly bootstrapQualifier?: string;
  /**
   * The account's existing IAM OIDC provider for `token.actions.githubusercontent.com`. An
   * account holds one provider per URL: where another app (or a fork's earlier deploy) already
   * made it, import it with its ARN, or leave this construct out.
   * @default a new provider
   */
  readonly existingProviderArn?: string;
  /**
   * Longest session the role hands out. Long enough for one wave's deploy; a job that needs more
   * assumes the role again.
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: Duration;
}

/**
 * Lets GitHub Actions deploy the app without long-lived keys: GitHub's OIDC provider and one role
 * that only the configured repository's branch and environments can assume, and whose only
 * permission is to assume the CDK bootstrap roles of the app's regions. What a deploy may change
 * is therefore what the bootstrap roles allow, as with `cdk deploy` from a workstation.
 */
export class GitHubOidc extends Construct {
  public readonly provider: iam.IOidcProvider;
  public readonly role: iam.Role;
  /** The token subjects the role trusts, exactly. */
  public readonly subjects: string[];

  constructor(scope: Construct, id: string, props: GitHubOidcProps) {
    super(scope, id);
    const environments = props.environments ?? ['production'];
    const qualifier = props.bootstrapQualifier ?? DEFAULT_BOOTSTRAP_QUALIFIER;
    const maxSessionDuration = props.maxSessionDuration ?? Duration.hours(1);
    checkGitHubSource(this, props.repository, props.branch);
    environments.forEach((name, index) => {
      if (!/^[A-Za-z0-9._-]{1,255}$/.test(name)) {
        throw new PropError(this, `environments[${index}]`, name, 'a GitHub environment name');
      }
    });
    if (props.regions.length === 0) {
      throw new PropError(this, 'regions', props.regions, 'at least one region', 'is empty');
    }
    if (!/^[a-z0-9]{1,10}$/.test(qualifier)) {
      throw new PropError(this, 'bootstrapQualifier', qualifier, 'up to 10 lower-case letters and digits');
    }
    const arn = props.existingProviderArn;
    if (arn !== undefined && !Token.isUnresolved(arn) && !arn.endsWith(`:oidc-provider/${GITHUB_OIDC_ISSUER}`)) {
      throw new PropError(
        this,
        'existingProviderArn',
        arn,
        `an IAM OIDC provider ARN ending in :oidc-provider/${GITHUB_OIDC_ISSUER}`,
      );
    }

    // No thumbprints: IAM trusts GitHub's certificate through its own CA library.
    this.provider = arn
      ? iam.OidcProviderNative.fromOidcProviderArn(this, 'Provider', arn)
      : new iam.OidcProviderNative(this, 'Provider', {
          url: `https://${GITHUB_OIDC_ISSUER}`,
          clientIds: [GITHUB_OIDC_AUDIENCE],
        });

    this.subjects = [
      `repo:${props.repository}:ref:refs/heads/${props.branch}`,
      ...environments.map((name) => `repo:${props.repository}:environment:${name}`),
    ];
    const { account, partition } = Stack.of(this);
    const bootstrapRoles = props.regions.flatMap((region) =>
      CDK_BOOTSTRAP_ROLE_KINDS.map(
        (kind) => `arn:${partition}:iam::${account}:role/cdk-${qualifier}-${kind}-role-${account}-${region}`,
      ),
    );
    this.role = new iam.Role(this, 'DeployRole', {
      description: `GitHub Actions of ${props.repository} (${props.branch}, environments ${environments.join(', ')}): assumes the CDK bootstrap roles`,
      maxSessionDuration,
      // StringEquals with a list matches any one of the subjects.
      assumedBy: new iam.OpenIdConnectPrincipal(this.provider, {
        StringEquals: {
          [`${GITHUB_OIDC_ISSUER}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_ISSUER}:sub`]: this.subjects,
        },
      }),
      inlinePolicies: {
        AssumeCdkBootstrapRoles: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: bootstrapRoles })],
        }),
      },
    });
  }
}
