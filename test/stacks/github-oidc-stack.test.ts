import { Match, Template } from 'aws-cdk-lib/assertions';
import { BuiltBlueprint, buildApp } from '../helpers';

/** nag and the template lint run over the whole app in test/app.test.ts. */
const TEMPLATES_ONLY = { checks: false };
const ACCOUNT = '123456789012';
const REPOSITORY = 'example-org/multi-region-blueprint';

describe('GitHubOidc stack', () => {
  let prod: BuiltBlueprint;
  let dev: BuiltBlueprint;
  let template: Template;

  beforeAll(() => {
    prod = buildApp({ account: ACCOUNT, alarmEmail: 'ops@example.com' }, TEMPLATES_ONLY);
    dev = buildApp({ profile: 'dev' }, TEMPLATES_ONLY);
    template = Template.fromStack(prod.githubOidc!);
  });

  test('is added in the primary region when delivery.githubOidc is true', () => {
    // GIVEN the prod profile (githubOidc: true) WHEN the app is built
    // THEN the stack exists, in the account and primary region
    expect(prod.githubOidc!.stackName).toBe('blueprint-GitHubOidc');
    expect(prod.githubOidc!.region).toBe('us-east-1');
    expect(prod.githubOidc!.account).toBe(ACCOUNT);
  });

  test('is absent when delivery.githubOidc is false', () => {
    // GIVEN the dev profile (githubOidc: false) THEN no stack and no provider anywhere
    expect(dev.githubOidc).toBeUndefined();
    expect(dev.app.node.findAll().filter((c) => c.node.id === 'blueprint-GitHubOidc')).toEqual([]);
  });

  test("creates GitHub's OIDC provider natively, for the sts.amazonaws.com audience", () => {
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
    // No custom resource (OpenIdConnectProvider would add one and its Lambda function).
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('trusts only the configured branch and the production environment of the repository', () => {
    const [role] = Object.values(template.findResources('AWS::IAM::Role'));
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRoleWithWebIdentity',
        Effect: 'Allow',
        Principal: { Federated: { Ref: expect.stringMatching(/^GitHubProvider/) } },
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': [
              `repo:${REPOSITORY}:ref:refs/heads/main`,
              `repo:${REPOSITORY}:environment:production`,
            ],
          },
        },
      },
    ]);
    expect(role.Properties.MaxSessionDuration).toBe(3600);
  });

  test('can do nothing but assume the CDK bootstrap roles of the regions the app deploys to', () => {
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const [role] = Object.values(template.findResources('AWS::IAM::Role'));
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = role.Properties.Policies.flatMap(
      (policy: { PolicyDocument: { Statement: unknown[] } }) => policy.PolicyDocument.Statement,
    );
    const regions = ['us-east-1', 'eu-west-1', 'ap-northeast-2'];
    const kinds = ['deploy', 'file-publishing', 'image-publishing', 'lookup'];
    expect(statements).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Resource: expect.arrayContaining(
          regions.flatMap((region) =>
            kinds.map((kind) => `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-${kind}-role-${ACCOUNT}-${region}`),
          ),
        ),
      },
    ]);
    expect(statements[0].Resource).toHaveLength(regions.length * kinds.length);
  });

  test("names the deploying account's roles by token when no account is configured", () => {
    // GIVEN no `account` (the credentials' account at deploy) WHEN githubOidc is on in dev
    const unset = buildApp({ profile: 'dev', 'delivery.githubOidc': 'true' }, TEMPLATES_ONLY);
    const [role] = Object.values(Template.fromStack(unset.githubOidc!).findResources('AWS::IAM::Role'));
    // THEN every bootstrap role ARN is built from AWS::AccountId, for us-east-1 alone
    const resources = role.Properties.Policies[0].PolicyDocument.Statement[0].Resource;
    expect(resources).toHaveLength(4);
    for (const arn of resources) {
      expect(JSON.stringify(arn)).toMatch(/cdk-hnb659fds-[a-z-]+-role-",\{"Ref":"AWS::AccountId"\},"-us-east-1"/);
    }
  });

  test('outputs the role ARN for the DEPLOY_ROLE_ARN repository variable', () => {
    template.hasOutput('DeployRoleArn', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GitHubDeployRole'), 'Arn'] },
      Description: Match.stringLikeRegexp('DEPLOY_ROLE_ARN'),
    });
  });
});
