/**
 * `npm run preflight` as a user runs it: `-c` overrides, the app synthesized from cdk.json, every
 * read the real app needs answered by a recorded account, the printed lines and the exit code.
 */
import { parseArgs, preflight } from '../../scripts/preflight';
import { QUOTAS } from '../../scripts/preflight/quotas';
import { SERVICE_LINKED_ROLES } from '../../scripts/preflight/service-linked-roles';
import * as rec from './preflight/recorded';

describe('arguments', () => {
  test('-c and --context pairs become context overrides, values may contain =', () => {
    expect(parseArgs(['-c', 'profile=dev', '--context=account=123456789012', '-c', 'tags={"a":"b=c"}'])).toEqual({
      profile: 'dev',
      account: '123456789012',
      tags: '{"a":"b=c"}',
    });
  });

  test('anything else is refused with what is allowed', () => {
    expect(() => parseArgs(['--write'])).toThrow(
      /^unknown option --write \(usage: npm run preflight -- \[-c key=value/,
    );
    expect(() => parseArgs(['-c', 'profile'])).toThrow(/-c profile: expected key=value/);
  });
});

/** An account ready for the dev profile in us-east-1. */
function readyForDev(): rec.FakeAws {
  const region = 'us-east-1';
  const aws = new rec.FakeAws()
    .answer('callerIdentity', { ok: rec.callerIdentity })
    .answer('describeRegions', { ok: rec.regions })
    .answer(`describeStack ${region} CDKToolkit`, { ok: rec.toolkitStack(region, 'UPDATE_COMPLETE') })
    .answer(`getParameter ${region} /cdk-bootstrap/hnb659fds/version`, { ok: rec.bootstrapVersion(region, '29') })
    .answer(`describeVpcs ${region}`, { ok: rec.defaultVpc(region) })
    .answer(`describeInternetGateways ${region}`, { ok: rec.defaultInternetGateway() })
    .answer(`rdsAccountAttributes ${region}`, {
      ok: rec.rdsAccountAttributes({ used: 0, max: 40 }, { used: 0, max: 40 }),
    });
  for (const role of SERVICE_LINKED_ROLES) {
    aws.answer(`getRole ${role.roleName}`, { ok: rec.serviceLinkedRole(role.roleName, role.serviceName) });
  }
  for (const quota of Object.values(QUOTAS)) {
    if (quota.kind !== 'service-quotas') continue;
    aws.answer(`getServiceQuota ${region} ${quota.serviceCode} ${quota.quotaCode}`, {
      ok: rec.serviceQuota(region, quota.serviceCode, quota.quotaCode, quota.name, 100),
    });
  }
  return aws;
}

test('dev in a ready account prints only the new-zone warning and the summary, and exits 0', async () => {
  // WHEN
  const { lines, code } = await preflight(['-c', 'profile=dev', '-c', `account=${rec.ACCOUNT}`], readyForDev());
  // THEN
  expect(lines).toEqual([
    expect.stringMatching(
      /^WARNING \[dns\] no `hostedZoneId`: the first deploy creates a new zone for example.com.* Fix: /,
    ),
    'preflight: 0 error(s), 1 warning(s), 0 note(s) for account 123456789012 in us-east-1: ready for the first deploy',
  ]);
  expect(code).toBe(0);
});

test('dev in an account without the bootstrap exits 1', async () => {
  // GIVEN
  const aws = readyForDev()
    .answer('describeStack us-east-1 CDKToolkit', { error: rec.stackDoesNotExist })
    .answer('getParameter us-east-1 /cdk-bootstrap/hnb659fds/version', { error: rec.parameterNotFound });
  // WHEN
  const { lines, code } = await preflight(['-c', 'profile=dev'], aws);
  // THEN
  expect(lines[0]).toMatch(/^ERROR +\[bootstrap\] us-east-1: .*npx cdk bootstrap aws:\/\/123456789012\/us-east-1/);
  expect(lines[lines.length - 1]).toMatch(/1 error\(s\).*the first deploy would fail$/);
  expect(code).toBe(1);
});
