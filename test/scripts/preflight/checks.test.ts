/**
 * Each check's findings from recorded answers: one case per kind of finding, and the quiet case.
 * No synthesis here: the needs are small hand-made facts or templates.
 */
import { BootstrapNeed, bootstrapFindings, ruleVersion } from '../../../scripts/preflight/bootstrap';
import type { Finding, Recorded } from '../../../scripts/preflight/findings';
import { hostedZoneFindings } from '../../../scripts/preflight/hosted-zone';
import { identityFindings } from '../../../scripts/preflight/identity';
import { QuotaNeed, quotaNeeds, standardVcpus } from '../../../scripts/preflight/quota-needs';
import { QuotaAnswers, quotaFindings } from '../../../scripts/preflight/quotas';
import { regionFindings } from '../../../scripts/preflight/regions';
import { RoleNeed, roleFindings, roleNeeds } from '../../../scripts/preflight/service-linked-roles';
import { StackTemplate, stackTemplate } from '../../../scripts/common/assembly';
import * as rec from './recorded';

const ok = <T>(value: T): Recorded<T> => ({ ok: value });
const failed = (error: { name: string; message: string }): Recorded<never> => ({ error });
const accessDenied = { name: 'AccessDeniedException', message: 'User is not authorized to perform this action' };
const kinds = (findings: readonly Finding[]) => findings.map((f) => f.severity);

describe('identity', () => {
  test('no credentials is an error that names how to sign in', () => {
    const result = identityFindings(
      failed({ name: 'CredentialsProviderError', message: 'Could not load credentials' }),
      undefined,
    );
    expect(result.account).toBeUndefined();
    expect(kinds(result.findings)).toEqual(['error']);
    expect(result.findings[0].fix).toMatch(/aws sso login/);
  });

  test("credentials of another account than the config's `account` is a warning", () => {
    const result = identityFindings(ok(rec.callerIdentity), '210987654321');
    expect(result.account).toBe(rec.ACCOUNT);
    expect(kinds(result.findings)).toEqual(['warning']);
    expect(result.findings[0].message).toMatch(/123456789012 .* 210987654321/);
    expect(result.findings[0].fix).toMatch(/-c account=123456789012/);
  });

  test('credentials of the configured account, or no `account` configured, find nothing', () => {
    expect(identityFindings(ok(rec.callerIdentity), rec.ACCOUNT).findings).toEqual([]);
    expect(identityFindings(ok(rec.callerIdentity), undefined).findings).toEqual([]);
  });
});

describe('regions', () => {
  test('an opt-in region not enabled is an error with the command that enables it, and is not read further', () => {
    const result = regionFindings(['us-east-1', 'af-south-1'], ok(rec.regions));
    expect(result.usable).toEqual(['us-east-1']);
    expect(result.findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        region: 'af-south-1',
        fix: expect.stringMatching(/aws account enable-region --region-name af-south-1/),
      }),
    ]);
  });

  test('a region the account does not list is an error', () => {
    const result = regionFindings(['us-east-1', 'ap-east-1'], ok(rec.regions));
    expect(result.findings).toEqual([expect.objectContaining({ severity: 'error', region: 'ap-east-1' })]);
  });

  test('regions enabled by default or opted in find nothing', () => {
    const result = regionFindings(['us-east-1', 'me-central-1'], ok(rec.regions));
    expect(result).toEqual({ usable: ['us-east-1', 'me-central-1'], findings: [] });
  });

  test('an unreadable region list is a warning, and every region is still checked', () => {
    const result = regionFindings(['us-east-1', 'af-south-1'], failed(accessDenied));
    expect(result.usable).toEqual(['us-east-1', 'af-south-1']);
    expect(kinds(result.findings)).toEqual(['warning']);
  });
});

describe('bootstrap', () => {
  const need: BootstrapNeed = { region: 'eu-west-1', version: 6, parameter: '/cdk-bootstrap/hnb659fds/version' };
  const answers = (stack: Recorded<any>, parameter: Recorded<any>) => ({ region: 'eu-west-1', stack, parameter });
  const good = ok(rec.toolkitStack('eu-west-1', 'UPDATE_COMPLETE'));

  test("the version a template's CheckBootstrapVersion rule requires is one above the versions it rejects", () => {
    const template = {
      Rules: {
        CheckBootstrapVersion: {
          Assertions: [
            { Assert: { 'Fn::Not': [{ 'Fn::Contains': [['1', '2', '3', '4', '5'], { Ref: 'BootstrapVersion' }] }] } },
          ],
        },
      },
    };
    expect(ruleVersion(template)).toBe(6);
    expect(ruleVersion({})).toBeUndefined();
  });

  test('no CDKToolkit stack is an error with the bootstrap command for the account and region', () => {
    const findings = bootstrapFindings(
      need,
      answers(failed(rec.stackDoesNotExist), failed(rec.parameterNotFound)),
      rec.ACCOUNT,
    );
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        check: 'bootstrap',
        region: 'eu-west-1',
        fix: '`npx cdk bootstrap aws://123456789012/eu-west-1`.',
      }),
    ]);
  });

  test('a toolkit stack left in ROLLBACK_COMPLETE is an error: delete it and bootstrap again', () => {
    const findings = bootstrapFindings(
      need,
      answers(ok(rec.toolkitStack('eu-west-1', 'ROLLBACK_COMPLETE')), ok(rec.bootstrapVersion('eu-west-1', '29'))),
      rec.ACCOUNT,
    );
    expect(kinds(findings)).toEqual(['error']);
    expect(findings[0].fix).toMatch(/delete-stack --region eu-west-1 --stack-name CDKToolkit.*cdk bootstrap/);
  });

  test('a toolkit stack being updated is a warning to wait', () => {
    const findings = bootstrapFindings(
      need,
      answers(ok(rec.toolkitStack('eu-west-1', 'UPDATE_IN_PROGRESS')), ok(rec.bootstrapVersion('eu-west-1', '29'))),
      rec.ACCOUNT,
    );
    expect(kinds(findings)).toEqual(['warning']);
  });

  test('a missing version parameter is an error (another qualifier, or an old CDK)', () => {
    const findings = bootstrapFindings(need, answers(good, failed(rec.parameterNotFound)), rec.ACCOUNT);
    expect(kinds(findings)).toEqual(['error']);
    expect(findings[0].message).toMatch(/\/cdk-bootstrap\/hnb659fds\/version does not exist/);
  });

  test('a bootstrap older than the assembly requires is an error', () => {
    const findings = bootstrapFindings(
      { ...need, version: 21 },
      answers(good, ok(rec.bootstrapVersion('eu-west-1', '20'))),
      rec.ACCOUNT,
    );
    expect(findings).toEqual([
      expect.objectContaining({ severity: 'error', message: expect.stringMatching(/version 20 is older than the 21/) }),
    ]);
  });

  test('a toolkit stack that cannot be read is a warning', () => {
    const findings = bootstrapFindings(
      need,
      answers(failed(accessDenied), ok(rec.bootstrapVersion('eu-west-1', '29'))),
      rec.ACCOUNT,
    );
    expect(kinds(findings)).toEqual(['warning']);
  });

  test('a complete toolkit stack at or above the required version finds nothing', () => {
    expect(bootstrapFindings(need, answers(good, ok(rec.bootstrapVersion('eu-west-1', '6'))), rec.ACCOUNT)).toEqual([]);
  });
});

describe('service-linked roles', () => {
  const stack = (stackName: string, resources: Record<string, any>): StackTemplate =>
    stackTemplate(stackName, 'us-east-1', { Resources: resources });
  const service = stack('app-Service', {
    Service: { Type: 'AWS::ECS::Service', Properties: {} },
    Scaling: { Type: 'AWS::ApplicationAutoScaling::ScalableTarget', Properties: { ServiceNamespace: 'ecs' } },
    Drill: { Type: 'AWS::FIS::ExperimentTemplate', Properties: {} },
  });
  const ecs: RoleNeed = roleNeeds([service])[0];
  const fis: RoleNeed = roleNeeds([service]).find((n) => n.roleName === 'AWSServiceRoleForFIS')!;

  test('the roles needed follow the resource types, and no role is needed twice', () => {
    expect(roleNeeds([service, service]).map((n) => n.roleName)).toEqual([
      'AWSServiceRoleForECS',
      'AWSServiceRoleForFIS',
      'AWSServiceRoleForApplicationAutoScaling_ECSService',
    ]);
    expect(ecs).toMatchObject({
      serviceName: 'ecs.amazonaws.com',
      neededBy: 'AWS::ECS::Service in app-Service',
      racesFirstUse: true,
    });
  });

  test('the app creating a role is recognised, as a resource, a conditional resource or a custom resource', () => {
    const plain = stack('app-Foundation', {
      Ecs: { Type: 'AWS::IAM::ServiceLinkedRole', Properties: { AWSServiceName: 'ecs.amazonaws.com' } },
    });
    const conditional = stack('app-Foundation', {
      Ecs: {
        Type: 'AWS::IAM::ServiceLinkedRole',
        Condition: 'NoEcsRole',
        Properties: { AWSServiceName: 'ecs.amazonaws.com' },
      },
    });
    const custom = stack('app-Foundation', {
      Ecs: {
        Type: 'Custom::AWS',
        Properties: {
          Create: JSON.stringify({
            service: 'IAM',
            action: 'createServiceLinkedRole',
            parameters: { AWSServiceName: 'ecs.amazonaws.com' },
          }),
        },
      },
    });
    expect(roleNeeds([plain, service])[0].createdBy).toEqual({ stack: 'app-Foundation', how: 'resource' });
    expect(roleNeeds([conditional, service])[0].createdBy).toEqual({
      stack: 'app-Foundation',
      how: 'conditional resource',
    });
    expect(roleNeeds([custom, service])[0].createdBy).toEqual({ stack: 'app-Foundation', how: 'custom resource' });
    const provider = stack('app-Foundation', {
      Ecs: {
        Type: 'Custom::ServiceLinkedRole',
        Properties: { ServiceToken: 'arn', AWSServiceName: 'ecs.amazonaws.com' },
      },
    });
    expect(roleNeeds([provider, service])[0].createdBy).toEqual({ stack: 'app-Foundation', how: 'custom resource' });
    // The ECS role's principal does not match the autoscaling one's.
    expect(roleNeeds([custom, service])[2].createdBy).toBeUndefined();
  });

  test('a missing ECS role the app does not create is an error: the first CreateCluster races it', () => {
    const findings = roleFindings([ecs], [{ roleName: ecs.roleName, role: failed(rec.noSuchRole(ecs.roleName)) }]);
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        fix: '`aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com` before the first deploy.',
      }),
    ]);
  });

  test('a missing role the service creates on first use is a warning', () => {
    const findings = roleFindings([fis], [{ roleName: fis.roleName, role: failed(rec.noSuchRole(fis.roleName)) }]);
    expect(kinds(findings)).toEqual(['warning']);
    expect(findings[0].fix).toMatch(/--aws-service-name fis.amazonaws.com/);
  });

  test('a missing role the app creates is a note', () => {
    const created = { ...ecs, createdBy: { stack: 'app-Foundation-us-east-1', how: 'custom resource' as const } };
    const findings = roleFindings([created], [{ roleName: ecs.roleName, role: failed(rec.noSuchRole(ecs.roleName)) }]);
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'note',
        message: expect.stringMatching(/app-Foundation-us-east-1 creates it/),
      }),
    ]);
  });

  test('an existing role the app creates with a plain AWS::IAM::ServiceLinkedRole is an error: the create fails', () => {
    const created = { ...ecs, createdBy: { stack: 'app-Foundation-us-east-1', how: 'resource' as const } };
    const findings = roleFindings(
      [created],
      [{ roleName: ecs.roleName, role: ok(rec.serviceLinkedRole(ecs.roleName, ecs.serviceName)) }],
    );
    expect(findings).toEqual([
      expect.objectContaining({ severity: 'error', message: expect.stringMatching(/has been taken/) }),
    ]);
  });

  test('an unreadable role is a warning', () => {
    expect(kinds(roleFindings([fis], [{ roleName: fis.roleName, role: failed(accessDenied) }]))).toEqual(['warning']);
  });

  test('existing roles the app leaves alone find nothing', () => {
    const answers = [ecs, fis].map((n) => ({
      roleName: n.roleName,
      role: ok(rec.serviceLinkedRole(n.roleName, n.serviceName)),
    }));
    expect(roleFindings([ecs, fis], answers)).toEqual([]);
  });
});

describe('quota needs from templates', () => {
  const data: StackTemplate = stackTemplate('app-Data-eu-west-1', 'eu-west-1', {
    Resources: {
      SubnetA: { Type: 'AWS::EC2::Subnet', Properties: { AvailabilityZone: 'eu-west-1a' } },
      SubnetB: { Type: 'AWS::EC2::Subnet', Properties: { AvailabilityZone: 'eu-west-1b' } },
      NatA: { Type: 'AWS::EC2::NatGateway', Properties: { SubnetId: { Ref: 'SubnetA' } } },
      NatA2: { Type: 'AWS::EC2::NatGateway', Properties: { SubnetId: { Ref: 'SubnetA' } } },
      NatB: { Type: 'AWS::EC2::NatGateway', Properties: { SubnetId: { Ref: 'SubnetB' } } },
      Eip1: { Type: 'AWS::EC2::EIP', Properties: {} },
      Eip2: { Type: 'AWS::EC2::EIP', Properties: {} },
      Cluster: { Type: 'AWS::RDS::DBCluster', Properties: {} },
      Writer: { Type: 'AWS::RDS::DBInstance', Properties: { DBClusterIdentifier: { Ref: 'Cluster' } } },
      Reader: { Type: 'AWS::RDS::DBInstance', Properties: { DBClusterIdentifier: { Ref: 'Cluster' } } },
      Readers: {
        Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
        Properties: {
          MaxCapacity: 5,
          ScalableDimension: 'rds:cluster:ReadReplicaCount',
          ResourceId: { 'Fn::Join': ['', ['cluster:', { Ref: 'Cluster' }]] },
        },
      },
      Nat: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 't4g.nano' } },
    },
  });
  const service: StackTemplate = stackTemplate('app-Service-eu-west-1', 'eu-west-1', {
    Resources: {
      Task: { Type: 'AWS::ECS::TaskDefinition', Properties: { Cpu: '512' } },
      Api: { Type: 'AWS::ECS::Service', Properties: { LaunchType: 'FARGATE', TaskDefinition: { Ref: 'Task' } } },
      Scaling: {
        Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
        Properties: {
          MaxCapacity: 20,
          ResourceId: { 'Fn::Join': ['', ['service/', { 'Fn::GetAtt': ['Api', 'Name'] }]] },
        },
      },
      Fixed: {
        Type: 'AWS::ECS::Service',
        Properties: { LaunchType: 'FARGATE', DesiredCount: 2, TaskDefinition: { Ref: 'Task' } },
      },
    },
  });
  const needs = quotaNeeds([data, service]);
  const need = (quota: string) => needs.find((n) => n.quota === quota);

  test('NAT gateways count per AZ of their subnet, and the busiest AZ is the need', () => {
    expect(need('natGatewaysPerAz')).toMatchObject({ count: 2, byZone: { 'eu-west-1a': 2, 'eu-west-1b': 1 } });
  });

  test('Fargate vCPUs are task CPU times the scaling maximum, or the desired count without scaling', () => {
    expect(need('fargateVcpu')?.count).toBe(0.5 * 20 + 0.5 * 2);
  });

  test('DB instances include the readers autoscaling may add', () => {
    expect(need('dbInstances')?.count).toBe(2 + (5 - 1));
    expect(need('dbClusters')?.count).toBe(1);
  });

  test('Elastic IPs and standard-instance vCPUs are counted; what the app does not create is no need', () => {
    expect(need('elasticIps')?.count).toBe(2);
    expect(need('standardVcpu')?.count).toBe(2);
    expect(need('vpcs')).toBeUndefined();
  });

  test.each([
    ['t4g.nano', 2],
    ['t3.large', 2],
    ['t3.2xlarge', 8],
    ['m7g.medium', 1],
    ['c7g.xlarge', 4],
    ['r7g.4xlarge', 16],
    ['g5.xlarge', undefined],
    ['m7g.metal', undefined],
  ])('%s counts %p standard vCPUs', (type, vcpus) => {
    expect(standardVcpus(type)).toBe(vcpus);
  });
});

describe('quotas', () => {
  const region = 'us-east-1';
  const eips: QuotaNeed = { region, quota: 'elasticIps', count: 3, counted: '3 AWS::EC2::EIP' };
  const nats: QuotaNeed = {
    region,
    quota: 'natGatewaysPerAz',
    count: 1,
    counted: '3 AWS::EC2::NatGateway',
    byZone: { 'us-east-1a': 1, 'us-east-1b': 1, 'us-east-1c': 1 },
  };
  const fargate: QuotaNeed = { region, quota: 'fargateVcpu', count: 12.5, counted: 'Fargate tasks' };
  const clusters: QuotaNeed = { region, quota: 'dbClusters', count: 2, counted: '2 AWS::RDS::DBCluster' };
  const applied = (code: string, service: string, value: number) => ({
    applied: ok(rec.serviceQuota(region, service, code, 'q', value)),
  });
  const base: QuotaAnswers = {
    region,
    quotas: {
      elasticIps: applied('L-0263D0A3', 'ec2', 5),
      natGatewaysPerAz: applied('L-FE5A380F', 'vpc', 5),
      fargateVcpu: applied('L-3032A538', 'fargate', 100),
    },
    addresses: ok(rec.addresses(0)),
    natGateways: ok(rec.natGateways([])),
    rds: ok(rec.rdsAccountAttributes({ used: 0, max: 40 }, { used: 0, max: 40 })),
  };

  test('Elastic IPs in use plus those the app allocates above the quota is an error with the increase command', () => {
    const findings = quotaFindings([eips], { ...base, addresses: ok(rec.addresses(3)) });
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        region,
        message: expect.stringMatching(/needs 3 Elastic IPs .* is 5 \(applied\), 3 in use/),
        fix: '`aws service-quotas request-service-quota-increase --region us-east-1 --service-code ec2 --quota-code L-0263D0A3 --desired-value 6`, or free 1.',
      }),
    ]);
  });

  test('NAT gateways are compared per AZ, with those in use counted in their own AZ', () => {
    const zones = ['us-east-1b', 'us-east-1b', 'us-east-1b', 'us-east-1b', 'us-east-1b', 'us-east-1c'];
    const answers = { ...base, natGateways: ok(rec.natGateways(zones)), natSubnets: ok(rec.subnets(zones)) };
    const findings = quotaFindings([nats], answers);
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        message: expect.stringMatching(/1 NAT gateways in us-east-1b .* 5 in use/),
      }),
    ]);
  });

  test('a quota never changed in the account is read from the AWS default', () => {
    const answers = {
      ...base,
      quotas: {
        fargateVcpu: {
          applied: failed(rec.noSuchQuota),
          default: ok(
            rec.defaultServiceQuota(region, 'fargate', 'L-3032A538', 'Fargate On-Demand vCPU resource count', 6),
          ),
        },
      },
    };
    const findings = quotaFindings([fargate], answers);
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        message: expect.stringMatching(/12.5 vCPUs .* is 6 \(the AWS default\) \(usage not counted\)/),
      }),
    ]);
    expect(findings[0].fix).toMatch(/--quota-code L-3032A538 --desired-value 13`\.$/);
  });

  test('RDS clusters beyond the account quota are an error with the console step', () => {
    const findings = quotaFindings([clusters], {
      ...base,
      rds: ok(rec.rdsAccountAttributes({ used: 39, max: 40 }, { used: 0, max: 40 })),
    });
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        fix: expect.stringMatching(/Amazon RDS > RDS DB clusters.*free 1/),
      }),
    ]);
  });

  test("resources CloudFormation made for the app's own stacks are not counted as in use", () => {
    // GIVEN a first deploy that stopped after the Data stack allocated its three addresses
    const answers = {
      ...base,
      addresses: ok({
        Addresses: [...rec.addresses(3, 'app-Data-us-east-1').Addresses, ...rec.addresses(1).Addresses],
      }),
    };
    // THEN only the one address of something else counts
    expect(quotaFindings([eips], answers, new Set(['app-Data-us-east-1']))).toEqual([]);
    expect(kinds(quotaFindings([eips], answers))).toEqual(['error']);
  });

  test('an unreadable quota is a warning naming the service and quota code', () => {
    const answers = {
      ...base,
      quotas: { elasticIps: { applied: failed(accessDenied), default: failed(accessDenied) } },
    };
    const findings = quotaFindings([eips], answers);
    expect(findings).toEqual([
      expect.objectContaining({ severity: 'warning', fix: expect.stringMatching(/ec2\/L-0263D0A3/) }),
    ]);
  });

  test('unreadable usage is a warning, and the need alone is still compared', () => {
    const findings = quotaFindings([eips], { ...base, addresses: failed(accessDenied) });
    expect(kinds(findings)).toEqual(['warning']);
    expect(findings[0].message).toMatch(/could not count the Elastic IPs already in use/);
  });

  test('needs that fit with what is in use find nothing', () => {
    expect(quotaFindings([eips, nats, fargate, clusters], { ...base, addresses: ok(rec.addresses(2)) })).toEqual([]);
  });
});

describe('hosted zone', () => {
  const facts = { domainName: 'example.com', hostedZoneId: rec.ZONE_ID };
  const zone = ok(rec.hostedZone('example.com'));

  test('without `hostedZoneId` the run warns that certificates wait on delegating the zone the deploy creates', () => {
    const findings = hostedZoneFindings({ domainName: 'example.com' }, undefined);
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        check: 'dns',
        fix: expect.stringMatching(/hostedZoneId=Z.*README's two-step first deploy/),
      }),
    ]);
  });

  test('a zone the parent delegates to finds nothing, whatever the case and trailing dots', () => {
    const answered = rec.ZONE_NAME_SERVERS.map((ns) => `${ns.toUpperCase()}.`);
    expect(hostedZoneFindings(facts, { zone, delegation: ok(answered) })).toEqual([]);
  });

  test('a domain without NS records is an error listing the name servers to set', () => {
    const findings = hostedZoneFindings(facts, { zone, delegation: failed(rec.dnsNoData) });
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        fix: expect.stringContaining(rec.ZONE_NAME_SERVERS.slice().sort().join(', ')),
      }),
    ]);
  });

  test('a domain delegated to other name servers is an error', () => {
    const findings = hostedZoneFindings(facts, {
      zone,
      delegation: ok(['ns1.registrar-parking.example', 'ns2.registrar-parking.example']),
    });
    expect(kinds(findings)).toEqual(['error']);
    expect(findings[0].message).toMatch(/delegated to ns1.registrar-parking.example/);
  });

  test("a domain delegated to only some of the zone's name servers is a warning", () => {
    const findings = hostedZoneFindings(facts, { zone, delegation: ok(rec.ZONE_NAME_SERVERS.slice(0, 2)) });
    expect(kinds(findings)).toEqual(['warning']);
  });

  test('a private zone, a zone of another domain and an unreadable zone are errors', () => {
    const delegation = ok(rec.ZONE_NAME_SERVERS);
    expect(hostedZoneFindings(facts, { zone: ok(rec.hostedZone('example.com', true)), delegation })[0].message).toMatch(
      /is private/,
    );
    expect(hostedZoneFindings(facts, { zone: ok(rec.hostedZone('example.org')), delegation })[0].message).toMatch(
      /is for example.org/,
    );
    const missing = failed({ name: 'NoSuchHostedZone', message: `No hosted zone found with ID: ${rec.ZONE_ID}` });
    expect(kinds(hostedZoneFindings(facts, { zone: missing, delegation }))).toEqual(['error']);
  });
});
