import type { CloudAssembly, CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';

/**
 * Every stack of `assembly`, with those of its nested assemblies: with `delivery.pipeline` on, the
 * app's stacks are in the pipeline's stages, and the top level holds only the pipeline stack.
 */
export function allStacks(assembly: CloudAssembly): CloudFormationStackArtifact[] {
  return [...assembly.stacks, ...assembly.nestedAssemblies.flatMap((nested) => allStacks(nested.nestedAssembly))];
}
