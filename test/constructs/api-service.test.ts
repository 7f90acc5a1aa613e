import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { PropError } from '../../lib/constructs/validation';
import { ApiServiceProps } from '../../lib/constructs/api-service';
import { Built, CERTIFICATE_ARN, HEADER_VALUE, build } from './api-service.fixture';

const idOf = (built: Built, construct: { node: { defaultChild?: unknown } }) =>
  built.stack.getLogicalId(construct.node.defaultChild as never);
const groupId = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'GroupId'] });

describe('ApiService with defaults', () => {
  let built: Built;
  let albGroup: string;
  let taskGroup: string;
  let targetGroup: string;
  beforeAll(() => {
    built = build({}, { nag: true });
    albGroup = idOf(built, built.api.loadBalancerSecurityGroup);
    taskGroup = idOf(built, built.api.taskSecurityGroup);
    targetGroup = idOf(built, built.api.targetGroup);
  });

  test('an internet-facing ALB in the public subnets drops invalid headers and is protected from deletion', () => {
    const props = built.template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer');
    const [alb] = Object.values(props).map((resource) => resource.Properties);
    expect(alb).toMatchObject({ Scheme: 'internet-facing', Type: 'application' });
    expect(alb.Subnets).toHaveLength(3);
    for (const subnet of alb.Subnets) expect(subnet.Ref).toMatch(/^NetworkVpcpublicSubnet/);
    expect(alb.LoadBalancerAttributes).toEqual(
      expect.arrayContaining([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: { Ref: idOf(built, built.api.accessLogBucket) } },
      ]),
    );
  });

  test('HTTPS on 443 with the certificate and a TLS 1.2+ policy answers 403 by default', () => {
    built.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '403' }) }],
    });
  });

  test('forwards to the tasks only when the origin-verify header carries the secret value', () => {
    built.template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 1);
    built.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: { Ref: idOf(built, built.api.httpsListener) },
      Priority: 1,
      Conditions: [
        { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Origin-Verify', Values: [HEADER_VALUE] } },
      ],
      Actions: [{ Type: 'forward', TargetGroupArn: { Ref: targetGroup } }],
    });
  });

  test('HTTP on 80 only redirects to HTTPS; there is no other listener', () => {
    built.template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
    built.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
      ],
    });
  });

  test('access logs go to a versioned, SSE-S3, private, TLS-only bucket that expires them after 90 days', () => {
    const bucket = idOf(built, built.api.accessLogBucket);
    built.template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })] },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('the ALB admits 443 and 80 from anywhere, and reaches only the tasks on the container port', () => {
    built.template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('load balancer'),
      SecurityGroupIngress: [
        Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
        Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 80, ToPort: 80 }),
      ],
    });
    const egress = Object.values(built.template.findResources('AWS::EC2::SecurityGroupEgress'));
    expect(egress.map((rule) => rule.Properties)).toEqual([
      expect.objectContaining({
        GroupId: groupId(albGroup),
        DestinationSecurityGroupId: groupId(taskGroup),
        IpProtocol: 'tcp',
        FromPort: 8080,
        ToPort: 8080,
      }),
    ]);
  });

  test('the tasks admit only the container port, only from the ALB; extra groups get no rule', () => {
    const ingress = Object.values(built.template.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress.map((rule) => rule.Properties)).toEqual([
      expect.objectContaining({
        GroupId: groupId(taskGroup),
        SourceSecurityGroupId: groupId(albGroup),
        IpProtocol: 'tcp',
        FromPort: 8080,
        ToPort: 8080,
      }),
    ]);
    const tasks = built.template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('^api tasks') },
    });
    expect(Object.values(tasks)[0].Properties).not.toHaveProperty('SecurityGroupIngress');
  });

  test('the service runs in the app subnets without public IPs, in its own and the extra groups', () => {
    const [service] = Object.values(built.template.findResources('AWS::ECS::Service')).map((r) => r.Properties);
    const network = service.NetworkConfiguration.AwsvpcConfiguration;
    expect(network.AssignPublicIp).toBe('DISABLED');
    expect(network.SecurityGroups).toEqual([groupId(taskGroup), groupId(built.clientGroupId)]);
    expect(network.Subnets).toHaveLength(3);
    for (const subnet of network.Subnets) expect(subnet.Ref).toMatch(/^NetworkVpcappSubnet/);
    expect(service).toMatchObject({
      LaunchType: 'FARGATE',
      EnableExecuteCommand: false,
      PropagateTags: 'SERVICE',
      HealthCheckGracePeriodSeconds: 30,
      LoadBalancers: [{ ContainerName: 'app', ContainerPort: 8080, TargetGroupArn: { Ref: targetGroup } }],
    });
    expect(service).not.toHaveProperty('DesiredCount');
  });

  test('deploys at full capacity and rolls back on the circuit breaker or either deployment alarm', () => {
    const { target5xx, unhealthyHosts } = built.api.deploymentAlarms;
    built.template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: {
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        Alarms: {
          Enable: true,
          Rollback: true,
          AlarmNames: [{ Ref: idOf(built, target5xx) }, { Ref: idOf(built, unhealthyHosts) }],
        },
      },
    });
  });

  test('the deployment alarms watch target 5xx and unhealthy targets of this target group', () => {
    const dimension = { Name: 'TargetGroup', Value: { 'Fn::GetAtt': [targetGroup, 'TargetGroupFullName'] } };
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'HTTPCode_Target_5XX_Count',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 10,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: Match.arrayWith([dimension]),
      TreatMissingData: 'notBreaching',
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'UnHealthyHostCount',
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Dimensions: Match.arrayWith([dimension]),
    });
  });

  test('the target group checks /healthz every 10 s and drains for 20 s', () => {
    built.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      Protocol: 'HTTP',
      TargetType: 'ip',
      HealthCheckPath: '/healthz',
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      Matcher: { HttpCode: '200' },
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '20' }]),
    });
  });

  test('scales from 2 to 10 tasks on CPU, memory and requests per target', () => {
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    for (const [type, value] of [
      ['ECSServiceAverageCPUUtilization', 60],
      ['ECSServiceAverageMemoryUtilization', 75],
      ['ALBRequestCountPerTarget', 1000],
    ] as const) {
      built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: type }),
          TargetValue: value,
        }),
      });
    }
  });

  test('grants no IAM action on every resource, and the task role nothing at all', () => {
    const statements = Object.values(built.template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );
    for (const statement of statements) expect(statement.Resource).not.toEqual('*');
    const taskRole = idOf(built, built.api.service.taskDefinition.taskRole);
    expect(built.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: taskRole }] } })).toEqual(
      {},
    );
  });

  test('offers target 5xx, healthy hosts, response time and request metrics of the target group', () => {
    const { api, stack } = built;
    const cases = [
      [api.metricTarget5xxCount(), 'HTTPCode_Target_5XX_Count', 'Sum'],
      [api.metricHealthyHostCount(), 'HealthyHostCount', 'Minimum'],
      [api.metricTargetResponseTime(), 'TargetResponseTime', 'p99'],
      [api.metricTargetResponseTime(50), 'TargetResponseTime', 'p50'],
      [api.metricRequestCount(), 'RequestCount', 'Sum'],
    ] as const;
    for (const [metric, metricName, statistic] of cases) {
      expect(metric).toMatchObject({ namespace: 'AWS/ApplicationELB', metricName, statistic });
      expect(stack.resolve(metric.dimensions)).toMatchObject({
        TargetGroup: { 'Fn::GetAtt': [targetGroup, 'TargetGroupFullName'] },
      });
    }
    expect(api.metricRequestCount({ period: Duration.minutes(5) }).period.toMinutes()).toBe(5);
  });

  test('passes cdk-nag AwsSolutions and the template lint', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });
});

describe('ApiService options', () => {
  let built: Built;
  beforeAll(() => {
    built = build(
      {
        minTasks: 1,
        maxTasks: 4,
        scaling: { cpuPercent: 50, memoryPercent: 80, requestsPerTarget: 300 },
        healthCheck: {
          path: '/readyz',
          interval: Duration.seconds(30),
          timeout: Duration.seconds(10),
          healthyThresholdCount: 3,
          unhealthyThresholdCount: 5,
        },
        deregistrationDelay: Duration.seconds(5),
        healthCheckGracePeriod: Duration.seconds(90),
        accessLogs: { removalPolicy: RemovalPolicy.DESTROY, expiration: Duration.days(7) },
        deletionProtection: false,
        deploymentAlarms: { target5xxPerMinute: 50 },
        publicHealthCheckPath: '/readyz',
      },
      { nag: true },
    );
  });

  test('lets DNS health checkers GET the readiness path without the origin header, nothing else', () => {
    built.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 2,
      Conditions: Match.arrayWith([
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/readyz'] } },
        { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET'] } },
      ]),
    });
    built.template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 2);
  });

  test('takes health check, drain, grace period and scaling from props', () => {
    built.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/readyz',
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 10,
      HealthyThresholdCount: 3,
      UnhealthyThresholdCount: 5,
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '5' }]),
    });
    built.template.hasResourceProperties('AWS::ECS::Service', { HealthCheckGracePeriodSeconds: 90 });
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 4,
    });
    for (const value of [50, 80, 300]) {
      built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: value }),
      });
    }
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'HTTPCode_Target_5XX_Count',
      Threshold: 50,
    });
  });

  test('dev: no deletion protection, and the log bucket is emptied and deleted with the stack', () => {
    built.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'false' }]),
    });
    built.template.hasResource('AWS::S3::Bucket', {
      Properties: { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7 })] } },
      DeletionPolicy: 'Delete',
    });
    built.template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  });

  test('passes cdk-nag AwsSolutions and the template lint', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });
});

describe('ApiService validation', () => {
  const INTEGER_1_TO_1000 = 'is not allowed \\(allowed: an integer from 1 to 1000\\)$';
  const PERCENT = 'is not allowed \\(allowed: an integer from 10 to 90\\)$';
  const THRESHOLD = 'is not allowed \\(allowed: an integer from 2 to 10\\)$';
  const AT_LEAST_1 = 'is not allowed \\(allowed: an integer >= 1\\)$';
  const seconds = (from: number, to: number) =>
    `is out of range \\(allowed: a whole number of seconds from ${from} to ${to}\\)$`;

  test.each<[string, Partial<ApiServiceProps>, string]>([
    ['minTasks 0', { minTasks: 0 }, `^Test/Api: minTasks = 0 ${INTEGER_1_TO_1000}`],
    ['minTasks 1001', { minTasks: 1001 }, `^Test/Api: minTasks = 1001 ${INTEGER_1_TO_1000}`],
    ['minTasks 1.5', { minTasks: 1.5 }, `^Test/Api: minTasks = 1.5 ${INTEGER_1_TO_1000}`],
    ['maxTasks 0', { maxTasks: 0 }, `^Test/Api: maxTasks = 0 ${INTEGER_1_TO_1000}`],
    [
      'minTasks above maxTasks',
      { minTasks: 5, maxTasks: 4 },
      '^Test/Api: minTasks = 5 is greater than maxTasks \\(allowed: at most maxTasks = 4\\)$',
    ],
    ['cpuPercent 9', { scaling: { cpuPercent: 9 } }, `^Test/Api: scaling\\.cpuPercent = 9 ${PERCENT}`],
    ['cpuPercent 91', { scaling: { cpuPercent: 91 } }, `^Test/Api: scaling\\.cpuPercent = 91 ${PERCENT}`],
    ['memoryPercent 5', { scaling: { memoryPercent: 5 } }, `^Test/Api: scaling\\.memoryPercent = 5 ${PERCENT}`],
    ['memoryPercent 95', { scaling: { memoryPercent: 95 } }, `^Test/Api: scaling\\.memoryPercent = 95 ${PERCENT}`],
    [
      'requestsPerTarget 0',
      { scaling: { requestsPerTarget: 0 } },
      `^Test/Api: scaling\\.requestsPerTarget = 0 ${AT_LEAST_1}`,
    ],
    [
      'requestsPerTarget 2.5',
      { scaling: { requestsPerTarget: 2.5 } },
      `^Test/Api: scaling\\.requestsPerTarget = 2.5 ${AT_LEAST_1}`,
    ],
    [
      'healthyThresholdCount 1',
      { healthCheck: { healthyThresholdCount: 1 } },
      `^Test/Api: healthCheck\\.healthyThresholdCount = 1 ${THRESHOLD}`,
    ],
    [
      'healthyThresholdCount 11',
      { healthCheck: { healthyThresholdCount: 11 } },
      `^Test/Api: healthCheck\\.healthyThresholdCount = 11 ${THRESHOLD}`,
    ],
    [
      'unhealthyThresholdCount 1',
      { healthCheck: { unhealthyThresholdCount: 1 } },
      `^Test/Api: healthCheck\\.unhealthyThresholdCount = 1 ${THRESHOLD}`,
    ],
    [
      'unhealthyThresholdCount 11',
      { healthCheck: { unhealthyThresholdCount: 11 } },
      `^Test/Api: healthCheck\\.unhealthyThresholdCount = 11 ${THRESHOLD}`,
    ],
    [
      'an interval of 4 s',
      { healthCheck: { interval: Duration.seconds(4) } },
      `^Test/Api: healthCheck\\.interval = "4 seconds" ${seconds(5, 300)}`,
    ],
    [
      'an interval of 301 s',
      { healthCheck: { interval: Duration.seconds(301) } },
      `^Test/Api: healthCheck\\.interval = "5 minutes 1 second" ${seconds(5, 300)}`,
    ],
    [
      'a timeout of 1 s',
      { healthCheck: { timeout: Duration.seconds(1) } },
      `^Test/Api: healthCheck\\.timeout = "1 second" ${seconds(2, 120)}`,
    ],
    [
      'a timeout as long as the interval',
      { healthCheck: { interval: Duration.seconds(10), timeout: Duration.seconds(10) } },
      '^Test/Api: healthCheck\\.timeout = "10 seconds" is not shorter than healthCheck\\.interval \\(allowed: less than healthCheck\\.interval \\(10 seconds\\)',
    ],
    [
      'a health-check path without a leading slash',
      { healthCheck: { path: 'healthz' } },
      '^Test/Api: healthCheck\\.path = "healthz" is not allowed \\(allowed: a path that starts with / and has no spaces\\)$',
    ],
    [
      'a deregistration delay as long as the stop timeout',
      { deregistrationDelay: Duration.seconds(30) },
      '^Test/Api: deregistrationDelay = "30 seconds" is not shorter than the task stop timeout \\(allowed: less than the task stop timeout \\(30 seconds\\), so a draining task finishes its requests before SIGKILL\\)$',
    ],
    [
      'a deregistration delay of 2 hours',
      { deregistrationDelay: Duration.hours(2) },
      `^Test/Api: deregistrationDelay = "2 hours" ${seconds(0, 3600)}`,
    ],
    [
      'a grace period of half a second',
      { healthCheckGracePeriod: Duration.millis(500) },
      `^Test/Api: healthCheckGracePeriod = "500 millis" ${seconds(0, 7200)}`,
    ],
    [
      'a 5xx alarm threshold of 0',
      { deploymentAlarms: { target5xxPerMinute: 0 } },
      `^Test/Api: deploymentAlarms\\.target5xxPerMinute = 0 ${AT_LEAST_1}`,
    ],
    [
      'an access-log expiration of 12 hours',
      { accessLogs: { expiration: Duration.hours(12) } },
      '^Test/Api: accessLogs\\.expiration = "12 hours" is not allowed \\(allowed: a whole number of days >= 1\\)$',
    ],
    ...['X Origin', 'x'.repeat(41), ''].map((headerName): [string, Partial<ApiServiceProps>, string] => [
      `origin header name ${JSON.stringify(headerName)}`,
      { originVerify: { headerName, headerValue: HEADER_VALUE } },
      '^Test/Api: originVerify\\.headerName = ".*" is not allowed \\(allowed: an HTTP header name of 1 to 40',
    ]),
  ])('rejects %s', (_, props, message) => {
    expect(() => build(props)).toThrow(PropError);
    expect(() => build(props)).toThrow(new RegExp(message));
  });

  test('rejects a task without a container port', () => {
    expect(() => build({}, { task: { containerPort: undefined } })).toThrow(
      /^Test\/Api: task\.containerPort = \(missing\) is not allowed \(allowed: the port the api container listens on\)$/,
    );
  });

  test('accepts a longer deregistration delay when the task stops later', () => {
    const { template } = build(
      { deregistrationDelay: Duration.seconds(30) },
      { task: { stopTimeout: Duration.seconds(45) } },
    );
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
    });
  });
});
