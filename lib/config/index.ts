export { ConfigError } from './errors';
export { checkRegionList, configInput, loadConfig, parseConfig } from './load';
export type { AppConfig, RegionalConfig } from './load';
export {
  CODECONNECTIONS_ARN,
  configSchema,
  GIT_BRANCH,
  GITHUB_REPOSITORY,
  INTERFACE_ENDPOINTS,
  NAT_KINDS,
} from './schema';
export type { ConfigInput, FargateSize, InterfaceEndpointName, NatKind } from './schema';
export { EDGE_REGION } from './regions';
export type { AwsRegion } from './regions';
