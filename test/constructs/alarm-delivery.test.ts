import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AlarmDelivery, AlarmDeliveryProps } from '../../lib/constructs/alarm-delivery';
import { FEATURE_FLAGS } from '../helpers';

const TEAMS = {
  tenantId: '11111111-1111-4111-8111-111111111111',
  teamId: '22222222-2222-4222-8222-222222222222',
  channelId: '19%3Aabc%40thread.tacv2',
};

function build(targets: AlarmDeliveryProps['targets']) {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Alarms', { env: { account: '111111111111', region: 'eu-west-1' } });
  const topic = (id: string) =>
    new sns.Topic(stack, id, {
      enforceSSL: true,
      masterKey: new kms.Key(stack, `${id}Key`, { enableKeyRotation: true }),
    });
  const topics = { page: topic('Page'), ticket: topic('Ticket') };
  const delivery = new AlarmDelivery(stack, 'Delivery', { topics, targets, chatConfigurationPrefix: 'app-eu-west-1' });
  return { app, stack, topics, delivery };
}

describe('AlarmDelivery with a target of every kind', () => {
  let template: Template;
  let stack: Stack;
  const topicRef = (severity: 'Page' | 'Ticket') => ({ Ref: Match.stringLikeRegexp(`^${severity}`) });
  beforeAll(() => {
    const built = build({
      page: {
        httpsEndpoints: ['https://events.pagerduty.com/integration/abc/enqueue'],
        slackChannels: [{ workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' }],
      },
      ticket: { emails: ['team@example.com'], teamsChannels: [TEAMS] },
    });
    stack = built.stack;
    template = Template.fromStack(stack);
  });

  test('the pager endpoint subscribes to the page topic only, over HTTPS', () => {
    template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'https' }, 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://events.pagerduty.com/integration/abc/enqueue',
      TopicArn: topicRef('Page'),
    });
  });

  test('the e-mail address subscribes to the ticket topic only', () => {
    template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email' }, 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'team@example.com',
      TopicArn: topicRef('Ticket'),
    });
  });

  test('the Slack channel gets the page topic, under an account-unique name, and can run nothing', () => {
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'app-eu-west-1-page-slack-0',
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0123ABCD',
      SnsTopicArns: [topicRef('Page')],
      GuardrailPolicies: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':iam::aws:policy/AWSDenyAll'])] })],
    });
  });

  test('the Teams channel gets the ticket topic', () => {
    template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      ConfigurationName: 'app-eu-west-1-ticket-teams-0',
      TeamsTenantId: TEAMS.tenantId,
      TeamId: TEAMS.teamId,
      TeamsChannelId: TEAMS.channelId,
      SnsTopicArns: [topicRef('Ticket')],
    });
  });

  test('the chat role trusts only the chat service and holds no permission', () => {
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'chatbot.amazonaws.com' } })],
      },
      Policies: Match.absent(),
      ManagedPolicyArns: Match.absent(),
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('passes cdk-nag', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});

describe('AlarmDelivery without targets', () => {
  test('subscribes nothing and makes no chat role', () => {
    const template = Template.fromStack(build(undefined).stack);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::IAM::Role', 0);
  });
});

describe('AlarmDelivery validation', () => {
  test.each<[string, Partial<AlarmDeliveryProps>, RegExp]>([
    ['a prefix with spaces', { chatConfigurationPrefix: 'my app' }, /chatConfigurationPrefix = "my app" must be 1-100/],
    [
      'a plain-HTTP endpoint',
      { targets: { page: { httpsEndpoints: ['http://pager.example.com'] } } },
      /targets\.page\.httpsEndpoints has "http:\/\/pager\.example\.com", not an https:\/\/ URL/,
    ],
  ])('rejects %s', (_name, props, message) => {
    const stack = new Stack(new App(), 'S');
    const topics = { page: new sns.Topic(stack, 'Page'), ticket: new sns.Topic(stack, 'Ticket') };
    expect(() => new AlarmDelivery(stack, 'Delivery', { topics, chatConfigurationPrefix: 'app', ...props })).toThrow(
      message,
    );
  });
});
