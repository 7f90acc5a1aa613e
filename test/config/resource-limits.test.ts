import { expectConfigError } from '../helpers';

/**
 * Limits of the resources themselves, which their constructs also check (naming their props):
 * the config stops synth first, with one line naming the key, the value and what is allowed.
 */
const BAD_INPUTS: ReadonlyArray<[string, Record<string, unknown>, RegExp]> = [
  [
    'app name with a doubled hyphen',
    { appName: 'my--app' },
    /^appName = "my--app" is malformed \(allowed: no doubled hyphen: it begins Aurora and ElastiCache identifiers, which refuse one\)$/,
  ],
  [
    'VPC range too small for its AZs',
    { 'network.vpcCidrs.eu-west-1': '10.20.0.0/18' },
    /^network\.vpcCidrs\.eu-west-1 = "10\.20\.0\.0\/18" is too small for 3 AZs \(allowed: \/17 or larger for 3 AZs, whose \/24 public, \/20 app and \/22 data subnets take 19,456 addresses\)$/,
  ],
  [
    'Serverless ceiling below 1 ACU',
    { 'database.maxCapacityAcu': '0.5', 'database.minCapacityAcu': '0' },
    /^database\.maxCapacityAcu = 0\.5 is out of range \(allowed: 1 to 256 in steps of 0\.5\)$/,
  ],
  [
    'cache engine version ElastiCache does not offer',
    { 'cache.engineVersion': '9.0' },
    /^cache\.engineVersion = "9\.0" is not supported \(allowed: valkey 7\.x or 8\.x\)$/,
  ],
  [
    'burstable cache node in a global datastore',
    { 'cache.nodeType': 'cache.t4g.medium', 'cache.globalDatastoreId': 'ldgnf-blueprint-cache' },
    /^cache\.nodeType = "cache\.t4g\.medium" cannot join a global datastore \(allowed: an M or R node type/,
  ],
  [
    'more cache nodes than a cluster holds',
    { 'cache.clusterMode': 'true', 'cache.shards': '200', 'cache.replicas': '2' },
    /^cache\.shards = 200 is too many nodes \(allowed: at most 166 with 2 replicas \(500 nodes per cluster\)\)$/,
  ],
  [
    'unknown alarm threshold',
    { 'monitoring.thresholds.page': '{"dlqDeep": 5}' },
    /^monitoring\.thresholds\.page\.dlqDeep = 5 is not allowed \(allowed: one of serviceCpuPercent, /,
  ],
  [
    'alarm threshold out of range',
    { 'monitoring.thresholds.ticket': '{"api5xxRatePercent": 150}' },
    /^monitoring\.thresholds\.ticket\.api5xxRatePercent = 150 is out of range \(allowed: a number above 0 and at most 100\)$/,
  ],
];

describe('config errors for resource limits', () => {
  test.each(BAD_INPUTS)('%s', (_name, overrides, expected) => {
    expectConfigError(overrides, expected);
  });
});
