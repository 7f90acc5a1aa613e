import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AppConfig } from '../config';
import { GitHubOidc } from '../constructs/github-oidc';

/** The GitHub environment `.github/workflows/deploy.yml` deploys in; the role trusts its jobs. */
export const GITHUB_DEPLOY_ENVIRONMENT = 'production';

export interface GitHubOidcStackProps extends StackProps {
  readonly config: AppConfig;
  /** Every region the app deploys a stack to; the role may assume their CDK bootstrap roles. */
  readonly deployRegions: string[];
}

/**
 * What GitHub Actions needs to deploy the app (decision 9): the OIDC provider and the deploy
 * role. Deployed once by hand with administrator credentials (`npx cdk deploy <appName>-GitHubOidc`),
 * since the role cannot create itself; the deploy workflow never deploys this stack. Its output is
 * the role ARN to set as the repository variable `DEPLOY_ROLE_ARN`.
 *
 * One account holds one OIDC provider per URL: in an account that already has GitHub's (another
 * app, or a fork deployed before), set `delivery.githubOidc` to false and trust that provider
 * from your own role, or give `GitHubOidc` its `existingProviderArn`.
 */
export class GitHubOidcStack extends Stack {
  public readonly oidc: GitHubOidc;

  constructor(scope: Construct, id: string, props: GitHubOidcStackProps) {
    const { config } = props;
    super(scope, id, { ...props, env: { account: config.account, region: config.primaryRegion } });
    this.oidc = new GitHubOidc(this, 'GitHub', {
      repository: config.delivery.repository,
      branch: config.delivery.branch,
      environments: [GITHUB_DEPLOY_ENVIRONMENT],
      regions: props.deployRegions,
    });
    new CfnOutput(this, 'DeployRoleArn', {
      description: 'Set as the GitHub repository variable DEPLOY_ROLE_ARN (used by .github/workflows/deploy.yml)',
      value: this.oidc.role.roleArn,
    });
  }
}
