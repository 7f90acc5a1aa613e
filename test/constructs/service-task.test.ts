import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PropError } from '../../lib/constructs/validation';
import { DataKey } from '../../lib/constructs/data-key';
import { ServiceTask, ServiceTaskProps } from '../../lib/constructs/service-task';
import { FEATURE_FLAGS } from '../helpers';

const IMAGE = 'public.ecr.aws/docker/library/node:20-slim';

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly task: ServiceTask;
  readonly template: Template;
}

function build(props: Partial<ServiceTaskProps> = {}, options: { nag?: boolean; secret?: boolean } = {}): Built {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1' } });
  const key = new DataKey(stack, 'DataKey', { alias: 'alias/app/data' });
  let secrets: Record<string, ecs.Secret> | undefined;
  if (options.secret) {
    const secret = new secretsmanager.Secret(stack, 'SessionSecret', { encryptionKey: key.key });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Test fixture: a secret to inject, not a deployed one.',
    });
    secrets = { SESSION_SECRET: ecs.Secret.fromSecretsManager(secret) };
  }
  const task = new ServiceTask(stack, 'Api', {
    image: ecs.ContainerImage.fromRegistry(IMAGE),
    cpu: 512,
    memoryMiB: 1024,
    architecture: 'arm64',
    logKey: key.key,
    secrets,
    ...props,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, task, template: Template.fromStack(stack) };
}

function containerOf(template: Template): Record<string, unknown> {
  const definitions = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  expect(definitions).toHaveLength(1);
  return definitions[0].Properties.ContainerDefinitions[0];
}

describe('ServiceTask for the api', () => {
  let built: Built;
  beforeAll(() => {
    built = build(
      {
        containerPort: 8080,
        command: ['node', '--enable-source-maps', 'dist/api.js'],
        environment: { SERVICE_NAME: 'api', SHUTDOWN_TIMEOUT_MS: '25000' },
      },
      { nag: true, secret: true },
    );
  });

  test('sizes the task and runs it on Linux arm64', () => {
    built.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '512',
      Memory: '1024',
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
  });

  test('hardens the container: read-only root, non-root user, unprivileged, init process', () => {
    expect(containerOf(built.template)).toMatchObject({
      ReadonlyRootFilesystem: true,
      User: '1000',
      Privileged: false,
      LinuxParameters: { InitProcessEnabled: true },
      Essential: true,
    });
  });

  test('mounts an ephemeral volume at /tmp as the only writable path', () => {
    const container = containerOf(built.template);
    expect(container.MountPoints).toEqual([{ ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'scratch' }]);
    built.template.hasResourceProperties('AWS::ECS::TaskDefinition', { Volumes: [{ Name: 'scratch' }] });
  });

  test('runs the given command, exposes the container port and stops within 30 seconds', () => {
    expect(containerOf(built.template)).toMatchObject({
      Name: 'app',
      Image: IMAGE,
      Command: ['node', '--enable-source-maps', 'dist/api.js'],
      PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp', Name: 'http' }],
      StopTimeout: 30,
    });
    expect(built.task.containerPort).toBe(8080);
    expect(built.task.stopTimeout.toSeconds()).toBe(30);
  });

  test('renders secrets as Secrets, never as environment variables', () => {
    const container = containerOf(built.template);
    expect(container.Secrets).toEqual([
      { Name: 'SESSION_SECRET', ValueFrom: { Ref: expect.stringMatching(/^SessionSecret/) } },
    ]);
    expect(container.Environment).toEqual([
      { Name: 'SERVICE_NAME', Value: 'api' },
      { Name: 'SHUTDOWN_TIMEOUT_MS', Value: '25000' },
    ]);
  });

  test('logs to a KMS-encrypted log group kept 90 days and retained', () => {
    built.template.hasResource('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] }, RetentionInDays: 90 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(containerOf(built.template)).toMatchObject({
      LogConfiguration: {
        LogDriver: 'awslogs',
        Options: { 'awslogs-group': { Ref: built.stack.getLogicalId(built.task.logGroup.node.defaultChild as never) } },
      },
    });
  });

  test('the task role starts with no permissions', () => {
    const taskRoleId = built.stack.getLogicalId(built.task.taskRole.node.defaultChild as never);
    const policies = built.template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: taskRoleId }]) },
    });
    expect(policies).toEqual({});
    built.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } })],
      },
    });
  });

  test('the execution role may write its logs and read its secret, on those resources only', () => {
    const statements = Object.values(built.template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );
    const sorted = statements.map((statement) => ({ ...statement, Action: [statement.Action].flat().sort() }));
    expect(sorted).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [built.stack.getLogicalId(built.task.logGroup.node.defaultChild as never), 'Arn'] },
      },
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Effect: 'Allow',
        Resource: { Ref: expect.stringMatching(/^SessionSecret/) },
      },
    ]);
  });

  test('passes cdk-nag AwsSolutions and the template lint', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });
});

describe('ServiceTask options', () => {
  test('a worker on x86_64 with no port, no variables and a longer stop timeout', () => {
    const { template } = build({ architecture: 'x86_64', stopTimeout: Duration.seconds(90), cpu: 256, memoryMiB: 512 });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '256',
      Memory: '512',
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
    const container = containerOf(template);
    expect(container).toMatchObject({ StopTimeout: 90 });
    expect(container).not.toHaveProperty('PortMappings');
    expect(container).not.toHaveProperty('Environment');
    expect(container).not.toHaveProperty('Command');
  });

  test('the log group can be short-lived and removed with the stack (dev)', () => {
    const { template } = build({ logRetention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
  });

  test('names the container and its log stream prefix', () => {
    const container = containerOf(build({ containerName: 'worker' }).template);
    expect(container).toMatchObject({
      Name: 'worker',
      LogConfiguration: { Options: { 'awslogs-stream-prefix': 'worker' } },
    });
  });
});

describe('ServiceTask validation', () => {
  test('rejects a CPU size Fargate does not offer', () => {
    expect(() => build({ cpu: 300 })).toThrow(PropError);
    expect(() => build({ cpu: 300 })).toThrow(
      /^Test\/Api: cpu = 300 is not a Fargate CPU size \(allowed: 256, 512, 1024, 2048, 4096, 8192 or 16384\)$/,
    );
  });

  test('rejects a memory size Fargate does not pair with the CPU', () => {
    expect(() => build({ cpu: 256, memoryMiB: 4096 })).toThrow(
      /^Test\/Api: memoryMiB = 4096 is not a Fargate memory size for this cpu \(allowed: with cpu 256: 512, 1024, 2048\)$/,
    );
  });

  test.each([0, 70000, 80.5])('rejects container port %p', (containerPort) => {
    expect(() => build({ containerPort })).toThrow(
      /^Test\/Api: containerPort = [\d.]+ is not allowed \(allowed: an integer from 1 to 65535\)$/,
    );
  });

  test.each([
    ['0 seconds', Duration.seconds(0)],
    ['2 minutes 1 second', Duration.seconds(121)],
    ['1 second 500 millis', Duration.millis(1500)],
  ])('rejects a stop timeout of %s', (shown, stopTimeout) => {
    expect(() => build({ stopTimeout })).toThrow(
      new RegExp(
        `^Test/Api: stopTimeout = "${shown}" is out of range \\(allowed: a whole number of seconds from 1 to 120\\)$`,
      ),
    );
  });

  test('rejects a stop timeout that does not outlast the app drain time', () => {
    expect(() => build({ stopTimeout: Duration.seconds(25), environment: { SHUTDOWN_TIMEOUT_MS: '25000' } })).toThrow(
      /^Test\/Api: stopTimeout = "25 seconds" is not longer than the drain time \(allowed: more than SHUTDOWN_TIMEOUT_MS = 25000 ms/,
    );
  });

  test('rejects a variable given both as plain environment and as a secret', () => {
    expect(() => build({ environment: { SESSION_SECRET: 'oops' } }, { secret: true })).toThrow(
      /^Test\/Api: environment\.SESSION_SECRET = "oops" is also a secret \(allowed: a variable in either environment or secrets\)$/,
    );
  });
});
