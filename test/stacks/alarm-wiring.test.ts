import { Match, Template } from 'aws-cdk-lib/assertions';
import { BuiltBlueprint, buildApp, configWith } from '../helpers';

const ACCOUNT = '111111111111';
/** A prod deploy to a real account, as a team would configure it: a pager, Slack, and e-mail. */
const PROD_IN_ACCOUNT = {
  account: ACCOUNT,
  notifications: {
    page: {
      httpsEndpoints: ['https://events.pagerduty.com/integration/abc/enqueue'],
      slackChannels: [{ workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' }],
    },
    ticket: { emails: ['team@example.com'] },
  },
};

describe('alarm delivery, edge alarms and business alarms in the prod app of a real account', () => {
  let built: BuiltBlueprint;
  let edge: Template;
  let services: [string, Template][];
  beforeAll(() => {
    // With cdk-nag and the template lint: the only app build with chat targets.
    built = buildApp(PROD_IN_ACCOUNT);
    built.app.synth();
    edge = Template.fromStack(built.edge);
    services = [...built.service].map(([region, stack]) => [region, Template.fromStack(stack)]);
  });

  test('every region delivers pages to the pager and Slack, and tickets by e-mail', () => {
    for (const [region, template] of services) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'https',
        Endpoint: PROD_IN_ACCOUNT.notifications.page.httpsEndpoints[0],
        TopicArn: { Ref: Match.stringLikeRegexp('^MonitoringPageTopic') },
      });
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'team@example.com',
        TopicArn: { Ref: Match.stringLikeRegexp('^MonitoringTicketTopic') },
      });
      template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
        ConfigurationName: `blueprint-${region}-page-slack-0`,
        SnsTopicArns: [{ Ref: Match.stringLikeRegexp('^MonitoringPageTopic') }],
      });
    }
  });

  test('the edge has named page and ticket topics in us-east-1, delivered the same way', () => {
    edge.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'blueprint-edge-page' });
    edge.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'blueprint-edge-ticket' });
    // us-east-1 serves in prod: its data key (which lets this region's alarms publish) encrypts them.
    for (const topic of Object.values(edge.findResources('AWS::SNS::Topic'))) {
      expect(JSON.stringify(topic.Properties.KmsMasterKeyId)).toContain(
        ':kms:us-east-1:111111111111:alias/blueprint/data',
      );
    }
    edge.resourceCountIs('AWS::KMS::Key', 0);
    edge.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'blueprint-edge-page-slack-0',
    });
    edge.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'team@example.com' });
  });

  test('the edge alarms on CloudFront 5xx, 4xx and origin latency of its distribution, and on a WAF spike', () => {
    for (const [name, metricName] of [
      ['blueprint-edge-page-cloudFront5xxRatePercent', '5xxErrorRate'],
      ['blueprint-edge-ticket-cloudFront4xxRatePercent', '4xxErrorRate'],
      ['blueprint-edge-ticket-originLatencyP90Ms', 'OriginLatency'],
    ]) {
      edge.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name,
        MetricName: metricName,
        Dimensions: Match.arrayWith([
          { Name: 'DistributionId', Value: { Ref: Match.stringLikeRegexp('^CdnDistribution') } },
        ]),
      });
    }
    edge.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'blueprint-edge-ticket-wafBlockedBandWidth',
      ComparisonOperator: 'GreaterThanUpperThreshold',
    });
    // Origin latency is one of CloudFront's additional metrics: the subscription is on in prod.
    edge.resourceCountIs('AWS::CloudFront::MonitoringSubscription', 1);
  });

  test("each region's origin health check pages through the edge page topic in us-east-1", () => {
    for (const [region, template] of services) {
      const [resource] = Object.values(template.findResources('Custom::AWS'))
        .map((r) => r.Properties.Create)
        .filter((create) => JSON.stringify(create).includes('putMetricAlarm'));
      const create = JSON.stringify(resource);
      expect(create).toContain(`blueprint-${region}-origin-health-check`);
      expect(create).toContain('HealthCheckStatus');
      expect(create).toContain('us-east-1');
      expect(create).toContain(`:sns:us-east-1:${ACCOUNT}:blueprint-edge-page`);
      // The region's own HTTPS probe, not the evacuation switch or the record's calculated check.
      const probes = Object.entries(template.findResources('AWS::Route53::HealthCheck'))
        .filter(([, check]) => String(check.Properties.HealthCheckConfig.Type).startsWith('HTTPS'))
        .map(([logicalId]) => logicalId);
      expect(probes).toHaveLength(1);
      expect(create).toContain(`{"Ref":"${probes[0]}"}`);
    }
  });

  test('the Edge stack, which creates the topic those alarms name by ARN, deploys before every Service stack', () => {
    for (const stack of built.service.values()) expect(stack.dependencies).toContain(built.edge);
  });

  test('every region has a DAU-drop anomaly alarm on its ticket topic', () => {
    for (const [region, template] of services) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `blueprint-${region}-dau-drop`,
        ComparisonOperator: 'LessThanLowerThreshold',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitoringTicketTopic') }],
      });
    }
  });

  test('the dashboards show disk I/O, task storage, returning users and the edge', () => {
    for (const [, template] of services) {
      const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
      for (const metric of [
        'EphemeralStorageUtilized',
        'ReadIOPS',
        'WriteIOPS',
        'ReadLatency',
        'WriteLatency',
        'Evictions',
        'ReturningUsers7d',
      ]) {
        expect(body).toContain(metric);
      }
    }
    const primary = Template.fromStack(built.service.get(built.config.primaryRegion)!);
    const global = JSON.stringify(
      primary.findResources('AWS::CloudWatch::Dashboard', { Properties: { DashboardName: 'blueprint-global' } }),
    );
    for (const text of ['blueprint-edge-page-cloudFront5xxRatePercent', 'HealthCheckStatus', 'Returning users']) {
      expect(global).toContain(text);
    }
  });
});

describe('notification targets of a deploy to a named account', () => {
  test('prod with an account and no target stops synth with one line naming the key', () => {
    expect(() => buildApp({ account: ACCOUNT }, { checks: false })).toThrow(
      /^notifications\.page = \(missing\) reaches nobody in a prod deploy to an account \(allowed: .*\)$/,
    );
  });

  test('offline synth (no account) and dev need no target, and alarmEmail alone is enough', () => {
    expect(() => configWith({})).not.toThrow();
    expect(() => configWith({ account: ACCOUNT, alarmEmail: 'oncall@example.com' })).not.toThrow();
    expect(() => configWith({ profile: 'dev', account: ACCOUNT })).not.toThrow();
  });
});
