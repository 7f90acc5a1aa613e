import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BuiltBlueprint, buildApp } from '../helpers';

/** nag and the template lint run over the whole app in test/app.test.ts. */
const TEMPLATES_ONLY = { checks: false };

describe('dev teardown: `cdk destroy --all -c profile=dev` leaves nothing behind', () => {
  let dev: BuiltBlueprint;
  let stacks: Stack[];
  beforeAll(() => {
    dev = buildApp({ profile: 'dev' }, TEMPLATES_ONLY);
    stacks = dev.app.node.findAll().filter(Stack.isStack);
  });

  test('no resource of any stack is retained or snapshotted on delete or replacement', () => {
    const kept = stacks.flatMap((stack) =>
      Object.entries(Template.fromStack(stack).toJSON().Resources as Record<string, Record<string, string>>)
        .filter(([, r]) => [r.DeletionPolicy, r.UpdateReplacePolicy].some((p) => p !== undefined && p !== 'Delete'))
        .map(([id, r]) => `${stack.stackName}/${id} (${r.Type})`),
    );
    expect(kept).toEqual([]);
  });

  test('no stack is protected from deletion', () => {
    expect(stacks.filter((stack) => stack.terminationProtection).map((stack) => stack.stackName)).toEqual([]);
  });

  test("the zone the Edge stack creates is emptied of ACM's validation records before it is deleted", () => {
    Template.fromStack(dev.edge).hasResourceProperties('Custom::ValidationRecordCleanup', { Enabled: 'true' });
  });
});
