import { CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CACHE_DRILL_TAG, DENY_RECEIVE_SID, DRILL_NAMES, DrillName, pascalDrillName } from '../../lib/constructs/chaos';
import { ServiceStack } from '../../lib/stacks/service-stack';
import { BuiltBlueprint, buildApp } from '../helpers';
import { Json, asList, experiment, isWildcard, statementsOf } from '../constructs/chaos.fixture';

// ---------------------------------------------------------------------------------------------
// The drills as the prod app wires them (config: 34% of tasks, 7-minute drills).
// ---------------------------------------------------------------------------------------------

describe('the drills in the prod app', () => {
  let prod: BuiltBlueprint;
  let primary: ServiceStack;
  let secondary: ServiceStack;
  let templates: { primary: Template; secondary: Template };
  const idOf = (stack: Stack, construct: IConstruct) =>
    stack.getLogicalId((CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild) as CfnResource);
  beforeAll(() => {
    prod = buildApp({ 'resilience.taskStopPercent': 34, 'resilience.drillMinutes': 7 }, { checks: false });
    primary = prod.service.get('us-east-1')!;
    secondary = prod.service.get('eu-west-1')!;
    templates = { primary: Template.fromStack(primary), secondary: Template.fromStack(secondary) };
  });

  test("every drill stops on the region's composite health alarm and logs to the drill log group", () => {
    for (const [stack, template] of [
      [primary, templates.primary],
      [secondary, templates.secondary],
    ] as const) {
      const alarm = { 'Fn::GetAtt': [idOf(stack, stack.monitoring.regionHealthAlarm), 'Arn'] };
      const logGroup = { 'Fn::GetAtt': [idOf(stack, stack.drills!.logGroup), 'Arn'] };
      for (const name of DRILL_NAMES) {
        const drill = experiment(template, name);
        expect(drill.StopConditions).toEqual([{ Source: 'aws:cloudwatch:alarm', Value: alarm }]);
        expect(drill.LogConfiguration).toEqual({
          LogSchemaVersion: 2,
          CloudWatchLogsConfiguration: { LogGroupArn: logGroup },
        });
        expect(drill.ExperimentOptions).toEqual({
          AccountTargeting: 'single-account',
          EmptyTargetResolutionMode: 'fail',
        });
        expect(drill.Tags).toEqual({ Name: `blueprint-${stack.region}-${name}`, drill: name });
      }
    }
  });

  test("the log group is encrypted with the region's data key and kept for logRetentionDays", () => {
    templates.primary.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        RetentionInDays: prod.config.logRetentionDays,
        KmsKeyId: {
          'Fn::GetStackOutput': Match.objectLike({
            StackName: 'blueprint-Data-us-east-1',
            OutputName: Match.stringLikeRegexp('DataKey.*Arn'),
          }),
        },
      },
      DeletionPolicy: 'RetainExceptOnCreate',
    });
  });

  test('task-loss stops resilience.taskStopPercent of the api service tasks', () => {
    const drill = experiment(templates.primary, 'task-loss');
    expect(drill.Targets).toEqual({
      'api-tasks': {
        ResourceType: 'aws:ecs:task',
        SelectionMode: 'PERCENT(34)',
        Parameters: {
          cluster: { Ref: idOf(primary, primary.cluster) },
          service: { 'Fn::GetAtt': [idOf(primary, primary.api.service), 'Name'] },
        },
      },
    });
    expect(drill.Actions).toEqual({
      'stop-api-tasks': {
        ActionId: 'aws:ecs:stop-task',
        Description: 'Stop 34% of the api tasks',
        Targets: { Tasks: 'api-tasks' },
      },
    });
  });

  test("az-loss cuts every subnet tier of the region's first zone off for drillMinutes", () => {
    const drill = experiment(templates.primary, 'az-loss');
    const target = drill.Targets['subnets-us-east-1a'];
    expect(Object.keys(drill.Targets)).toEqual(['subnets-us-east-1a']);
    expect(target.ResourceType).toBe('aws:ec2:subnet');
    expect(target.SelectionMode).toBe('ALL');
    expect(subnetNames(target.ResourceArns)).toEqual(['appSubnet1', 'dataSubnet1', 'publicSubnet1']);
    expect(drill.Actions).toEqual({
      'disconnect-us-east-1a': {
        ActionId: 'aws:network:disrupt-connectivity',
        Description: 'Deny all traffic in and out of the us-east-1a subnets',
        Parameters: { scope: 'all', duration: 'PT7M' },
        Targets: { Subnets: 'subnets-us-east-1a' },
      },
    });
  });

  test('region-loss cuts every subnet of the region off, one action per zone, all at once', () => {
    const drill = experiment(templates.primary, 'region-loss');
    const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    expect(Object.keys(drill.Targets)).toEqual(zones.map((z) => `subnets-${z}`));
    expect(subnetNames(Object.values(drill.Targets).flatMap((t: any) => t.ResourceArns))).toHaveLength(9);
    for (const zone of zones) {
      expect(drill.Actions[`disconnect-${zone}`]).toEqual({
        ActionId: 'aws:network:disrupt-connectivity',
        Description: `Deny all traffic in and out of the ${zone} subnets`,
        Parameters: { scope: 'all', duration: 'PT7M' },
        Targets: { Subnets: `subnets-${zone}` },
      });
    }
    expect(drill.Description).toMatch(
      /^Region loss \(Chaos Kong\): .*ALB becomes unreachable, the Route 53 health check withdraws us-east-1 .*, and eu-west-1, ap-northeast-2 absorb its traffic\.$/,
    );
  });

  test('database-failover fails every shard writer over in the primary region', () => {
    const drill = experiment(templates.primary, 'database-failover');
    expect(drill.Targets.clusters.ResourceType).toBe('aws:rds:cluster');
    expect(drill.Targets.clusters.ResourceArns.map(outputName)).toEqual([
      expect.stringMatching(/^PublishOutputRefShard0Cluster/),
      expect.stringMatching(/^PublishOutputRefShard1Cluster/),
    ]);
    expect(drill.Actions).toEqual({
      'fail-over-writers': expect.objectContaining({
        ActionId: 'aws:rds:failover-db-cluster',
        Targets: { Clusters: 'clusters' },
      }),
    });
  });

  test('database-failover reboots the reader instances in a secondary region, which has no writer', () => {
    const drill = experiment(templates.secondary, 'database-failover');
    expect(Object.keys(drill.Targets)).toEqual(['instances']);
    expect(drill.Targets.instances.ResourceType).toBe('aws:rds:db');
    expect(drill.Targets.instances.ResourceArns.map(outputName)).toEqual([
      expect.stringMatching(/^PublishOutputRefShard0ClusterWriter/),
      expect.stringMatching(/^PublishOutputRefShard0ClusterReader1/),
      expect.stringMatching(/^PublishOutputRefShard1ClusterWriter/),
      expect.stringMatching(/^PublishOutputRefShard1ClusterReader1/),
    ]);
    expect(drill.Actions).toEqual({
      'reboot-instances': expect.objectContaining({
        ActionId: 'aws:rds:reboot-db-instances',
        Parameters: { forceFailover: 'false' },
        Targets: { DBInstances: 'instances' },
      }),
    });
    expect(drill.Description).toContain('secondary region with no writer');
  });

  test("cache-failover powers off the cache's nodes in the same zone as az-loss, found by the tag its Data stack sets", () => {
    const drill = experiment(templates.primary, 'cache-failover');
    expect(drill.Targets).toEqual({
      cache: {
        ResourceType: 'aws:elasticache:replicationgroup',
        ResourceTags: { [CACHE_DRILL_TAG]: 'blueprint-cache' },
        Parameters: { availabilityZoneIdentifier: 'us-east-1a' },
        SelectionMode: 'ALL',
      },
    });
    expect(drill.Actions['interrupt-az-power']).toMatchObject({
      ActionId: 'aws:elasticache:replicationgroup-interrupt-az-power',
      Parameters: { duration: 'PT7M' },
      Targets: { ReplicationGroups: 'cache' },
    });
    Template.fromStack(prod.data.get('us-east-1')!).hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      ReplicationGroupId: 'blueprint-cache',
      Tags: Match.arrayWith([{ Key: CACHE_DRILL_TAG, Value: 'blueprint-cache' }]),
    });
  });

  test('split-brain runs the invalidation-pause runbook on this region’s queue for drillMinutes', () => {
    const drill = experiment(templates.primary, 'split-brain');
    const pause = primary.drills!.invalidationPause;
    expect(drill.Targets).toEqual({});
    const action = drill.Actions['pause-invalidations'];
    expect(action.ActionId).toBe('aws:ssm:start-automation-execution');
    expect(action.Parameters.maxDuration).toBe('PT12M');
    expect(JSON.stringify(action.Parameters.documentArn)).toContain(`{"Ref":"${idOf(primary, pause.document)}"}`);
    const parameters = JSON.stringify(action.Parameters.documentParameters);
    expect(parameters).toMatch(/QueueUrl.*PublishOutputRefInvalidationQueue/);
    expect(parameters).toContain(`"Fn::GetAtt":["${idOf(primary, pause.role)}","Arn"]`);
    expect(parameters).toContain('\\"HoldDuration\\":\\"PT7M\\"');
    expect(drill.Description).toMatch(
      /stale by at most the cache TTL \(60 s\) and the invalidation-queue age alarm fires/,
    );
  });

  test('the runbook denies receiving, holds, and restores the saved policy even when cancelled', () => {
    const documents = Object.values(templates.primary.findResources('AWS::SSM::Document')) as Json[];
    expect(documents).toHaveLength(1);
    const { DocumentType, Content } = documents[0].Properties;
    expect(DocumentType).toBe('Automation');
    expect(Content.schemaVersion).toBe('0.3');
    expect(Content.assumeRole).toBe('{{ AutomationAssumeRole }}');
    expect(Content.parameters.HoldDuration.default).toBe('PT7M');
    const [deny, hold, restore] = Content.mainSteps;
    expect([deny.name, hold.name, restore.name]).toEqual(['DenyReceive', 'Hold', 'Restore']);
    expect(deny.action).toBe('aws:executeScript');
    expect(deny.inputs.Script).toContain("'Effect': 'Deny'");
    expect(deny.inputs.Script).toContain("'Principal': '*'");
    expect(deny.inputs.Script).toContain("'Action': 'sqs:ReceiveMessage'");
    expect(deny.inputs.Script).toContain(`SID = '${DENY_RECEIVE_SID}'`);
    // the existing statements are kept: the deny is appended to them
    expect(deny.inputs.Script).toContain('statements.append(');
    expect(deny.outputs).toEqual([{ Name: 'OriginalPolicy', Selector: '$.Payload.originalPolicy', Type: 'String' }]);
    expect(hold).toMatchObject({
      action: 'aws:sleep',
      inputs: { Duration: '{{ HoldDuration }}' },
      onFailure: 'step:Restore',
      onCancel: 'step:Restore',
    });
    expect(restore).toMatchObject({ action: 'aws:executeScript', isEnd: true, maxAttempts: 3 });
    expect(restore.inputs.InputPayload.OriginalPolicy).toBe('{{ DenyReceive.OriginalPolicy }}');
    expect(restore.inputs.Script).toContain("Attributes={'Policy': policy}");
  });

  test('the runbook role is assumable by SSM only and may only read and set the one queue’s attributes', () => {
    const pause = primary.drills!.invalidationPause;
    const roleId = idOf(primary, pause.role);
    templates.primary.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'ssm.amazonaws.com' }, Condition: Match.anyValue() })],
      },
    });
    expect(statementsOf(templates.primary, roleId)).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:GetQueueAttributes', 'sqs:SetQueueAttributes'],
        Resource: {
          'Fn::GetStackOutput': expect.objectContaining({
            OutputName: expect.stringMatching(/^PublishOutputFnGetAttInvalidationQueue.*Arn/),
          }),
        },
      },
    ]);
  });

  test('each role reaches data only through the targets; wildcards only where the action needs them', () => {
    // Actions that may appear with a wildcard resource, per drill (each acknowledged with a reason).
    const logging = [
      'logs:CreateLogDelivery',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ];
    const network = [
      ...logging,
      'ec2:DescribeNetworkAcls',
      'ec2:DescribeSubnets',
      'ec2:DescribeVpcs',
      'ec2:DescribeManagedPrefixLists',
      'ec2:CreateNetworkAcl',
      'ec2:CreateTags',
      'ec2:CreateNetworkAclEntry',
      'ec2:DeleteNetworkAcl',
      'ec2:ReplaceNetworkAclAssociation',
    ];
    const wildcardActions: Record<DrillName, string[]> = {
      'task-loss': [...logging, 'ecs:StopTask', 'ecs:DescribeTasks', 'ecs:ListTasks'],
      'az-loss': network,
      'region-loss': network,
      'database-failover': [...logging, 'rds:DescribeDBClusters'],
      'cache-failover': [
        ...logging,
        'elasticache:InterruptClusterAzPower',
        'elasticache:DescribeReplicationGroups',
        'tag:GetResources',
      ],
      'split-brain': [
        ...logging,
        'ssm:StartAutomationExecution',
        'ssm:GetAutomationExecution',
        'ssm:StopAutomationExecution',
      ],
    };
    const guarded: Record<string, unknown> = {
      'ecs:StopTask': { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [idOf(primary, primary.cluster), 'Arn'] } } },
      'ecs:ListTasks': { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [idOf(primary, primary.cluster), 'Arn'] } } },
      'elasticache:InterruptClusterAzPower': {
        StringEquals: { [`aws:ResourceTag/${CACHE_DRILL_TAG}`]: 'blueprint-cache' },
      },
      'ec2:DeleteNetworkAcl': expect.objectContaining({ StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } }),
      'ec2:ReplaceNetworkAclAssociation': { ArnEquals: { 'ec2:Vpc': expect.anything() } },
    };
    for (const name of DRILL_NAMES) {
      const statements = statementsOf(templates.primary, idOf(primary, primary.drills!.roles[name]!));
      for (const statement of statements) {
        const actions = asList<string>(statement.Action);
        if (asList(statement.Resource).some(isWildcard)) {
          expect({ name, actions: actions.filter((a) => !wildcardActions[name].includes(a)) }).toEqual({
            name,
            actions: [],
          });
        }
        for (const action of actions.filter((a) => a in guarded)) expect(statement.Condition).toEqual(guarded[action]);
      }
      const mutations: Partial<Record<DrillName, string>> = {
        'database-failover': 'rds:FailoverDBCluster',
        'split-brain': 'iam:PassRole',
      };
      const mutation = mutations[name];
      if (mutation) {
        const granting = statements.filter((s) => asList(s.Action).includes(mutation));
        expect(granting).toHaveLength(1);
        expect(asList(granting[0].Resource).some(isWildcard)).toBe(false);
      }
    }
    const secondaryStatements = statementsOf(
      templates.secondary,
      idOf(secondary, secondary.drills!.roles['database-failover']!),
    );
    const reboot = secondaryStatements.find((s) => asList(s.Action).includes('rds:RebootDBInstance'))!;
    expect(asList(reboot.Resource)).toHaveLength(4);
    expect(asList(reboot.Resource).some(isWildcard)).toBe(false);
  });

  test('iam:PassRole is for the runbook role, and only to SSM', () => {
    const statements = statementsOf(templates.primary, idOf(primary, primary.drills!.roles['split-brain']!));
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: { 'Fn::GetAtt': [idOf(primary, primary.drills!.invalidationPause.role), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
    });
  });

  test('passes cdk-nag AwsSolutions in both regions', () => {
    for (const stack of [primary, secondary]) {
      const violations = new AwsSolutionsChecks()
        .validateScope(stack)
        .violations.filter((v) => v.violatingResources.some((r) => r.constructPath?.includes('/Drills/')));
      expect(violations).toEqual([]);
    }
  });

  test('outputs each template id for the runbooks, named Drill<Drill>TemplateId', () => {
    expect(DRILL_NAMES.map((name) => `Drill${pascalDrillName(name)}TemplateId`)).toEqual([
      'DrillTaskLossTemplateId',
      'DrillAzLossTemplateId',
      'DrillDatabaseFailoverTemplateId',
      'DrillCacheFailoverTemplateId',
      'DrillRegionLossTemplateId',
      'DrillSplitBrainTemplateId',
    ]);
    for (const name of DRILL_NAMES) {
      templates.secondary.hasOutput(`Drill${pascalDrillName(name)}TemplateId`, {
        Value: { 'Fn::GetAtt': [idOf(secondary, secondary.drills!.experiments[name]!), 'Id'] },
      });
    }
  });
});

describe('the prod app with resilience.drills false', () => {
  let off: BuiltBlueprint;
  beforeAll(() => {
    off = buildApp({ 'resilience.drills': false }, { checks: false });
  });

  test('has no drill templates, runbook, roles or outputs, and leaves the cache untagged', () => {
    for (const [region, stack] of off.service) {
      expect(stack.drills).toBeUndefined();
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::FIS::ExperimentTemplate', 0);
      template.resourceCountIs('AWS::SSM::Document', 0);
      expect(Object.keys(template.findOutputs('*')).filter((name) => name.startsWith('Drill'))).toEqual([]);
      const cache = Template.fromStack(off.data.get(region)!).findResources('AWS::ElastiCache::ReplicationGroup');
      expect(JSON.stringify(cache)).not.toContain(CACHE_DRILL_TAG);
    }
  });
});

/** `appSubnet1` etc. from subnet ARNs that name a Data-stack output. */
function subnetNames(arns: Json[]): string[] {
  return arns.map((a) => outputName(a).match(/Vpc(\w+Subnet\d)Subnet/)![1]).sort();
}

/** The Data-stack output an ARN is built from. */
function outputName(arn: Json): string {
  const parts: unknown[] = arn['Fn::Join'][1];
  const output = parts.find((p): p is Json => typeof p === 'object' && p !== null && 'Fn::GetStackOutput' in p);
  return output!['Fn::GetStackOutput'].OutputName;
}
