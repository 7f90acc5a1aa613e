import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { RegionalCache } from '../cache';
import type { AuroraShard } from '../database';
import { pascalCase } from '../naming';

/** The drills every region gets, one FIS experiment template each. */
export const DRILL_NAMES = [
  'task-loss',
  'az-loss',
  'database-failover',
  'cache-failover',
  'region-loss',
  'split-brain',
] as const;
export type DrillName = (typeof DRILL_NAMES)[number];

/** `task-loss` → `TaskLoss`, for construct ids and output names. */
export const pascalDrillName = (name: DrillName): string => pascalCase(name);

export interface ChaosDrillsProps {
  /** Prefix of each template's `Name` tag: `<appName>-<region>-<drill>`. */
  readonly appName: string;
  /**
   * The region's "region unhealthy" alarm (`RegionalMonitoring.regionHealthAlarm`): every drill
   * stops, and FIS undoes its faults, as soon as it fires.
   */
  readonly stopCondition: cloudwatch.IAlarm;
  /** Cluster of the `api` service. */
  readonly cluster: ecs.ICluster;
  /** The `api` service; the task-loss drill stops a share of its tasks. */
  readonly service: ecs.IBaseService;
  /** The region's VPC; the AZ-loss and region-loss drills cut its subnets off. */
  readonly vpc: ec2.IVpc;
  /**
   * The region's database shards. Shards of the primary region fail over their writer; those of
   * a secondary region (readers only) reboot their instances.
   */
  readonly databases: readonly AuroraShard[];
  /** The region's cache; tag it with `tagCacheForDrills` in its own stack, FIS finds it by that tag. */
  readonly cache: RegionalCache;
  /** The queue this region's service consumes cache invalidations from; split-brain stops its receives. */
  readonly invalidationQueue: sqs.IQueue;
  /** Encrypts the experiment log group (the region's data key, which CloudWatch Logs may use). */
  readonly logKey: kms.IKey;
  /**
   * Share of the `api` tasks the task-loss drill stops, 1 to 100. Higher tests that the survivors
   * carry the load while ECS replaces the rest.
   * @default 50
   */
  readonly taskStopPercent?: number;
  /**
   * Minutes the AZ-loss, cache-failover, region-loss and split-brain drills hold their fault, 1 to
   * 60. Longer shows steady state under the fault, not only the failover.
   * @default 10
   */
  readonly drillMinutes?: number;
  /**
   * Zone the AZ-loss and cache-failover drills take out; one of the VPC's zones.
   * @default the VPC's first zone
   */
  readonly availabilityZone?: string;
  /**
   * The regions that take this region's traffic when it is lost, named in the region-loss
   * description; give an empty list for a single-region app, where region loss is an outage.
   * @default "the other regions", unnamed
   */
  readonly otherRegions?: readonly string[];
  /**
   * The services' cache TTL (`CACHE_TTL_SECONDS`): how stale a region without invalidations can
   * serve, stated in the split-brain description. Set it when the services' TTL changes.
   * @default Duration.seconds(60), the service's default
   */
  readonly cacheTtl?: Duration;
  /**
   * How long experiment logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the experiment log group when it leaves the stack; the logs are the record
   * of every drill run.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
