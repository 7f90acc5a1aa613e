import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { GitHubOidc, GitHubOidcProps } from '../../lib/constructs/github-oidc';
import { FEATURE_FLAGS } from '../helpers';

const PROPS: GitHubOidcProps = { repository: 'owner/repo', branch: 'main', regions: ['eu-west-1'] };
const PROVIDER_ARN = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';

function stackWith(props: Partial<GitHubOidcProps> = {}): { stack: Stack; oidc: GitHubOidc } {
  const stack = new Stack(new App({ context: FEATURE_FLAGS }), 'Oidc', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  return { stack, oidc: new GitHubOidc(stack, 'GitHub', { ...PROPS, ...props }) };
}

describe('GitHubOidc', () => {
  test('trusts the branch and the production environment by default', () => {
    expect(stackWith().oidc.subjects).toEqual([
      'repo:owner/repo:ref:refs/heads/main',
      'repo:owner/repo:environment:production',
    ]);
  });

  test('trusts the environments it is given instead', () => {
    expect(stackWith({ environments: ['canary', 'prod'] }).oidc.subjects).toEqual([
      'repo:owner/repo:ref:refs/heads/main',
      'repo:owner/repo:environment:canary',
      'repo:owner/repo:environment:prod',
    ]);
  });

  test("imports the account's existing provider instead of creating a second one", () => {
    // GIVEN an account that already holds GitHub's provider
    const { stack } = stackWith({ existingProviderArn: PROVIDER_ARN });
    const template = Template.fromStack(stack);
    // THEN no provider is created and the role trusts the existing one
    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Federated: PROVIDER_ARN } }] },
    });
  });

  test('assumes the bootstrap roles of a custom qualifier', () => {
    const { stack } = stackWith({ bootstrapQualifier: 'blue1' });
    const [role] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role'));
    expect(role.Properties.Policies[0].PolicyDocument.Statement[0].Resource).toContain(
      'arn:aws:iam::123456789012:role/cdk-blue1-deploy-role-123456789012-eu-west-1',
    );
  });

  test.each<[string, Partial<GitHubOidcProps>, RegExp]>([
    ['repository without owner', { repository: 'repo' }, /^Oidc\/GitHub: repository = "repo" is not allowed/],
    ['branch with a space', { branch: 'my branch' }, /^Oidc\/GitHub: branch = "my branch" is not allowed/],
    [
      'environment with a space',
      { environments: ['pro d'] },
      /^Oidc\/GitHub: environments\[0\] = "pro d" is not allowed/,
    ],
    ['no regions', { regions: [] }, /^Oidc\/GitHub: regions = \[\] is empty/],
    ['qualifier too long', { bootstrapQualifier: 'abcdefghijk' }, /^Oidc\/GitHub: bootstrapQualifier = "abcdefghijk"/],
    [
      'provider of another issuer',
      { existingProviderArn: 'arn:aws:iam::123456789012:oidc-provider/gitlab.com' },
      /^Oidc\/GitHub: existingProviderArn = "arn:aws:iam::123456789012:oidc-provider\/gitlab\.com" is not allowed/,
    ],
  ])('rejects a %s', (_name, props, expected) => {
    expect(() => stackWith(props)).toThrow(expected);
  });
});
