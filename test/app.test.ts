import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { BuiltBlueprint, buildApp, configWith, crossRegionReferences, stackDependencies } from './helpers';

interface ValidationReport {
  pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[];
}

/** Synthesizes the whole app; cdk-nag runs as a policy-validation plugin and throws on any finding. */
function synthesize(built: BuiltBlueprint): CloudAssembly {
  return built.app.synth();
}

describe.each([
  ['prod', {}, ['us-east-1', 'eu-west-1', 'ap-northeast-2']],
  ['dev', { profile: 'dev' }, ['us-east-1']],
] as const)('the %s app', (_profile, overrides, regions) => {
  let built: BuiltBlueprint;
  let assembly: CloudAssembly;
  beforeAll(() => {
    built = buildApp(overrides);
    assembly = synthesize(built);
  });

  test('has an Account stack, a Keys stack per other region, a Data and a Service stack per region, one Edge stack, and the GitHub OIDC stack when asked', () => {
    const others = regions.slice(1);
    const expected = [
      'blueprint-Account',
      ...others.map((r) => `blueprint-Keys-${r}`),
      ...regions.flatMap((r) => [`blueprint-Data-${r}`, `blueprint-Service-${r}`]),
      'blueprint-Edge',
      ...(built.config.delivery.githubOidc ? ['blueprint-GitHubOidc'] : []),
    ];
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(expected.sort());
    expect(
      assembly.stacks
        .map((s) => s.environment.region)
        .filter((r) => r !== 'us-east-1')
        .sort(),
    ).toEqual(
      others
        .filter((r) => r !== 'us-east-1')
        .flatMap((r) => [r, r, r])
        .sort(),
    );
  });

  test('passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
    const report: ValidationReport = JSON.parse(
      readFileSync(join(assembly.directory, 'validation-report.json'), 'utf-8'),
    );
    const findings = report.pluginReports.flatMap((p) => p.violations);
    expect(findings).toEqual([]);
  });

  test('no stack reads a value from another region or exports one', () => {
    expect(crossRegionReferences(assembly)).toEqual([]);
  });

  test('deploys in a working order: account and keys, data region by region from the primary, then the edge, then services region by region, canary first', () => {
    const dependsOn = (name: string) => stackDependencies(assembly, name);
    expect(dependsOn(`blueprint-Data-${regions[0]}`).sort()).toEqual(
      ['blueprint-Account', ...regions.slice(1).map((r) => `blueprint-Keys-${r}`)].sort(),
    );
    expect(dependsOn('blueprint-Edge')).toEqual([`blueprint-Data-${regions[regions.length - 1]}`]);
    regions.forEach((region: string, index: number) => {
      expect(dependsOn(`blueprint-Service-${region}`)).toContain(`blueprint-Data-${region}`);
      const previous = regions[index - 1];
      if (previous) expect(dependsOn(`blueprint-Data-${region}`)).toEqual([`blueprint-Data-${previous}`]);
      expect(dependsOn(`blueprint-Service-${region}`)).toContain('blueprint-Edge');
      if (previous) expect(dependsOn(`blueprint-Service-${region}`)).toContain(`blueprint-Service-${previous}`);
    });
  });
});

test('a finding that is not acknowledged fails synth', () => {
  const built = buildApp({ profile: 'dev' });
  new s3.Bucket(built.service.get('us-east-1')!, 'UnloggedBucket');
  expect(() => synthesize(built)).toThrow(/AwsSolutions-S1'/);
});

test('data stacks deploy from the primary region even when it is not listed first', () => {
  expect(configWith({ primaryRegion: 'eu-west-1' }).dataDeployOrder).toEqual([
    'eu-west-1',
    'us-east-1',
    'ap-northeast-2',
  ]);
});

test.each([
  [
    { 'monitoring.thresholds.page.bogus': '3' },
    /^monitoring\.thresholds\.page\.bogus = 3 is not allowed \(allowed: one of serviceCpuPercent, /,
  ],
  [
    { 'monitoring.thresholds.page.api5xxRatePercent': '300' },
    /^monitoring\.thresholds\.page\.api5xxRatePercent = 300 is out of range/,
  ],
])('a bad alarm threshold is a one-line config error: %p', (overrides, expected) => {
  expect(() => buildApp({ profile: 'dev', ...overrides })).toThrow(expected);
});
