import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DrillContext, DrillDefinition } from './chaos/definition';
import { cacheFailover, databaseFailover, splitBrain, taskLoss } from './chaos/drills';
import { azLoss, regionLoss } from './chaos/network';
import { LOG_DELIVERY, grantDrillPermissions } from './chaos/permissions';
import { ChaosDrillsProps, DRILL_NAMES, DrillName, pascalDrillName } from './chaos/props';
import { InvalidationPause } from './chaos/split-brain';
import { checkInteger, PropError } from './validation';

export { MAX_ARNS_PER_TARGET } from './chaos/definition';
export { CACHE_DRILL_TAG, tagCacheForDrills } from './chaos/drills';
export { DRILL_NAMES, pascalDrillName } from './chaos/props';
export type { ChaosDrillsProps, DrillName } from './chaos/props';
export { DENY_RECEIVE_SID, InvalidationPause } from './chaos/split-brain';

/**
 * One region's fault-injection drills as AWS FIS experiment templates: task loss, AZ loss,
 * database failover, cache failover (given cache replicas), region loss and split brain. Each
 * template stops on the region's health alarm, runs as its own least-privilege role, and logs to
 * one group encrypted with the region's key. Templates cost nothing until someone starts one:
 * `aws fis start-experiment --experiment-template-id <id>`.
 *
 * L1 only: aws-cdk-lib has no FIS L2, just the generated `aws-fis` resources.
 */
export class ChaosDrills extends Construct {
  /**
   * The drills this region has, in `DRILL_NAMES` order: all of them, except cache failover for a
   * cache without replicas (nothing to fail over to).
   */
  public readonly drillNames: readonly DrillName[];
  /** The experiment template of each drill in `drillNames`. */
  public readonly experiments: Partial<Record<DrillName, fis.CfnExperimentTemplate>>;
  /** The role each experiment runs as; it may do what its drill needs and nothing else. */
  public readonly roles: Partial<Record<DrillName, iam.Role>>;
  /** Where every experiment of the region logs (schema version 2). */
  public readonly logGroup: logs.LogGroup;
  /** The split-brain runbook and the role it runs as. */
  public readonly invalidationPause: InvalidationPause;
  /** Zone the AZ-loss and cache-failover drills take out. */
  public readonly availabilityZone: string;

  constructor(scope: Construct, id: string, props: ChaosDrillsProps) {
    super(scope, id);
    const taskStopPercent = props.taskStopPercent ?? 50;
    checkInteger(this, 'taskStopPercent', taskStopPercent, 1, 100);
    const drillMinutes = props.drillMinutes ?? 10;
    checkInteger(this, 'drillMinutes', drillMinutes, 1, 60);
    const zones = props.vpc.availabilityZones;
    const availabilityZone = props.availabilityZone ?? zones[0];
    if (!Token.isUnresolved(availabilityZone) && !zones.includes(availabilityZone)) {
      throw new PropError(
        this,
        'availabilityZone',
        availabilityZone,
        `a zone of the VPC: ${zones.join(', ')}`,
        'is not a zone of the VPC',
      );
    }
    const cacheTtlSeconds = (props.cacheTtl ?? Duration.seconds(60)).toSeconds({ integral: false });
    checkInteger(this, 'cacheTtl', cacheTtlSeconds, 1, 86400, 'a whole number of seconds from 1 to 86400');
    if (props.databases.length === 0) {
      throw new PropError(
        this,
        'databases',
        [],
        'at least one shard',
        'leaves the database-failover drill nothing to act on',
      );
    }
    if (!Token.isUnresolved(props.appName) && props.appName.trim() === '') {
      throw new PropError(this, 'appName', props.appName, 'a non-empty name', 'is empty');
    }
    const region = Stack.of(this).region;
    this.availabilityZone = availabilityZone;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.logKey,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.invalidationPause = new InvalidationPause(this, 'InvalidationPause', {
      queue: props.invalidationQueue,
      hold: Duration.minutes(drillMinutes),
    });

    const ctx: DrillContext = {
      scope: this,
      props,
      region,
      availabilityZone,
      taskStopPercent,
      drillMinutes,
      cacheTtlSeconds,
    };
    const definitions: Record<DrillName, DrillDefinition | undefined> = {
      'task-loss': taskLoss(ctx),
      'az-loss': azLoss(ctx),
      'database-failover': databaseFailover(ctx),
      'cache-failover': cacheFailover(ctx),
      // Region loss stops on the region's own health alarm too: it is the one blast-radius guard
      // there is in the region (an experiment cannot watch other regions). Expect it to fire once
      // the ALB has had no healthy target for the alarm's periods (two minutes by default), ending
      // the drill early; Route 53 has withdrawn the region before that. Whether the other regions
      // absorbed the traffic is judged on the global dashboard, not here.
      'region-loss': regionLoss(ctx),
      'split-brain': splitBrain(ctx, this.invalidationPause),
    };

    const roles: Partial<Record<DrillName, iam.Role>> = {};
    const experiments: Partial<Record<DrillName, fis.CfnExperimentTemplate>> = {};
    this.drillNames = DRILL_NAMES.filter((name) => definitions[name] !== undefined);
    for (const name of this.drillNames) {
      const drill = definitions[name]!;
      const drillId = pascalDrillName(name);
      const role = new iam.Role(this, `${drillId}Role`, {
        description: `FIS runs the ${name} drill in ${region} as this role`,
        assumedBy: this.fisPrincipal(),
      });
      grantDrillPermissions(role, [LOG_DELIVERY, ...drill.permissions]);
      const template = new fis.CfnExperimentTemplate(this, drillId, {
        description: drill.description,
        roleArn: role.roleArn,
        stopConditions: [{ source: 'aws:cloudwatch:alarm', value: props.stopCondition.alarmArn }],
        targets: drill.targets,
        actions: drill.actions,
        logConfiguration: {
          logSchemaVersion: 2,
          // Typed `any` in the L1, so written as CloudFormation spells it.
          cloudWatchLogsConfiguration: { LogGroupArn: this.logGroup.logGroupArn },
        },
        // A drill that finds nothing to break must fail loudly, not pass.
        experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' },
        tags: { Name: `${props.appName}-${region}-${name}`, drill: name },
      });
      // The role and its policy exist before a template can be run with them.
      template.node.addDependency(role);
      roles[name] = role;
      experiments[name] = template;
    }
    this.roles = roles;
    this.experiments = experiments;
  }

  /** FIS, acting for experiments of this account and region only (no confused deputy). */
  private fisPrincipal(): iam.IPrincipal {
    const stack = Stack.of(this);
    return new iam.ServicePrincipal('fis.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'fis', resource: 'experiment', resourceName: '*' }) },
      },
    });
  }
}
