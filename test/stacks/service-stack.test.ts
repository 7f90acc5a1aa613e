import { Template } from 'aws-cdk-lib/assertions';
import { BuiltBlueprint, buildApp } from '../helpers';

describe('Service stacks', () => {
  let prod: BuiltBlueprint;
  let dev: BuiltBlueprint;
  beforeAll(() => {
    prod = buildApp();
    dev = buildApp({ profile: 'dev' });
  });

  test('snapshots', () => {
    for (const built of [prod, dev]) {
      for (const [region, stack] of built.service) {
        expect(Template.fromStack(stack).toJSON()).toMatchSnapshot(`${built.config.profile} ${region}`);
      }
    }
  });

  test('an ECS cluster with enhanced Container Insights in every region', () => {
    for (const stack of prod.service.values()) {
      Template.fromStack(stack).hasResourceProperties('AWS::ECS::Cluster', {
        ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
      });
    }
  });

  test('are stateless: deletable at any time, no termination protection, nothing retained', () => {
    for (const stack of prod.service.values()) {
      expect(stack.terminationProtection).toBe(false);
      const resources = Object.values(Template.fromStack(stack).toJSON().Resources) as { DeletionPolicy?: string }[];
      expect(resources.filter((r) => r.DeletionPolicy === 'Retain')).toEqual([]);
    }
  });

  test("depend on their own region's Data stack and the Edge stack only", () => {
    for (const [region, stack] of prod.service) {
      expect(stack.dependencies.map((d) => d.stackName).sort()).toEqual(
        ['blueprint-Edge', `blueprint-Data-${region}`].sort(),
      );
    }
  });
});
