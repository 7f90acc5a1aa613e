import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { InvalidationPause } from '../../lib/constructs/chaos/split-brain';
import { EvacuationSwitch } from '../../lib/constructs/dns/evacuation-switch';
import { HostedZoneByName } from '../../lib/constructs/dns/hosted-zone-by-name';
import { RecoveryControls } from '../../lib/constructs/dns/recovery-controls';
import { SiteRecords } from '../../lib/constructs/dns/site-records';

/**
 * Every exported construct can be lifted into a plain `cdk init` app: it is built from its props
 * alone in a bare `Stack`, without the app's config. The constructs other test files do not build
 * on their own are built here; the last cases keep it that way.
 */

const ROOT = join(__dirname, '..', '..');
const bareStack = (region = 'eu-west-1') => new Stack(new App(), 'S', { env: { account: '123456789012', region } });

describe('constructs other tests build only inside a bigger one, each in a bare stack', () => {
  test('EvacuationSwitch: an inverted health check that follows its alarm', () => {
    const stack = bareStack();
    new EvacuationSwitch(stack, 'Switch', {
      type: 'inverted-check',
      alarmName: 'app-eu-west-1-evacuate',
      metricNamespace: 'app/Resilience',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'app-eu-west-1-evacuate' });
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({ Type: 'CLOUDWATCH_METRIC', Inverted: false }),
    });
  });

  test('EvacuationSwitch: a health check that follows an ARC routing control', () => {
    const stack = bareStack();
    const routingControlArn = 'arn:aws:route53-recovery-control::123456789012:controlpanel/abc/routingcontrol/def';
    new EvacuationSwitch(stack, 'Switch', { type: 'routing-control', routingControlArn });
    Template.fromStack(stack).hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({ Type: 'RECOVERY_CONTROL', RoutingControlArn: routingControlArn }),
    });
  });

  test('HostedZoneByName: a deploy-time lookup of the zone by its name', () => {
    const stack = bareStack();
    const { hostedZone } = new HostedZoneByName(stack, 'Zone', { zoneName: 'example.com' });
    expect(hostedZone.zoneName).toBe('example.com');
    const [lookup] = Object.values(Template.fromStack(stack).findResources('Custom::AWS'));
    expect(JSON.stringify(lookup.Properties.Create)).toContain('listHostedZonesByName');
    expect(JSON.stringify(lookup.Properties.Create)).toContain('example.com');
  });

  test('RecoveryControls: a cluster, a control panel and one routing control per region, in us-west-2', () => {
    const stack = bareStack('us-west-2');
    const controls = new RecoveryControls(stack, 'Controls', {
      name: 'app',
      regions: ['eu-west-1', 'us-east-1'],
      parameterName: '/app/resilience/routing-control-arn',
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Route53RecoveryControl::Cluster', 1);
    template.resourceCountIs('AWS::Route53RecoveryControl::ControlPanel', 1);
    template.resourceCountIs('AWS::Route53RecoveryControl::RoutingControl', 2);
    template.resourceCountIs('AWS::Route53RecoveryControl::SafetyRule', 1);
    expect(controls.routingControlArn('us-east-1')).toBeDefined();
    expect(() => controls.routingControlArn('ap-south-1')).toThrow(
      /^S\/Controls: region ap-south-1 has no routing control \(allowed: eu-west-1, us-east-1\)$/,
    );
  });

  test('SiteRecords: an IPv4 and an IPv6 alias per name to the distribution', () => {
    const stack = bareStack('us-east-1');
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      zoneName: 'example.com',
    });
    const distribution = cloudfront.Distribution.fromDistributionAttributes(stack, 'Cdn', {
      distributionId: 'E123',
      domainName: 'd123.cloudfront.net',
    });
    new SiteRecords(stack, 'Site', { zone, names: ['example.com', 'www.example.com'], distribution });
    const template = Template.fromStack(stack);
    for (const type of ['A', 'AAAA']) {
      for (const name of ['example.com.', 'www.example.com.']) {
        template.hasResourceProperties('AWS::Route53::RecordSet', {
          Name: name,
          Type: type,
          AliasTarget: Match.objectLike({ DNSName: 'd123.cloudfront.net' }),
        });
      }
    }
  });

  test('InvalidationPause: the split-brain runbook and the role it runs as', () => {
    const stack = bareStack();
    const queue = new sqs.Queue(stack, 'Queue');
    const pause = new InvalidationPause(stack, 'Pause', { queue, hold: Duration.minutes(5) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SSM::Document', { DocumentType: 'Automation' });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'ssm.amazonaws.com' } })]),
      }),
    });
    expect(pause.documentArn).toBeDefined();
  });
});

/** Source files under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('constructs know only their props', () => {
  const libFiles = sources(join(ROOT, 'lib', 'constructs'));
  const testFiles = sources(join(ROOT, 'test', 'constructs'));

  test('nothing under lib/constructs imports the app config', () => {
    const importers = libFiles.filter((file) => /from '(\.\.\/)+config(\/[\w-]+)?'/.test(readFileSync(file, 'utf-8')));
    expect(importers.map((file) => relative(ROOT, file))).toEqual([]);
  });

  test('no construct test builds from the app config', () => {
    // This file names what it looks for, so it is left out.
    const users = testFiles.filter(
      (file) =>
        file !== __filename &&
        /lib\/config|\b(loadConfig|configWith|buildApp|createApp)\b/.test(readFileSync(file, 'utf-8')),
    );
    expect(users.map((file) => relative(ROOT, file))).toEqual([]);
  });

  test('every exported construct is built by a construct test', () => {
    const tests = testFiles.map((file) => readFileSync(file, 'utf-8')).join('\n');
    const constructs = libFiles.flatMap((file) =>
      [...readFileSync(file, 'utf-8').matchAll(/^export class (\w+) extends Construct\b/gm)].map((m) => m[1]),
    );
    expect(constructs.length).toBeGreaterThan(25);
    expect(constructs.filter((name) => !tests.includes(`new ${name}(`))).toEqual([]);
  });
});
