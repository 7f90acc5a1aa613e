import { Match, Template } from 'aws-cdk-lib/assertions';
import { BuiltBlueprint, buildApp, stackTemplate } from '../helpers';

/** nag and the template lint run over the whole app in test/app.test.ts. */
const TEMPLATES_ONLY = { checks: false };

describe('Data stacks', () => {
  let prod: BuiltBlueprint;
  let dev: BuiltBlueprint;
  beforeAll(() => {
    prod = buildApp({}, TEMPLATES_ONLY);
    dev = buildApp({ profile: 'dev' }, TEMPLATES_ONLY);
  });

  test('snapshots', () => {
    for (const built of [prod, dev]) {
      for (const [region, stack] of built.data) {
        expect(stackTemplate(stack).toJSON()).toMatchSnapshot(`${built.config.profile} ${region}`);
      }
    }
  });

  test('prod: termination protection, and the key and flow logs survive deletion (all but a failed first create)', () => {
    for (const stack of prod.data.values()) {
      expect(stack.terminationProtection).toBe(true);
      const template = Template.fromStack(stack);
      template.hasResource('AWS::KMS::Key', {
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
        Properties: { EnableKeyRotation: true },
      });
      template.hasResource('AWS::Logs::LogGroup', {
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
        Properties: { RetentionInDays: 365 },
      });
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

  test('NAT: a gateway per AZ in prod, one NAT instance in dev', () => {
    for (const stack of prod.data.values()) {
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::EC2::NatGateway', 3);
      template.resourceCountIs('AWS::EC2::Instance', 0);
    }
    const dev1 = Template.fromStack(dev.data.get('us-east-1')!);
    dev1.resourceCountIs('AWS::EC2::NatGateway', 0);
    dev1.resourceCountIs('AWS::EC2::Instance', 1);
    dev1.hasResourceProperties('AWS::EC2::Instance', { InstanceType: 't4g.nano', SourceDestCheck: false });
  });

  test('dev spans two AZs, the first two of us-east-1', () => {
    const template = Template.fromStack(dev.data.get('us-east-1')!);
    template.resourceCountIs('AWS::EC2::Subnet', 6);
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
    expect(new Set(subnets.map((s) => s.Properties.AvailabilityZone))).toEqual(new Set(['us-east-1a', 'us-east-1b']));
  });

  test('the cache: a primary and a replica with automatic failover in prod, a single node in dev', () => {
    for (const stack of prod.data.values()) {
      Template.fromStack(stack).hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
        NumCacheClusters: 2,
        MultiAZEnabled: true,
        AutomaticFailoverEnabled: true,
      });
    }
    Template.fromStack(dev.data.get('us-east-1')!).hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumCacheClusters: 1,
      MultiAZEnabled: false,
      AutomaticFailoverEnabled: false,
    });
  });

  test('interface endpoints for the data-plane traffic (image pulls, logs, queue and topic calls) in prod; none in dev, to save their hourly cost', () => {
    const endpointsOf = (template: Template) =>
      template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } });
    const prodEndpoints = Object.values(endpointsOf(Template.fromStack(prod.data.get('eu-west-1')!))).map(
      (e) => e.Properties.ServiceName,
    );
    expect(prodEndpoints.sort()).toEqual(
      ['ecr.api', 'ecr.dkr', 'logs', 'sns', 'sqs'].map((s) => `com.amazonaws.eu-west-1.${s}`),
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

  describe('data tier wiring', () => {
    const templateOf = (built: BuiltBlueprint, region: string) => stackTemplate(built.data.get(region as never)!);

    test('the primary region creates one global cluster per shard; secondaries join with no credentials', () => {
      const primary = templateOf(prod, 'us-east-1');
      primary.resourceCountIs('AWS::RDS::GlobalCluster', 2);
      for (const shard of [0, 1]) {
        primary.hasResourceProperties('AWS::RDS::GlobalCluster', {
          GlobalClusterIdentifier: `blueprint-shard-${shard}`,
        });
      }
      for (const region of ['eu-west-1', 'ap-northeast-2']) {
        const secondary = templateOf(prod, region);
        secondary.resourceCountIs('AWS::RDS::GlobalCluster', 0);
        const clusters = Object.values(secondary.findResources('AWS::RDS::DBCluster'));
        expect(clusters.map((c) => c.Properties.GlobalClusterIdentifier).sort()).toEqual([
          'blueprint-shard-0',
          'blueprint-shard-1',
        ]);
        for (const cluster of clusters) {
          expect(cluster.Properties).not.toHaveProperty('MasterUsername');
          expect(cluster.Properties).not.toHaveProperty('MasterUserPassword');
          expect(cluster.Properties).not.toHaveProperty('DatabaseName');
          expect(cluster.Properties.EnableGlobalWriteForwarding).toBe(true);
        }
      }
    });

    test('dev has one shard, already a global cluster so that adding a region needs no rebuild', () => {
      const template = templateOf(dev, 'us-east-1');
      template.resourceCountIs('AWS::RDS::DBCluster', 1);
      template.resourceCountIs('AWS::RDS::GlobalCluster', 1);
    });

    test("every data store in a region is encrypted with that region's key", () => {
      for (const [region, stack] of prod.data) {
        const template = Template.fromStack(stack);
        const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0];
        const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
        for (const cluster of Object.values(template.findResources('AWS::RDS::DBCluster'))) {
          expect(cluster.Properties.StorageEncrypted).toBe(true);
          expect(cluster.Properties.KmsKeyId).toEqual(keyArn);
        }
        template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
          AtRestEncryptionEnabled: true,
          TransitEncryptionEnabled: true,
          KmsKeyId: keyArn,
        });
        for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
          expect(queue.Properties.KmsMasterKeyId).toEqual(keyArn);
        }
        for (const topic of Object.values(template.findResources('AWS::SNS::Topic'))) {
          expect(topic.Properties.KmsMasterKeyId).toEqual(keyArn);
        }
        expect(region).toBeDefined();
      }
    });

    test('prod keeps data: deletion protection, snapshot on delete, retained queues and topics', () => {
      const template = templateOf(prod, 'us-east-1');
      for (const cluster of Object.values(template.findResources('AWS::RDS::DBCluster'))) {
        expect(cluster.Properties.DeletionProtection).toBe(true);
        expect(cluster.DeletionPolicy).toBe('Snapshot');
      }
      expect(Object.values(template.findResources('AWS::ElastiCache::ReplicationGroup'))[0].DeletionPolicy).toBe(
        'Snapshot',
      );
      for (const type of ['AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::SecretsManager::Secret']) {
        for (const resource of Object.values(template.findResources(type)))
          expect(resource.DeletionPolicy).toBe('RetainExceptOnCreate');
      }
    });

    test('dev keeps nothing', () => {
      const template = templateOf(dev, 'us-east-1');
      for (const type of [
        'AWS::RDS::DBCluster',
        'AWS::ElastiCache::ReplicationGroup',
        'AWS::SQS::Queue',
        'AWS::SNS::Topic',
      ]) {
        for (const resource of Object.values(template.findResources(type)))
          expect(resource.DeletionPolicy).toBe('Delete');
      }
    });

    test('every queue has a dead-letter queue', () => {
      for (const stack of prod.data.values()) {
        const queues = Object.values(Template.fromStack(stack).findResources('AWS::SQS::Queue'));
        const sources = queues.filter((q) => q.Properties.RedrivePolicy);
        const deadLetters = queues.filter((q) => q.Properties.RedriveAllowPolicy);
        expect(sources.map((q) => q.Properties.QueueName).sort()).toEqual(
          ['blueprint-invalidation-' + stack.region, 'blueprint-work'].sort(),
        );
        expect(deadLetters).toHaveLength(sources.length);
      }
    });

    test('cache invalidations flow between every ordered pair of regions, each subscription defined once', () => {
      // A Ref or GetAtt names this stack's own topic or queue; a built ARN names another region's.
      const regionOf = (value: unknown, service: string, own: string) =>
        JSON.stringify(value).match(new RegExp(`${service}:([a-z0-9-]+):`))?.[1] ?? own;
      const pairs = [...prod.data.values()].flatMap((stack) =>
        Object.values(Template.fromStack(stack).findResources('AWS::SNS::Subscription')).map((sub) => {
          const topic = regionOf(sub.Properties.TopicArn, 'sns', stack.region);
          const queue = regionOf(sub.Properties.Endpoint, 'sqs', stack.region);
          expect(sub.Properties.Region).toBe(topic);
          expect(sub.Properties.RawMessageDelivery).toBe(true);
          return `${topic}->${queue}`;
        }),
      );
      const regions = ['us-east-1', 'eu-west-1', 'ap-northeast-2'];
      const expected = regions.flatMap((from) => regions.filter((to) => to !== from).map((to) => `${from}->${to}`));
      expect(pairs.sort()).toEqual(expected.sort());
    });

    test('the database and the cache admit only the data-client security group', () => {
      const template = templateOf(prod, 'eu-west-1');
      const clientGroup = Object.entries(template.findResources('AWS::EC2::SecurityGroup')).find(
        ([, sg]) => sg.Properties.GroupDescription === 'Service tasks allowed to reach the database and the cache',
      )![0];
      const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'));
      const fromClients = ingress.filter((rule) =>
        JSON.stringify(rule.Properties.SourceSecurityGroupId).includes(clientGroup),
      );
      expect(fromClients.map((rule) => rule.Properties.FromPort).sort()).toEqual([5432, 5432, 6380]);
      for (const rule of ingress) expect(rule.Properties).not.toHaveProperty('CidrIp');
    });

    test('app-wide secrets start in the primary region and replicate to every other region and the edge', () => {
      const names = (region: string) =>
        Object.values(templateOf(prod, region).findResources('AWS::SecretsManager::Secret')).map(
          (secret) => secret.Properties.Name,
        );
      expect(names('us-east-1')).toEqual(expect.arrayContaining(['blueprint/origin-verify', 'blueprint/session']));
      expect(names('eu-west-1')).not.toContain('blueprint/session');
      templateOf(prod, 'us-east-1').hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: 'blueprint/session',
        ReplicaRegions: [Match.objectLike({ Region: 'eu-west-1' }), Match.objectLike({ Region: 'ap-northeast-2' })],
      });
    });
  });
});
