import { Match, Template } from 'aws-cdk-lib/assertions';
import { BuiltBlueprint, buildApp, containerOf, stackTemplate } from '../helpers';

/** nag and the template lint run over the whole app in test/app.test.ts. */
const TEMPLATES_ONLY = { checks: false };

type Resource = { Type: string; Properties: Record<string, any> };

describe('Service stacks', () => {
  let prod: BuiltBlueprint;
  let dev: BuiltBlueprint;
  const templateOf = (built: BuiltBlueprint, region: string) => stackTemplate(built.service.get(region as never)!);

  beforeAll(() => {
    prod = buildApp({}, TEMPLATES_ONLY);
    dev = buildApp({ profile: 'dev' }, TEMPLATES_ONLY);
  });

  test('snapshots', () => {
    for (const built of [prod, dev]) {
      for (const region of built.service.keys()) {
        expect(templateOf(built, region).toJSON()).toMatchSnapshot(`${built.config.profile} ${region}`);
      }
    }
  });

  test('an ECS cluster with enhanced Container Insights in every region', () => {
    for (const region of prod.service.keys()) {
      templateOf(prod, region).hasResourceProperties('AWS::ECS::Cluster', {
        ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
      });
    }
  });

  test('runs the api and the worker from the same service image, the worker with its own command', () => {
    const template = templateOf(prod, 'eu-west-1');
    const api = containerOf(template, /^ApiTask/);
    const worker = containerOf(template, /^WorkerTask/);
    expect(api.Image).toEqual(worker.Image);
    expect(JSON.stringify(api.Image)).toContain('cdk-hnb659fds-container-assets');
    expect(worker.Command).toEqual(['node', '--enable-source-maps', 'dist/worker.js']);
    expect(api.PortMappings).toEqual([expect.objectContaining({ ContainerPort: 8080 })]);
    template.resourceCountIs('AWS::ECS::Service', 2);
  });

  test('tasks get the session key and cache token as injected secrets, never as plain environment', () => {
    const api = containerOf(templateOf(prod, 'eu-west-1'), /^ApiTask/);
    expect(api.Secrets.map((s: { Name: string }) => s.Name).sort()).toEqual(['REDIS_AUTH_TOKEN', 'SESSION_SECRET']);
    const envNames = api.Environment.map((e: { Name: string }) => e.Name);
    for (const secretName of ['SESSION_SECRET', 'REDIS_AUTH_TOKEN', 'DB_PASSWORD', 'DB_USERNAME'])
      expect(envNames).not.toContain(secretName);
  });

  describe('database access: IAM authentication as the service role; the master secrets for migrations only', () => {
    const regions = { 'us-east-1': 'primary', 'eu-west-1': 'secondary' } as const;
    const tasks = [
      ['api', /^ApiTask/, /^ApiTaskTaskDefinitionTaskRole/],
      ['worker', /^WorkerTask/, /^WorkerTaskTaskDefinitionTaskRole/],
    ] as const;
    type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };
    const statementsOf = (template: Template, rolePrefix: RegExp): Statement[] =>
      Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([id]) => rolePrefix.test(id))
        .flatMap(([, policy]) => (policy as Resource).Properties.PolicyDocument.Statement);
    const withAction = (statements: Statement[], prefix: string) =>
      statements.filter((st) => [st.Action].flat().some((a) => a.startsWith(prefix)));
    const envOf = (template: Template, family: RegExp): Record<string, unknown> =>
      Object.fromEntries(
        (containerOf(template, family).Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
      );
    const dbUserArn = (region: string, shard: number) => ({
      'Fn::Join': [
        '',
        [
          `arn:aws:rds-db:${region}:`,
          { Ref: 'AWS::AccountId' },
          ':dbuser:',
          {
            'Fn::GetStackOutput': {
              StackName: `blueprint-Data-${region}`,
              Region: region,
              OutputName: expect.stringMatching(
                new RegExp(`^PublishOutputFnGetAttShard${shard}Cluster\\w*DBClusterResourceId`),
              ),
            },
          },
          '/app_service',
        ],
      ],
    });

    test.each(Object.entries(regions))(
      '%s (%s): both tasks log in as app_service with IAM authentication over verified TLS, holding no database password',
      (region) => {
        const template = templateOf(prod, region);
        for (const [, family] of tasks) {
          const env = envOf(template, family);
          expect(env.DB_IAM_USER).toBe('app_service');
          expect(env.DB_SSL).toBe('verify-full');
          expect(
            Object.keys(env).filter((name) =>
              /^(SHARD_\d+_(SECRET_ARN|USERNAME|PASSWORD)|DB_(USERNAME|PASSWORD))$/.test(name),
            ),
          ).toEqual([]);
          expect(containerOf(template, family).Secrets.map((s: { Name: string }) => s.Name)).not.toContainEqual(
            expect.stringMatching(/^(SHARD_|DB_)/),
          );
        }
      },
    );

    test.each(Object.entries(regions))(
      "%s (%s): each task role may connect as app_service only, to its own region's clusters only",
      (region) => {
        const template = templateOf(prod, region);
        for (const [, , rolePrefix] of tasks) {
          const connects = withAction(statementsOf(template, rolePrefix), 'rds-db:');
          expect(connects).toHaveLength(1);
          const [connect] = connects;
          expect(connect.Action).toBe('rds-db:connect');
          expect(connect.Effect).toBe('Allow');
          expect(connect.Resource).toEqual([dbUserArn(region, 0), dbUserArn(region, 1)]);
        }
      },
    );

    test("the primary region's api alone gets the master secrets, by ARN, to run the migrations at start", () => {
      const template = templateOf(prod, 'us-east-1');
      const env = envOf(template, /^ApiTask/);
      expect(env.MIGRATE_ON_START).toBe('true');
      for (const shard of [0, 1]) {
        expect(env[`SHARD_${shard}_MIGRATION_SECRET_ARN`]).toEqual({
          'Fn::GetStackOutput': expect.objectContaining({
            OutputName: expect.stringMatching(new RegExp(`^PublishOutputRefShard${shard}ClusterSecretAttachment`)),
            Region: 'us-east-1',
            StackName: 'blueprint-Data-us-east-1',
          }),
        });
      }
      const reads = withAction(statementsOf(template, /^ApiTaskTaskDefinitionTaskRole/), 'secretsmanager:');
      expect(reads).toHaveLength(1);
      expect([reads[0].Action].flat().sort()).toEqual([
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ]);
      expect(reads[0].Condition).toBeUndefined();
      expect(reads[0].Resource).toEqual([env.SHARD_0_MIGRATION_SECRET_ARN, env.SHARD_1_MIGRATION_SECRET_ARN]);
    });

    test.each([
      ['us-east-1', 'worker', /^WorkerTask/, /^WorkerTaskTaskDefinitionTaskRole/],
      ['eu-west-1', 'api', /^ApiTask/, /^ApiTaskTaskDefinitionTaskRole/],
      ['eu-west-1', 'worker', /^WorkerTask/, /^WorkerTaskTaskDefinitionTaskRole/],
    ] as const)(
      '%s %s: no migration secret, and no Secrets Manager access at all',
      (region, _name, family, rolePrefix) => {
        const template = templateOf(prod, region);
        const env = envOf(template, family);
        expect(Object.keys(env).filter((name) => name.includes('SECRET_ARN'))).toEqual([]);
        expect(env.MIGRATE_ON_START ?? 'false').toBe('false');
        expect(withAction(statementsOf(template, rolePrefix), 'secretsmanager:')).toEqual([]);
      },
    );

    test('the execution roles read only what ECS injects, never a shard secret', () => {
      const template = templateOf(prod, 'eu-west-1');
      const executionReads = statementsOf(template, /TaskDefinitionExecutionRole/).filter((st) =>
        [st.Action].flat().includes('secretsmanager:GetSecretValue'),
      );
      expect(executionReads.length).toBeGreaterThan(0);
      for (const st of executionReads) expect(JSON.stringify(st.Resource)).not.toContain('shard-');
    });
  });

  test('tasks get the shard map, cache, queues and topic of their own region as environment', () => {
    const env = Object.fromEntries(
      containerOf(templateOf(prod, 'eu-west-1'), /^ApiTask/).Environment.map((e: { Name: string; Value: unknown }) => [
        e.Name,
        e.Value,
      ]),
    );
    expect(env.REGION).toBe('eu-west-1');
    expect(env.DB_SSL).toBe('verify-full');
    expect(JSON.stringify(env.SHARD_MAP)).toMatch(/shard-0.*shard-1/);
    for (const key of ['REDIS_URL', 'WORK_QUEUE_URL', 'INVALIDATION_TOPIC_ARN', 'INVALIDATION_QUEUE_URL']) {
      expect(JSON.stringify(env[key])).toContain('"Region":"eu-west-1"');
    }
    expect(env.MIGRATE_ON_START).toBe('false');
    const primaryEnv = containerOf(templateOf(prod, 'us-east-1'), /^ApiTask/).Environment;
    expect(primaryEnv).toContainEqual({ Name: 'MIGRATE_ON_START', Value: 'true' });
  });

  test('the ALB serves the origin name with a regional certificate validated by the edge record', () => {
    const template = templateOf(prod, 'ap-northeast-2');
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'origin.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: Match.absent(),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS' });
  });

  test('only requests carrying the origin-verify secret reach the service', () => {
    templateOf(prod, 'eu-west-1').hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [
        {
          Field: 'http-header',
          HttpHeaderConfig: {
            HttpHeaderName: 'x-origin-verify',
            Values: ['{{resolve:secretsmanager:blueprint/origin-verify:SecretString:::}}'],
          },
        },
      ],
    });
  });

  test('both services attach the data-client group from their Data stack', () => {
    for (const service of Object.values(
      templateOf(prod, 'eu-west-1').findResources('AWS::ECS::Service'),
    ) as Resource[]) {
      const groups = JSON.stringify(service.Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups);
      expect(groups).toContain('DataClients');
    }
  });

  test('dev, without a record TTL, keeps the free alias record that also follows target health', () => {
    const [record] = Object.values(templateOf(dev, 'us-east-1').findResources('AWS::Route53::RecordSet')) as Resource[];
    expect(record.Properties).toMatchObject({ Type: 'A', AliasTarget: { EvaluateTargetHealth: true } });
  });

  test('both services may publish the invalidations of their writes; only the api consumes them', () => {
    const template = templateOf(prod, 'eu-west-1');
    const actionsOf = (rolePrefix: string) =>
      Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([id]) => id.startsWith(rolePrefix))
        .flatMap(([, policy]) => (policy as Resource).Properties.PolicyDocument.Statement)
        .flatMap((statement: { Action: string | string[] }) => [statement.Action].flat());
    expect(actionsOf('ApiTaskTaskDefinitionTaskRole')).toEqual(
      expect.arrayContaining(['sns:Publish', 'sqs:ReceiveMessage', 'sqs:SendMessage']),
    );
    expect(actionsOf('WorkerTaskTaskDefinitionTaskRole')).toContain('sns:Publish');
  });

  test('permissions name their resources: a wildcard resource only on actions that take none, never on data', () => {
    // Actions AWS offers no resource-level permissions for: the image pull token, the zone lookup,
    // reads of what exists (Describe/List, tag lookups) and the log delivery FIS experiments set up.
    const takesNoResource =
      /^(ecr:GetAuthorizationToken|route53:ListHostedZonesByName|[a-z0-9-]+:(Describe|List)\w+|tag:GetResources|logs:(CreateLogDelivery|PutResourcePolicy))$/;
    for (const policy of Object.values(templateOf(prod, 'eu-west-1').findResources('AWS::IAM::Policy')) as Resource[]) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        const actions: string[] = [statement.Action].flat();
        if (statement.Resource !== '*') continue;
        // A write on `*` is allowed only when a condition names the resource (cluster, tag).
        const unscoped = statement.Condition ? [] : actions.filter((action) => !takesNoResource.test(action));
        expect(unscoped).toEqual([]);
        expect(actions.filter((action) => /^(sqs|sns|secretsmanager|kms|s3|rds-data|ssm):/.test(action))).toEqual([]);
      }
    }
  });

  test('scaling bounds come from the profile: at least two api tasks per region in prod', () => {
    const bounds = (built: BuiltBlueprint) =>
      (
        Object.values(
          templateOf(built, 'us-east-1').findResources('AWS::ApplicationAutoScaling::ScalableTarget'),
        ) as Resource[]
      )
        .map((t) => [t.Properties.MinCapacity, t.Properties.MaxCapacity])
        .sort();
    expect(bounds(prod)).toEqual([
      [2, 10],
      [2, 20],
    ]);
    expect(bounds(dev)).toEqual([
      [0, 2],
      [1, 2],
    ]);
  });

  test("dev's worker scales to zero and back when work waits; prod's keeps its floor and below-minimum alarm", () => {
    const stepPolicies = (built: BuiltBlueprint) =>
      templateOf(built, 'us-east-1').findResources('AWS::ApplicationAutoScaling::ScalingPolicy', {
        Properties: { PolicyType: 'StepScaling' },
      });
    const belowMinimum = { AlarmName: Match.stringLikeRegexp('-tasks-below-minimum$') };
    const devTemplate = templateOf(dev, 'us-east-1');
    expect(Object.keys(stepPolicies(dev))).toHaveLength(1);
    devTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(m1 > 0 AND FILL(m2, 0) < 1, 1, 0)' })]),
      AlarmActions: [{ Ref: Object.keys(stepPolicies(dev))[0] }],
    });
    devTemplate.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', belowMinimum, 0);
    devTemplate.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: { Alarms: { AlarmNames: [Match.stringLikeRegexp('-dead-letters-growing$')] } },
    });
    expect(Object.keys(stepPolicies(prod))).toHaveLength(0);
    templateOf(prod, 'us-east-1').resourcePropertiesCountIs('AWS::CloudWatch::Alarm', belowMinimum, 1);
  });

  test('are stateless: no termination protection, nothing retained in dev', () => {
    for (const stack of prod.service.values()) expect(stack.terminationProtection).toBe(false);
    const resources = Object.values(templateOf(dev, 'us-east-1').toJSON().Resources) as { DeletionPolicy?: string }[];
    expect(resources.filter((r) => r.DeletionPolicy?.startsWith('Retain'))).toEqual([]);
  });

  test("depend on their own region's Data and Keys stacks, the Edge stack and the previous region's Service stack only", () => {
    prod.config.regions.forEach((region, index) => {
      const previous = prod.config.regions[index - 1];
      const expected = ['blueprint-Edge', `blueprint-Data-${region}`];
      if (region !== prod.config.primaryRegion) expected.push(`blueprint-Keys-${region}`);
      if (previous) expected.push(`blueprint-Service-${previous}`);
      const dependencies = prod.service.get(region)!.dependencies.map((d) => d.stackName);
      expect(dependencies.sort()).toEqual(expected.sort());
    });
  });

  test('one latency record per region for the origin name, each with its own health check', () => {
    const setIds = [...prod.service.keys()].map((region) => {
      const template = templateOf(prod, region);
      const [record] = Object.values(template.findResources('AWS::Route53::RecordSet')) as Resource[];
      // prod keeps answers for 10 s (dns.recordTtlSeconds), not an alias's fixed 60 s: failover within a minute.
      expect(record.Properties).toMatchObject({
        Name: 'origin.example.com.',
        Type: 'CNAME',
        TTL: '10',
        Region: region,
      });
      expect(record.Properties.HealthCheckId).toEqual({ Ref: expect.stringMatching(/HealthCheck/) });
      template.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: Match.objectLike({
          Type: 'HTTPS',
          ResourcePath: '/readyz',
          RequestInterval: 10,
          FailureThreshold: 2,
        }),
      });
      return record.Properties.SetIdentifier;
    });
    expect(new Set(setIds).size).toBe(3);
  });

  test("every record requires its region's evacuation switch, and the stack outputs the three health-check ids", () => {
    for (const region of prod.service.keys()) {
      const template = templateOf(prod, region);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `blueprint-${region}-evacuation-switch`,
        Namespace: 'blueprint/Resilience',
        TreatMissingData: 'notBreaching',
      });
      template.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: Match.objectLike({ Type: 'CALCULATED', HealthThreshold: 2 }),
      });
      for (const name of ['EvacuationSwitchHealthCheckId', 'OriginHealthCheckId', 'RecordHealthCheckId']) {
        template.hasOutput(name, { Value: { Ref: Match.stringLikeRegexp('^OriginDns') } });
      }
    }
  });

  test('ALBs let ARC zonal shift drain an AZ in prod, not in dev', () => {
    const zonalShiftOf = (built: BuiltBlueprint, region: string) => {
      const [alb] = Object.values(
        templateOf(built, region).findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'),
      ) as Resource[];
      return alb.Properties.LoadBalancerAttributes.find((a: { Key: string }) => a.Key === 'zonal_shift.config.enabled')
        ?.Value;
    };
    for (const region of prod.service.keys()) expect(zonalShiftOf(prod, region)).toBe('true');
    expect(zonalShiftOf(dev, 'us-east-1')).toBe('false');
  });

  test('finds a zone the app created by name at deploy time, and imports a given zone id without any lookup', () => {
    // The stack's other SDK call writes the origin health-check alarm in us-east-1.
    const zoneLookups = (template: Template) =>
      Object.values(template.findResources('Custom::AWS')).filter((r) =>
        JSON.stringify(r.Properties.Create).includes('listHostedZonesByName'),
      ).length;
    expect(zoneLookups(templateOf(prod, 'eu-west-1'))).toBe(1);
    const imported = buildApp({ profile: 'dev', hostedZoneId: 'Z0123456789ABCDEFGHIJ' }, TEMPLATES_ONLY);
    const template = Template.fromStack(imported.service.get('us-east-1')!);
    expect(zoneLookups(template)).toBe(0);
    template.hasResourceProperties('AWS::Route53::RecordSet', { HostedZoneId: 'Z0123456789ABCDEFGHIJ' });
  });

  test('every region pages through its own encrypted topic on a composite region-health alarm', () => {
    for (const region of prod.service.keys()) {
      const template = templateOf(prod, region);
      template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 1);
      for (const topic of Object.values(template.findResources('AWS::SNS::Topic')) as Resource[]) {
        expect(topic.Properties.KmsMasterKeyId).toBeDefined();
      }
      for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[]) {
        // Deployment gates roll back instead of paging; the evacuation switch is an operator's lever.
        const isDeploymentGate =
          /deployment|rolls a deployment back|tasks-below-minimum|dead-letters-growing|evacuation-switch/i.test(
            JSON.stringify(alarm.Properties.AlarmDescription ?? '') + JSON.stringify(alarm.Properties.AlarmName ?? ''),
          );
        if (!isDeploymentGate) expect(alarm.Properties.AlarmActions?.length).toBeGreaterThan(0);
      }
    }
  });

  const dashboards = (built: BuiltBlueprint, region: string) =>
    (Object.values(templateOf(built, region).findResources('AWS::CloudWatch::Dashboard')) as Resource[]).map(
      (d) => d.Properties.DashboardName,
    );

  test('a dashboard per region, and the global dashboard in the primary region only', () => {
    expect(dashboards(prod, 'us-east-1').sort()).toEqual(['blueprint-global', 'blueprint-us-east-1']);
    expect(dashboards(prod, 'eu-west-1')).toEqual(['blueprint-eu-west-1']);
  });

  test('one region (dev) has its regional dashboard only: it already shows everything', () => {
    expect(dashboards(dev, 'us-east-1')).toEqual(['blueprint-us-east-1']);
  });

  test('dev has no cache-failover drill: its one cache node has no replica to promote', () => {
    const template = templateOf(dev, 'us-east-1');
    const drills = Object.values(template.findResources('AWS::FIS::ExperimentTemplate')) as Resource[];
    expect(drills.map((d) => d.Properties.Tags.drill).sort()).toEqual(
      ['az-loss', 'database-failover', 'region-loss', 'split-brain', 'task-loss'].sort(),
    );
    expect(Object.keys(template.findOutputs('*'))).not.toContain('DrillCacheFailoverTemplateId');
    expect(Object.keys(templateOf(prod, 'us-east-1').findOutputs('*'))).toContain('DrillCacheFailoverTemplateId');
  });
});
