import { Template } from 'aws-cdk-lib/assertions';
import { BuiltBlueprint, buildApp } from '../helpers';

describe('Data stacks', () => {
  let prod: BuiltBlueprint;
  let dev: BuiltBlueprint;
  beforeAll(() => {
    prod = buildApp();
    dev = buildApp({ profile: 'dev' });
  });

  test('snapshots', () => {
    for (const built of [prod, dev]) {
      for (const [region, stack] of built.data) {
        expect(Template.fromStack(stack).toJSON()).toMatchSnapshot(`${built.config.profile} ${region}`);
      }
    }
  });

  test('prod: termination protection, and the key and flow logs survive deletion', () => {
    for (const stack of prod.data.values()) {
      expect(stack.terminationProtection).toBe(true);
      const template = Template.fromStack(stack);
      template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', Properties: { EnableKeyRotation: true } });
      template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', Properties: { RetentionInDays: 365 } });
    }
  });

  test('dev: nothing retained, no termination protection', () => {
    const stack = dev.data.get('us-east-1')!;
    expect(stack.terminationProtection).toBe(false);
    const template = Template.fromStack(stack);
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete', Properties: { RetentionInDays: 7 } });
  });

  test('each region has a VPC over three AZs in its own, non-overlapping range', () => {
    const cidrs = [...prod.data].map(([region, stack]) => {
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::EC2::Subnet', 9);
      const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
      expect(new Set(subnets.map((s) => s.Properties.AvailabilityZone))).toEqual(
        new Set([`${region}a`, `${region}b`, `${region}c`]),
      );
      return Object.values(template.findResources('AWS::EC2::VPC'))[0].Properties.CidrBlock;
    });
    expect(cidrs).toEqual(['10.10.0.0/16', '10.20.0.0/16', '10.41.0.0/16']);
  });

  test('NAT gateways: one per AZ in prod, one in dev', () => {
    for (const stack of prod.data.values()) Template.fromStack(stack).resourceCountIs('AWS::EC2::NatGateway', 3);
    Template.fromStack(dev.data.get('us-east-1')!).resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  test('interface endpoints for what tasks call in prod; none in dev, to save their hourly cost', () => {
    const endpointsOf = (template: Template) =>
      template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } });
    const prodEndpoints = Object.values(endpointsOf(Template.fromStack(prod.data.get('eu-west-1')!))).map(
      (e) => e.Properties.ServiceName,
    );
    expect(prodEndpoints.sort()).toEqual(
      ['ecr.api', 'ecr.dkr', 'kms', 'logs', 'secretsmanager', 'sns', 'sqs', 'sts'].map(
        (s) => `com.amazonaws.eu-west-1.${s}`,
      ),
    );
    expect(Object.keys(endpointsOf(Template.fromStack(dev.data.get('us-east-1')!)))).toHaveLength(0);
  });

  test('stack names, descriptions and tags come from config', () => {
    const stack = prod.data.get('eu-west-1')!;
    expect(stack.stackName).toBe('blueprint-Data-eu-west-1');
    expect(stack.region).toBe('eu-west-1');
    expect(stack.templateOptions.description).toBe('blueprint (prod) stateful resources in eu-west-1');
    expect(stack.tags.tagValues()).toEqual({ app: 'blueprint', profile: 'prod', project: 'multi-region-blueprint' });
    expect(prod.data.get('us-east-1')!.templateOptions.description).toMatch(/primary region$/);
  });
});
