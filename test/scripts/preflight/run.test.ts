/**
 * `runPreflight` end to end against a recorded account: every read the checks make is answered
 * by `FakeAws` (an unrecorded read fails the test), then rendered and turned into the exit code.
 */
import type { AppFacts } from '../../../scripts/preflight/app-facts';
import { exitCodeOf, renderFindings, renderSummary } from '../../../scripts/preflight/findings';
import { QUOTAS } from '../../../scripts/preflight/quotas';
import { runPreflight } from '../../../scripts/preflight/run';
import * as rec from './recorded';

const PARAMETER = '/cdk-bootstrap/hnb659fds/version';

/** An app in us-east-1 (primary and edge) and eu-west-1 with an existing hosted zone. */
const facts: AppFacts = {
  stacks: ['app-Data-us-east-1', 'app-Service-us-east-1', 'app-Data-eu-west-1', 'app-Service-eu-west-1', 'app-Edge'],
  regions: ['us-east-1', 'eu-west-1'],
  bootstrap: [
    { region: 'us-east-1', version: 6, parameter: PARAMETER },
    { region: 'eu-west-1', version: 6, parameter: PARAMETER },
  ],
  roles: [
    {
      roleName: 'AWSServiceRoleForECS',
      serviceName: 'ecs.amazonaws.com',
      racesFirstUse: true,
      neededBy: 'AWS::ECS::Service in app-Service-us-east-1',
    },
    {
      roleName: 'AWSServiceRoleForRDS',
      serviceName: 'rds.amazonaws.com',
      racesFirstUse: false,
      neededBy: 'AWS::RDS::DBCluster in app-Data-us-east-1',
    },
  ],
  quotas: ['us-east-1', 'eu-west-1'].flatMap((region) => [
    { region, quota: 'vpcs' as const, count: 1, counted: '1 AWS::EC2::VPC' },
    { region, quota: 'elasticIps' as const, count: 3, counted: '3 AWS::EC2::EIP' },
    { region, quota: 'dbClusters' as const, count: 2, counted: '2 AWS::RDS::DBCluster' },
  ]),
  zone: { domainName: 'example.com', hostedZoneId: rec.ZONE_ID },
};

/** The account ready for the app: bootstrapped, roles there, quotas free, zone delegated. */
function readyAccount(): rec.FakeAws {
  const aws = new rec.FakeAws()
    .answer('callerIdentity', { ok: rec.callerIdentity })
    .answer('describeRegions', { ok: rec.regions })
    .answer('getRole AWSServiceRoleForECS', { ok: rec.serviceLinkedRole('AWSServiceRoleForECS', 'ecs.amazonaws.com') })
    .answer('getRole AWSServiceRoleForRDS', { ok: rec.serviceLinkedRole('AWSServiceRoleForRDS', 'rds.amazonaws.com') })
    .answer(`getHostedZone ${rec.ZONE_ID}`, { ok: rec.hostedZone('example.com') })
    .answer('resolveNameServers example.com', { ok: rec.ZONE_NAME_SERVERS });
  for (const region of facts.regions) {
    aws
      .answer(`describeStack ${region} CDKToolkit`, { ok: rec.toolkitStack(region, 'CREATE_COMPLETE') })
      .answer(`getParameter ${region} ${PARAMETER}`, { ok: rec.bootstrapVersion(region, '29') })
      .answer(`getServiceQuota ${region} vpc L-F678F1CE`, {
        ok: rec.serviceQuota(region, 'vpc', 'L-F678F1CE', QUOTAS.vpcs.name, 5),
      })
      .answer(`getServiceQuota ${region} ec2 L-0263D0A3`, {
        ok: rec.serviceQuota(region, 'ec2', 'L-0263D0A3', QUOTAS.elasticIps.name, 5),
      })
      .answer(`describeVpcs ${region}`, { ok: rec.defaultVpc(region) })
      .answer(`describeAddresses ${region}`, { ok: rec.addresses(0) })
      .answer(`rdsAccountAttributes ${region}`, {
        ok: rec.rdsAccountAttributes({ used: 0, max: 40 }, { used: 0, max: 40 }),
      });
  }
  return aws;
}

test('an account ready for the app finds nothing and exits 0', async () => {
  // GIVEN
  const aws = readyAccount();
  // WHEN
  const result = await runPreflight(aws, facts);
  // THEN
  expect(result).toEqual({ account: rec.ACCOUNT, findings: [] });
  expect(exitCodeOf(result.findings)).toBe(0);
  expect(renderSummary(result.findings, rec.ACCOUNT, facts.regions)).toBe(
    'preflight: 0 error(s), 0 warning(s), 0 note(s) for account 123456789012 in us-east-1, eu-west-1: ready for the first deploy',
  );
});

test('a fresh account prints one line per problem with its fix, errors first, and exits 1', async () => {
  // GIVEN eu-west-1 never bootstrapped, no ECS or RDS role yet, four Elastic IPs taken in
  // us-east-1, and the domain still at the registrar's name servers
  const aws = readyAccount()
    .answer('describeStack eu-west-1 CDKToolkit', { error: rec.stackDoesNotExist })
    .answer(`getParameter eu-west-1 ${PARAMETER}`, { error: rec.parameterNotFound })
    .answer('getRole AWSServiceRoleForECS', { error: rec.noSuchRole('AWSServiceRoleForECS') })
    .answer('getRole AWSServiceRoleForRDS', { error: rec.noSuchRole('AWSServiceRoleForRDS') })
    .answer('describeAddresses us-east-1', { ok: rec.addresses(4) })
    .answer('resolveNameServers example.com', { ok: ['ns1.registrar.example', 'ns2.registrar.example'] });
  // WHEN
  const result = await runPreflight(aws, facts);
  const lines = renderFindings(result.findings);
  // THEN
  expect(result.findings.map((f) => [f.severity, f.check, f.region])).toEqual([
    ['error', 'bootstrap', 'eu-west-1'],
    ['error', 'roles', undefined],
    ['warning', 'roles', undefined],
    ['error', 'quotas', 'us-east-1'],
    ['error', 'dns', undefined],
  ]);
  expect(lines).toHaveLength(5);
  expect(lines.slice(0, 4).every((line) => line.startsWith('ERROR '))).toBe(true);
  expect(lines[4]).toMatch(/^WARNING \[roles\] AWSServiceRoleForRDS .* Fix: /);
  expect(lines[0]).toBe(
    'ERROR   [bootstrap] eu-west-1: the account is not bootstrapped (no CDKToolkit stack). Fix: `npx cdk bootstrap aws://123456789012/eu-west-1`.',
  );
  expect(exitCodeOf(result.findings)).toBe(1);
});

test('warnings and notes alone exit 0', () => {
  const warning = { severity: 'warning' as const, check: 'dns', message: 'm', fix: 'f' };
  const note = { severity: 'note' as const, check: 'roles', message: 'm', fix: 'f' };
  expect(exitCodeOf([warning, note])).toBe(0);
});

test('without credentials only the identity error is reported and nothing else is read', async () => {
  // GIVEN
  const aws = new rec.FakeAws().answer('callerIdentity', {
    error: { name: 'CredentialsProviderError', message: 'Could not load credentials from any providers' },
  });
  // WHEN
  const result = await runPreflight(aws, facts);
  // THEN
  expect(result.findings.map((f) => f.check)).toEqual(['identity']);
  expect(aws.calls).toEqual(['callerIdentity']);
});

test('a region not enabled is reported once and its bootstrap and quotas are not read', async () => {
  // GIVEN the app also deploys to af-south-1, which the account has not opted in to
  const withCapeTown: AppFacts = {
    ...facts,
    regions: [...facts.regions, 'af-south-1'],
    bootstrap: [...facts.bootstrap, { region: 'af-south-1', version: 6, parameter: PARAMETER }],
    quotas: [...facts.quotas, { region: 'af-south-1', quota: 'vpcs', count: 1, counted: '1 AWS::EC2::VPC' }],
  };
  const aws = readyAccount();
  // WHEN
  const result = await runPreflight(aws, withCapeTown);
  // THEN
  expect(result.findings).toEqual([
    expect.objectContaining({ severity: 'error', check: 'regions', region: 'af-south-1' }),
  ]);
  expect(aws.calls.filter((call) => call.includes('af-south-1'))).toEqual([]);
});
