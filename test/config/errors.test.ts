import { loadConfig } from '../../lib/config';
import { schemaEntries } from '../../scripts/config-reference';
import { configWith, expectConfigError } from '../helpers';

/** A well-formed CodeConnections ARN, for the delivery cases. */
const CONNECTION_ARN = 'arn:aws:codeconnections:us-east-1:123456789012:connection/00000000-0000-0000-0000-000000000000';

/**
 * Every bad input stops synth with one line naming the key, the value and what is allowed.
 * Overrides are given as `cdk synth -c key=value` gives them: as strings.
 */
const BAD_INPUTS: ReadonlyArray<[string, Record<string, unknown>, RegExp]> = [
  [
    'unknown top-level key',
    { regoins: 'us-east-1' },
    /^regoins = "us-east-1" is not a config key \(allowed: appName, profile, account, regions,/,
  ],
  [
    'unknown nested key',
    { 'compute.api.cpuu': '512' },
    /^compute\.api\.cpuu = "512" is not a config key \(allowed: compute\.api\.cpu, compute\.api\.memoryMiB,/,
  ],
  ['wrong type', { retainData: 'yes' }, /^retainData = "yes" is not a boolean \(allowed: true or false\)$/],
  [
    'duplicate region',
    { regions: 'us-east-1,eu-west-1,us-east-1' },
    /^regions\[2\] = "us-east-1" is listed twice \(allowed: each region once\)$/,
  ],
  [
    'not a region of lib/config/regions.ts',
    { regions: 'us-east-1,us-east-9' },
    /^regions\[1\] = "us-east-9" is not in lib\/config\/regions\.ts \(allowed: us-east-1, us-east-2, .*; to use another AWS region, add it to AWS_REGIONS in lib\/config\/regions\.ts with its AZ letters and a VPC CIDR\)$/,
  ],
  [
    'an AWS region regions.ts does not list yet',
    { primaryRegion: 'ap-east-2' },
    /^primaryRegion = "ap-east-2" is not in lib\/config\/regions\.ts \(allowed: us-east-1, .*add it to AWS_REGIONS/,
  ],
  [
    'no regions',
    { regions: '' },
    /^regions = \[\] has the wrong number of entries \(allowed: a list of 1 to 10 AWS regions\)$/,
  ],
  [
    'primary not in regions',
    { primaryRegion: 'eu-west-2' },
    /^primaryRegion = "eu-west-2" is not a serving region \(allowed: one of regions: us-east-1, eu-west-1, ap-northeast-2\)$/,
  ],
  [
    'min tasks above max',
    { 'compute.api.minTasks': '30' },
    /^compute\.api\.minTasks = 30 is greater than maxTasks \(allowed: at most compute\.api\.maxTasks = 20\)$/,
  ],
  ['unknown profile', { profile: 'staging' }, /^profile = "staging" is not a profile \(allowed: prod, dev\)$/],
  [
    'bad domain',
    { domainName: 'Example..com' },
    /^domainName = "Example\.\.com" is malformed \(allowed: a lower-case DNS name/,
  ],
  [
    'non-numeric size',
    { 'database.readers': 'two' },
    /^database\.readers = "two" is not a number \(allowed: an integer from 0 to 15\)$/,
  ],
  [
    'fractional size',
    { 'database.shards': '2.5' },
    /^database\.shards = 2\.5 is not an integer \(allowed: an integer from 1 to 16\)$/,
  ],
  [
    'shards below 1',
    { 'database.shards': '0' },
    /^database\.shards = 0 is out of range \(allowed: an integer from 1 to 16\)$/,
  ],
  [
    'AZ of another region',
    { 'availabilityZones.eu-west-1': 'eu-west-1a,eu-west-1b,us-east-1c' },
    /^availabilityZones\.eu-west-1\[2\] = "us-east-1c" is not an AZ of eu-west-1 \(allowed: eu-west-1a, eu-west-1b, eu-west-1c\)$/,
  ],
  [
    'unknown AZ letter',
    {
      'availabilityZones.ap-northeast-1': 'ap-northeast-1a,ap-northeast-1b',
      regions: 'ap-northeast-1',
      'network.natGateways': '1',
    },
    /^availabilityZones\.ap-northeast-1\[1\] = "ap-northeast-1b" is not an AZ of ap-northeast-1 \(allowed: ap-northeast-1a, ap-northeast-1c, ap-northeast-1d\)$/,
  ],
  [
    'AZs for a region not served',
    { 'availabilityZones.us-west-2': 'us-west-2a,us-west-2b' },
    /^availabilityZones\.us-west-2 = \["us-west-2a","us-west-2b"\] names a region that is not served/,
  ],
  [
    'a VPC range for a region not served',
    { 'network.vpcCidrs.us-west-2': '10.99.0.0/16' },
    /^network\.vpcCidrs\.us-west-2 = "10\.99\.0\.0\/16" names a region that is not served \(allowed: one of regions: us-east-1, eu-west-1, ap-northeast-2\)$/,
  ],
  [
    'a zone-only synth of an existing zone',
    { zoneOnly: 'true', hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
    /^zoneOnly = true has no zone to create: hostedZoneId names an existing one \(allowed: false when hostedZoneId is set\)$/,
  ],
  [
    'AZ map keyed by a non-region',
    { availabilityZones: '{"us-east-9": ["us-east-9a"]}' },
    /^availabilityZones\.us-east-9 = \["us-east-9a"\] is not a config key \(allowed: us-east-1, /,
  ],
  [
    'single AZ',
    { 'availabilityZones.eu-west-1': 'eu-west-1a' },
    /^availabilityZones\.eu-west-1 = \["eu-west-1a"\] has the wrong number of entries/,
  ],
  [
    'memory Fargate does not offer for the cpu',
    { 'compute.api.memoryMiB': '300' },
    /^compute\.api\.memoryMiB = 300 is not a Fargate memory size for this cpu \(allowed: with cpu 512: 1024, 2048, 3072, 4096\)$/,
  ],
  [
    'cpu Fargate does not offer',
    { 'compute.worker.cpu': '300' },
    /^compute\.worker\.cpu = 300 is not a Fargate CPU size \(allowed: 256, 512, 1024, 2048, 4096, 8192 or 16384\)$/,
  ],
  [
    'api min tasks of zero: the load balancer needs a task',
    { 'compute.api.minTasks': '0' },
    /^compute\.api\.minTasks = 0 is out of range \(allowed: an integer from 1 to 1000\)$/,
  ],
  [
    'worker min tasks below zero',
    { 'compute.worker.minTasks': '-1' },
    /^compute\.worker\.minTasks = -1 is out of range \(allowed: an integer from 0 to 1000\)$/,
  ],
  [
    'max tasks of zero',
    { 'compute.worker.maxTasks': '0' },
    /^compute\.worker\.maxTasks = 0 is out of range \(allowed: an integer from 1 to 1000\)$/,
  ],
  [
    'unknown architecture',
    { 'compute.architecture': 'arm' },
    /^compute\.architecture = "arm" is not one of the choices \(allowed: arm64, x86_64\)$/,
  ],
  ['bad account', { account: '1234' }, /^account = "1234" is malformed \(allowed: a 12-digit AWS account id\)$/],
  ['bad alarm e-mail', { alarmEmail: 'ops@' }, /^alarmEmail = "ops@" is malformed \(allowed: an e-mail address\)$/],
  [
    'bad hosted zone id',
    { hostedZoneId: 'abc' },
    /^hostedZoneId = "abc" is malformed \(allowed: a Route53 hosted zone id/,
  ],
  [
    'bad app name',
    { appName: 'Blueprint_1' },
    /^appName = "Blueprint_1" is malformed \(allowed: 3-24 lower-case letters/,
  ],
  [
    'more NAT gateways than AZs',
    { 'availabilityZones.eu-west-1': 'eu-west-1a,eu-west-1b' },
    /^network\.natGateways = 3 is more than the AZs \(allowed: at most one per AZ: 2 in eu-west-1\)$/,
  ],
  [
    'unknown NAT kind',
    { 'network.nat': 'nat-box' },
    /^network\.nat = "nat-box" is not one of the choices \(allowed: gateway, instance\)$/,
  ],
  ['one AZ', { 'network.maxAzs': '1' }, /^network\.maxAzs = 1 is out of range \(allowed: an integer from 2 to 6\)$/],
  ['seven AZs', { 'network.maxAzs': '7' }, /^network\.maxAzs = 7 is out of range \(allowed: an integer from 2 to 6\)$/],
  [
    'more AZs than a region has',
    { 'network.maxAzs': '4' },
    /^network\.maxAzs = 4 is more than the AZs of eu-west-1 \(allowed: at most 3 in eu-west-1 \(eu-west-1a, eu-west-1b, eu-west-1c\), or name its zones in availabilityZones\.eu-west-1\)$/,
  ],
  [
    'fewer AZs than NAT gateways',
    { 'network.maxAzs': '2' },
    /^network\.natGateways = 3 is more than the AZs \(allowed: at most one per AZ: 2 in us-east-1\)$/,
  ],
  [
    'overlapping VPC ranges',
    { 'network.vpcCidrs.eu-west-1': '10.10.0.0/16' },
    /^network\.vpcCidrs\.eu-west-1 = "10\.10\.0\.0\/16" overlaps another region \(allowed: a range that does not overlap us-east-1's 10\.10\.0\.0\/16\)$/,
  ],
  [
    'VPC range with host bits',
    { 'network.vpcCidrs.eu-west-1': '10.20.1.0/16' },
    /^network\.vpcCidrs\.eu-west-1 = "10\.20\.1\.0\/16" has host bits set \(allowed: its network address 10\.20\.0\.0\/16\)$/,
  ],
  [
    'VPC range too small',
    { 'network.vpcCidrs.eu-west-1': '10.20.0.0/24' },
    /^network\.vpcCidrs\.eu-west-1 = "10\.20\.0\.0\/24" is out of range \(allowed: an IPv4 CIDR from \/16 to \/18\)$/,
  ],
  [
    'VPC range too large',
    { 'network.vpcCidrs.eu-west-1': '10.0.0.0/8' },
    /^network\.vpcCidrs\.eu-west-1 = "10\.0\.0\.0\/8" is out of range \(allowed: an IPv4 CIDR from \/16 to \/18\)$/,
  ],
  [
    'VPC range that is not a CIDR',
    { 'network.vpcCidrs.eu-west-1': '10.20.0.0' },
    /^network\.vpcCidrs\.eu-west-1 = "10\.20\.0\.0" is malformed \(allowed: an IPv4 CIDR from \/16 to \/18\)$/,
  ],
  [
    'unknown interface endpoint',
    { 'network.interfaceEndpoints': 'ecr,ftp' },
    /^network\.interfaceEndpoints\[1\] = "ftp" is not one of the choices \(allowed: ecr, ecr-docker, logs,/,
  ],
  [
    'retention CloudWatch does not offer',
    { logRetentionDays: '8' },
    /^logRetentionDays = 8 is not allowed \(allowed: 1, 3, 5, 7, 14, 30,/,
  ],
  [
    'bad instance class',
    { 'database.instanceClass': 'r7g.large' },
    /^database\.instanceClass = "r7g\.large" is malformed/,
  ],
  [
    'reserved tag key',
    { 'tags.aws:owner': 'me' },
    /^tags\.aws:owner = "me" has a key that is not allowed \(allowed: a tag key of 1-128 characters not starting with aws:\)$/,
  ],
  [
    'a section that is not an object',
    { network: 5 },
    /^network = 5 is not an object \(allowed: an object of maxAzs, nat, natGateways, interfaceEndpoints, flowLogRetentionDays, vpcCidrs\)$/,
  ],
  [
    'a per-region map that is not an object',
    { availabilityZones: '["us-east-1a"]' },
    /^availabilityZones = \["us-east-1a"\] is not an object \(allowed: an object of region → list of AZ names\)$/,
  ],
  [
    'reader autoscaling that is neither an object nor null',
    { 'database.readerAutoScaling': 'true' },
    /^database\.readerAutoScaling = "true" is not valid JSON|^database\.readerAutoScaling = true is not an object \(allowed: an object of minReaders, maxReaders, targetCpuPercent, or null for a fixed `readers`\)$/,
  ],
  [
    'null for a key that cannot be turned off',
    { 'database.shards': 'null' },
    /^database\.shards = "null" is not a number \(allowed: an integer from 1 to 16\)$/,
  ],
  ['invalid JSON', { tags: '{bad' }, /^tags = "\{bad" is not valid JSON/],
  [
    'API cache TTL outside its bounds',
    { 'edge.apiCacheDefaultTtlSeconds': '120' },
    /^edge\.apiCacheDefaultTtlSeconds = 120 is outside the TTL bounds \(allowed: between edge\.apiCacheMinTtlSeconds = 0 and edge\.apiCacheMaxTtlSeconds = 60\)$/,
  ],
  [
    'unknown price class',
    { 'edge.priceClass': 'PriceClass_300' },
    /^edge\.priceClass = "PriceClass_300" is not one of the choices/,
  ],
  [
    'health-check interval Route53 does not offer',
    { 'dns.healthCheckIntervalSeconds': '15' },
    /^dns\.healthCheckIntervalSeconds = 15 is not allowed \(allowed: 10 or 30\)$/,
  ],
  [
    'health-check path without a slash',
    { 'dns.healthCheckPath': 'readyz' },
    /^dns\.healthCheckPath = "readyz" is malformed \(allowed: a path such as \/readyz\)$/,
  ],
  [
    'WAF rate limit below 10',
    { 'edge.rateLimitPer5Minutes': '5' },
    /^edge\.rateLimitPer5Minutes = 5 is out of range \(allowed: an integer from 10 to 2000000000\)$/,
  ],
  [
    'one api task in prod',
    { 'compute.api.minTasks': '1' },
    /^compute\.api\.minTasks = 1 is too few for prod \(allowed: at least 2 in prod/,
  ],
  [
    'deregistration outlasting the stop timeout',
    { 'compute.api.deregistrationDelaySeconds': '30' },
    /^compute\.api\.deregistrationDelaySeconds = 30 outlasts the task stop timeout \(allowed: less than compute\.stopTimeoutSeconds = 30\)$/,
  ],
  [
    'non-positive scaling target',
    { 'compute.worker.backlogPerTask': '0' },
    /^compute\.worker\.backlogPerTask = 0 is out of range \(allowed: an integer from 1 to 100000\)$/,
  ],
  [
    'CPU target above 90',
    { 'compute.api.targetCpuPercent': '95' },
    /^compute\.api\.targetCpuPercent = 95 is out of range \(allowed: an integer from 10 to 90\)$/,
  ],
  [
    'ACU floor above the ceiling',
    { 'database.minCapacityAcu': '32' },
    /^database\.minCapacityAcu = 32 is greater than maxCapacityAcu \(allowed: at most database\.maxCapacityAcu = 16\)$/,
  ],
  [
    'vault lock longer than the backups it must accept',
    { 'backup.vaultLock': 'governance', 'backup.vaultLockMinRetentionDays': '30' },
    /^backup\.vaultLockMinRetentionDays = 30 would make the locked vault refuse every backup \(allowed: at most 14 \(the shorter of backup\.continuousRetentionDays and backup\.dailyRetentionDays\)\)$/,
  ],
  [
    'ACU off the half step',
    { 'database.maxCapacityAcu': '16.3' },
    /^database\.maxCapacityAcu = 16\.3 is not allowed \(allowed: 0 to 256 in steps of 0\.5\)$/,
  ],
  [
    'reader autoscaling min above max',
    { 'database.readerAutoScaling.minReaders': '9' },
    /^database\.readerAutoScaling\.minReaders = 9 is greater than maxReaders \(allowed: at most database\.readerAutoScaling\.maxReaders = 5\)$/,
  ],
  [
    'unknown read consistency',
    { 'database.readConsistency': 'strong' },
    /^database\.readConsistency = "strong" is not one of the choices \(allowed: session, eventual, global\)$/,
  ],
  [
    'readers above the Aurora limit',
    { 'database.readers': '16' },
    /^database\.readers = 16 is out of range \(allowed: an integer from 0 to 15\)$/,
  ],
  [
    'maxReceiveCount below 1',
    { 'queue.maxReceiveCount': '0' },
    /^queue\.maxReceiveCount = 0 is out of range \(allowed: an integer from 1 to 1000\)$/,
  ],
  [
    'DLQ kept shorter than its queue',
    { 'queue.deadLetterRetentionDays': '2' },
    /^queue\.deadLetterRetentionDays = 2 is shorter than the queue retention \(allowed: at least queue\.retentionDays = 4\)$/,
  ],
  [
    'cache shards without cluster mode',
    { 'cache.shards': '3' },
    /^cache\.shards = 3 needs cluster mode \(allowed: 1 unless cache\.clusterMode is true\)$/,
  ],
  [
    'a global datastore without replicas',
    { 'cache.replicas': '0', 'cache.globalDatastoreId': 'ldgnf-blueprint-cache' },
    /^cache\.replicas = 0 is too few for a global datastore \(allowed: at least 1 with cache\.globalDatastoreId \(a global datastore fails over automatically, which needs a replica in every member\)\)$/,
  ],
  [
    'negative cache replicas',
    { 'cache.replicas': '-1' },
    /^cache\.replicas = -1 is out of range \(allowed: an integer from 0 to 5\)$/,
  ],
  [
    'unknown cache engine',
    { 'cache.engine': 'memcached' },
    /^cache\.engine = "memcached" is not one of the choices \(allowed: valkey, redis\)$/,
  ],
  ['bad cache node type', { 'cache.nodeType': 'r7g.large' }, /^cache\.nodeType = "r7g\.large" is malformed/],
  [
    'drill stopping no task',
    { 'resilience.taskStopPercent': '0' },
    /^resilience\.taskStopPercent = 0 is out of range \(allowed: an integer from 1 to 100\)$/,
  ],
  [
    'drill held past an hour',
    { 'resilience.drillMinutes': '90' },
    /^resilience\.drillMinutes = 90 is out of range \(allowed: an integer from 1 to 60\)$/,
  ],
  [
    'ARC switch that is not a boolean',
    { 'resilience.arc': 'maybe' },
    /^resilience\.arc = "maybe" is not a boolean \(allowed: true or false\)$/,
  ],
  [
    'origin record TTL of zero',
    { 'dns.recordTtlSeconds': '0' },
    /^dns\.recordTtlSeconds = 0 is out of range \(allowed: an integer from 1 to 300\)$/,
  ],
  [
    'pipeline without an account',
    { 'delivery.pipeline': 'true', 'delivery.connectionArn': CONNECTION_ARN },
    /^account = \(missing\) is required when delivery\.pipeline is true \(allowed: a 12-digit AWS account id\)$/,
  ],
  [
    'pipeline without a connection',
    { 'delivery.pipeline': 'true', account: '123456789012', alarmEmail: 'oncall@example.com' },
    /^delivery\.connectionArn = \(missing\) is required when delivery\.pipeline is true \(allowed: a CodeConnections ARN\)$/,
  ],
  [
    'deploy to an account whose pages reach nobody',
    { account: '123456789012' },
    /^notifications\.page = \(missing\) reaches nobody in a prod deploy to an account \(allowed: at least one of emails, httpsEndpoints, slackChannels, teamsChannels, or alarmEmail\)$/,
  ],
  [
    'deploy to an account whose tickets reach nobody',
    { account: '123456789012', 'notifications.page.emails': 'oncall@example.com' },
    /^notifications\.ticket = \(missing\) reaches nobody in a prod deploy to an account \(allowed: at least one of/,
  ],
  [
    'alarm HTTPS endpoint over plain HTTP',
    { 'notifications.page.httpsEndpoints': 'http://pager.example.com/hook' },
    /^notifications\.page\.httpsEndpoints\[0\] = "http:\/\/pager\.example\.com\/hook" is malformed \(allowed: an https:\/\/ URL\)$/,
  ],
  [
    'alarm e-mail target that is not an address',
    { 'notifications.ticket.emails': 'ops@' },
    /^notifications\.ticket\.emails\[0\] = "ops@" is malformed \(allowed: an e-mail address\)$/,
  ],
  [
    'Slack channel given by name',
    { 'notifications.page.slackChannels': '[{"workspaceId":"T0123ABCD","channelId":"#oncall"}]' },
    /^notifications\.page\.slackChannels\[0\]\.channelId = "#oncall" is malformed \(allowed: a Slack channel id such as C0123ABCD\)$/,
  ],
  [
    'Teams channel id not URL-encoded',
    {
      'notifications.page.teamsChannels': JSON.stringify([
        {
          tenantId: '11111111-1111-4111-8111-111111111111',
          teamId: '22222222-2222-4222-8222-222222222222',
          channelId: '19:abc@thread.tacv2',
        },
      ]),
    },
    /^notifications\.page\.teamsChannels\[0\]\.channelId = "19:abc@thread\.tacv2" is malformed \(allowed: a URL-encoded Teams channel id/,
  ],
  [
    'repository not owner/name',
    { 'delivery.repository': 'multi-region-blueprint' },
    /^delivery\.repository = "multi-region-blueprint" is malformed \(allowed: a GitHub repository as owner\/name\)$/,
  ],
  [
    'connection ARN of another service',
    { 'delivery.connectionArn': 'arn:aws:s3:::bucket' },
    /^delivery\.connectionArn = "arn:aws:s3:::bucket" is malformed \(allowed: a CodeConnections ARN such as /,
  ],
  [
    'bake longer than four hours',
    { 'delivery.bakeMinutes': '300' },
    /^delivery\.bakeMinutes = 300 is out of range \(allowed: an integer from 0 to 240\)$/,
  ],
];

describe('config errors', () => {
  test.each(BAD_INPUTS)('%s', (_name, overrides, expected) => {
    expectConfigError(overrides, expected);
  });

  test('running outside the project (no presets in context) says what is missing', () => {
    expect(() => configWith({ profiles: undefined })).toThrow(
      /^profiles = \(missing\) is required \(allowed: an object of profiles in cdk\.json/,
    );
  });

  test('a missing required key is reported as required', () => {
    expect(() => loadConfig({ profile: 'p', profiles: { p: { domainName: 'example.com' } } })).toThrow(
      /^appName = \(missing\) is required \(allowed: 3-24 lower-case letters, digits or hyphens, starting with a letter\)$/,
    );
  });
});

/** A cdk.json context of its own: a base profile, one that extends it, and one that extends that. */
const PROFILES_CONTEXT = {
  profile: 'base',
  profiles: {
    base: { appName: 'shop', domainName: 'example.com' },
    dev: { extends: 'base', regions: ['us-east-1'] },
    staging: { extends: 'dev', appName: 'shop-staging' },
  },
};

/** PROFILES_CONTEXT with `profiles.<name>` replaced. */
const withProfile = (name: string, preset: unknown, profile = 'base') => ({
  ...PROFILES_CONTEXT,
  profile,
  profiles: { ...PROFILES_CONTEXT.profiles, [name]: preset },
});

const PROFILE_ERRORS: ReadonlyArray<[string, Record<string, unknown>, RegExp]> = [
  [
    'a stray key in the chosen profile',
    withProfile('dev', { extends: 'base', network: { maxAzz: 2 } }, 'dev'),
    /^profiles\.dev\.network\.maxAzz = 2 is not a config key \(allowed: maxAzs, nat, natGateways, interfaceEndpoints, flowLogRetentionDays, vpcCidrs\)$/,
  ],
  [
    'a stray key in a profile that is not chosen',
    withProfile('staging', { extends: 'dev', regoins: ['us-east-1'] }),
    /^profiles\.staging\.regoins = \["us-east-1"\] is not a config key \(allowed: extends, appName, account, regions,/,
  ],
  [
    'a profile choosing a profile',
    withProfile('dev', { profile: 'base' }),
    /^profiles\.dev\.profile = "base" is not a config key \(allowed: extends, appName, account,/,
  ],
  [
    'extending a profile that does not exist',
    withProfile('dev', { extends: 'prd' }),
    /^profiles\.dev\.extends = "prd" is not a profile \(allowed: another profile: base, dev, staging\)$/,
  ],
  [
    'profiles that extend each other',
    withProfile('base', { extends: 'staging', appName: 'shop', domainName: 'example.com' }),
    /^profiles\.dev\.extends = "base" makes a cycle: dev → base → staging → dev \(allowed: a profile that does not extend this one\)$/,
  ],
  [
    'a profile that is not an object',
    withProfile('dev', ['us-east-1']),
    /^profiles\.dev = \["us-east-1"\] is not a profile \(allowed: an object of config keys/,
  ],
  [
    'a bad value in a profile',
    withProfile('dev', { extends: 'base', database: { shards: 0 } }, 'dev'),
    /^database\.shards = 0 is out of range \(allowed: an integer from 1 to 16\)$/,
  ],
];

describe('profile errors', () => {
  test.each(PROFILE_ERRORS)('%s', (_name, context, expected) => {
    expect(() => loadConfig(context)).toThrow(expected);
  });
});

describe('every key says what it allows in its own words', () => {
  /** Wrong-typed values: one of them is wrong for any key. */
  const WRONG = [{ nested: true }, 7, 'seven'];

  test.each(schemaEntries().map((entry) => entry.path))('%s', (path) => {
    for (const value of WRONG) {
      let message = '';
      try {
        loadConfig({
          profile: 'p',
          profiles: { p: setAt({ appName: 'shop', domainName: 'example.com' }, path, value) },
        });
      } catch (error) {
        message = (error as Error).message;
      }
      if (!message) continue;
      expect(message).not.toMatch(/Invalid|expected|received/);
      expect(message).toMatch(/ \(allowed: .+\)$/);
      expect(message).not.toContain('\n');
    }
  });
});

function setAt(target: Record<string, unknown>, dottedPath: string, value: unknown): Record<string, unknown> {
  const keys = dottedPath.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]] = value;
  return target;
}
