export { ConfigError } from './errors';
export { checkRegionList, loadConfig } from './load';
export type { AppConfig, RegionalConfig } from './load';
export { configSchema, INTERFACE_ENDPOINTS } from './schema';
export type { ConfigInput, FargateSize, InterfaceEndpointName } from './schema';
export { EDGE_REGION } from './regions';
export type { AwsRegion } from './regions';
