import { Template } from 'aws-cdk-lib/assertions';
import { DrillName } from '../../lib/constructs/chaos';

// Readers of the FIS experiment templates, shared by the construct tests and the app's wiring tests.

export type Json = Record<string, any>;

/** The one experiment template of `drill` (found by its `drill` tag). */
export function experiment(template: Template, drill: DrillName): Json {
  const found = Object.values(
    template.findResources('AWS::FIS::ExperimentTemplate', { Properties: { Tags: { drill } } }),
  );
  expect(found).toHaveLength(1);
  return found[0].Properties;
}

/** Statements of the policy attached to the role with logical id `roleId`. */
export function statementsOf(template: Template, roleId: string): Json[] {
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
  );
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

export const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
export const isWildcard = (resource: unknown) => JSON.stringify(resource).includes('*');
