import { Template } from 'aws-cdk-lib/assertions';
import { deployPlan } from '../../scripts/deploy-plan';
import { BuiltBlueprint, buildApp } from '../helpers';

describe('scripts/deploy-plan.ts', () => {
  let prod: BuiltBlueprint;
  beforeAll(() => {
    prod = buildApp({ regions: 'eu-west-1,us-east-1,ap-northeast-2', primaryRegion: 'us-east-1' }, { checks: false });
  });

  test('puts every stack the services depend on first, data from the primary, then the edge', () => {
    // GIVEN eu-west-1 listed first but us-east-1 the primary
    const plan = deployPlan(prod.config, prod.service);
    // THEN the account's roles and the replica keys come first, the data from the primary, the edge after it
    expect(plan.foundation).toEqual([
      'blueprint-Account',
      'blueprint-Keys-eu-west-1',
      'blueprint-Keys-ap-northeast-2',
      'blueprint-Data-us-east-1',
      'blueprint-Data-eu-west-1',
      'blueprint-Data-ap-northeast-2',
      'blueprint-Edge',
    ]);
  });

  test('deploys the services one wave per region in `regions` order: the first listed is the canary', () => {
    const plan = deployPlan(prod.config, prod.service);
    expect(plan.waves).toEqual(
      ['eu-west-1', 'us-east-1', 'ap-northeast-2'].map((region) => ({
        region,
        stack: `blueprint-Service-${region}`,
        alarm: `blueprint-${region}-region-unhealthy`,
      })),
    );
    expect(plan.bakeMinutes).toBe(15);
  });

  test("each wave's alarm is the composite alarm its Service stack names", () => {
    for (const wave of deployPlan(prod.config, prod.service).waves) {
      Template.fromStack(prod.service.get(wave.region as never)!).hasResourceProperties(
        'AWS::CloudWatch::CompositeAlarm',
        { AlarmName: wave.alarm },
      );
    }
  });

  test('refuses the pipeline mode, where the pipeline deploys', () => {
    const config = { ...prod.config, delivery: { ...prod.config.delivery, pipeline: true } };
    expect(() => deployPlan(config, prod.service)).toThrow(/^delivery\.pipeline = true means the CDK pipeline deploys/);
  });
});
