// Shared with the ServiceTask construct, which checks the same sizes; a plain module without CDK imports.
export { fargateMemoryChoices } from '../constructs/choices';
