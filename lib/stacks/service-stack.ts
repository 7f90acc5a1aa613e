import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { projectPath } from '../project-paths';
import { AlarmDelivery } from '../constructs/alarm-delivery';
import { ApiService } from '../constructs/api-service';
import { BusinessAlarms } from '../constructs/business-alarms';
import { ChaosDrills, pascalDrillName } from '../constructs/chaos';
import { ConsistencyProbe } from '../constructs/consistency-probe';
import { consistencyMatrixWidgets } from '../constructs/consistency-probe/matrix';
import { dbUserArn } from '../constructs/database';
import { ReaderCapacityAlarm } from '../constructs/reader-capacity';
import { OriginDns } from '../constructs/dns';
import { edgeAlarmNames, edgeDashboardRows, edgeTopicArn } from '../constructs/edge-monitoring';
import { HealthCheckAlarm } from '../constructs/health-check-alarm';
import { GlobalDashboard, RegionalMonitoring } from '../constructs/monitoring';
import { ServiceMetrics } from '../constructs/monitoring/service-metrics';
import { sharedSecretValue } from '../constructs/shared-secrets';
import { ServiceTask } from '../constructs/service-task';
import { WorkerService } from '../constructs/worker-service';
import { EDGE_REGION } from '../config';
import {
  edgeAlarmPrefix,
  edgeWebAclName,
  evacuationSwitchAlarmName,
  ORIGIN_VERIFY_HEADER,
  originDomainName,
  originHealthAlarmName,
  regionalOriginName,
  regionHealthAlarmName,
  routingControlParameterName,
  shardClusterIdentifier,
  sharedSecretNames,
  workQueueName,
} from './names';
import { DataOutputs, RegionalStack, RegionalStackProps, removalPolicyFor } from './regional-stack';

/** The sample service the tasks run; built into an image asset at deploy time (synth needs no Docker). */
const SERVICE_DIR = projectPath('service');

/**
 * The database role the tasks log in as, with IAM authentication (docs/decisions/0011): the
 * migrations create it with rights on rows only, and the task roles may connect as it alone.
 */
export const SERVICE_DB_USER = 'app_service';

export interface ServiceStackProps extends RegionalStackProps {
  /** The same region's stateful resources. */
  readonly data: DataOutputs;
  /**
   * Outside the primary region, the key of the replicas the primary's secrets keep here (the
   * region's Keys stack): the tasks decrypt the session and shard secrets with it.
   */
  readonly replicaKey?: kms.IKey;
}

/**
 * The stateless half of a region: the ECS cluster, the `api` service behind an HTTPS ALB that
 * only CloudFront may use, and the `worker` service on the work queue. Holds no data, so it can be
 * destroyed and redeployed at any time.
 */
export class ServiceStack extends RegionalStack {
  public readonly cluster: ecs.Cluster;
  public readonly api: ApiService;
  public readonly worker: WorkerService;
  public readonly originDns: OriginDns;
  public readonly monitoring: RegionalMonitoring;
  /** The region's consistency probe; absent when `probe.enabled` is false. */
  public readonly probe?: ConsistencyProbe;
  /** The region's FIS drill templates; absent when `resilience.drills` is false. */
  public readonly drills?: ChaosDrills;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config, regional, data } = props;
    const { compute } = config;
    // Logs of a stateless stack still hold evidence; keep them in prod.
    const removalPolicy = removalPolicyFor(config.retainData);

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: data.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
    });

    const image = ecs.ContainerImage.fromAsset(SERVICE_DIR, {
      platform: compute.architecture === 'arm64' ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
    });
    // Every secret by complete ARN, as ECS requires: the primary's own, or this region's replica.
    const sessionSecret = this.localHandle('SessionSecret', data.sessionSecret);
    // The shards' master secrets, for migrations only, which the primary region's api runs at
    // start (write forwarding refuses DDL); no other task can read them.
    const migrationSecrets = regional.isPrimary
      ? data.shards.map((shard, index) => this.localHandle(`Shard${index}Secret`, shard.secret))
      : [];
    const environment = {
      REGION: regional.region,
      SHARD_MAP: Stack.of(this).toJsonString(
        data.shards.map((shard) => ({
          name: shard.name,
          writerHost: shard.writerHost,
          readerHost: shard.readerHost,
          globalWriterHost: shard.globalWriterHost,
          clusterHost: shard.clusterHost,
          port: shard.port,
          database: shard.databaseName,
        })),
      ),
      // Queries log in with IAM authentication as the service's role, over TLS verified against
      // the RDS CA bundle in the image; there is no database password to hold or rotate.
      DB_IAM_USER: SERVICE_DB_USER,
      DB_SSL: 'verify-full',
      REDIS_URL: data.cache.redisUrl,
      WORK_QUEUE_URL: data.workQueue.queue.queueUrl,
      INVALIDATION_TOPIC_ARN: data.invalidation.topic.topicArn,
      INVALIDATION_QUEUE_URL: data.invalidation.queue.queueUrl,
      METRICS_NAMESPACE: `${config.appName}/Service`,
      SHUTDOWN_TIMEOUT_MS: String((compute.stopTimeoutSeconds - 5) * 1000),
    };
    const secrets: Record<string, ecs.Secret> = {
      SESSION_SECRET: ecs.Secret.fromSecretsManager(sessionSecret),
      REDIS_AUTH_TOKEN: ecs.Secret.fromSecretsManager(this.localHandle('CacheAuthToken', data.cache.authSecret)),
    };
    const taskProps = {
      image,
      architecture: compute.architecture,
      logKey: data.dataKey,
      logRetention: config.logRetentionDays,
      removalPolicy,
      stopTimeout: Duration.seconds(compute.stopTimeoutSeconds),
      secrets,
    };

    const apiTask = new ServiceTask(this, 'ApiTask', {
      ...taskProps,
      cpu: compute.api.cpu,
      memoryMiB: compute.api.memoryMiB,
      containerPort: 8080,
      // Only the primary region's writers accept DDL; forwarded writes cannot migrate.
      // SERVICE_NAME is the `Service` dimension of the business metrics.
      // TRUST_PROXY_HOPS: the client address is in X-Forwarded-For, as CloudFront and then the ALB
      // append it; the service's per-address login rate limit keys on it.
      environment: {
        ...environment,
        SERVICE_NAME: 'api',
        MIGRATE_ON_START: String(regional.isPrimary),
        // By ARN, read when migrating: a rotation of the master secret reaches the next start.
        ...Object.fromEntries(
          migrationSecrets.map((secret, i) => [`SHARD_${i}_MIGRATION_SECRET_ARN`, secret.secretArn]),
        ),
        TRUST_PROXY_HOPS: '2',
      },
    });
    const workerTask = new ServiceTask(this, 'WorkerTask', {
      ...taskProps,
      cpu: compute.worker.cpu,
      memoryMiB: compute.worker.memoryMiB,
      command: ['node', '--enable-source-maps', 'dist/worker.js'],
      // A job that can never succeed is sent to the DLQ at once rather than retried into it.
      environment: { ...environment, SERVICE_NAME: 'worker', WORK_DLQ_URL: data.workQueue.deadLetterQueue.queueUrl },
    });
    // Migrations read the master secrets (GetSecretValue, DescribeSecret on exactly those ARNs)
    // and decrypt them with the region's data key, as the execution role does.
    for (const secret of migrationSecrets) secret.grantRead(apiTask.taskRole);
    if (migrationSecrets.length > 0) data.dataKey.grantDecrypt(apiTask.taskRole);
    for (const task of [apiTask, workerTask]) {
      // IAM database authentication as the service's role, on this region's clusters only.
      task.taskRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['rds-db:connect'],
          resources: data.shards.map((shard) => dbUserArn(this, shard.clusterResourceId, SERVICE_DB_USER)),
        }),
      );
      const executionRole = task.taskDefinition.obtainExecutionRole();
      // ECS reads the task secrets: the region's own are encrypted with its data key, the
      // primary's replicas here with the replica key.
      data.dataKey.grantDecrypt(executionRole);
      props.replicaKey?.grantDecrypt(executionRole);
      Validations.of(executionRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ecr:GetAuthorizationToken, needed to pull the service image, has no resource-level permissions; every other action is scoped.',
      });
    }

    this.api = new ApiService(this, 'Api', {
      cluster: this.cluster,
      vpc: data.vpc,
      task: apiTask,
      // Validated by the record the Edge stack's certificate writes for the same name (decision 5).
      certificate: new acm.Certificate(this, 'OriginCertificate', {
        domainName: originDomainName(config),
        validation: acm.CertificateValidation.fromDns(),
      }),
      originVerify: {
        headerName: ORIGIN_VERIFY_HEADER,
        headerValue: sharedSecretValue(sharedSecretNames(config.appName).originVerify),
      },
      securityGroups: [data.dataClientSecurityGroup],
      minTasks: compute.api.minTasks,
      maxTasks: compute.api.maxTasks,
      scaling: {
        cpuPercent: compute.api.targetCpuPercent,
        memoryPercent: compute.api.targetMemoryPercent,
        requestsPerTarget: compute.api.requestsPerTarget,
      },
      healthCheck: {
        interval: Duration.seconds(compute.api.healthCheckIntervalSeconds),
        healthyThresholdCount: compute.api.healthyThreshold,
        unhealthyThresholdCount: compute.api.unhealthyThreshold,
      },
      deregistrationDelay: Duration.seconds(compute.api.deregistrationDelaySeconds),
      accessLogs: { removalPolicy },
      deletionProtection: config.retainData,
      zonalShift: config.resilience.zonalShift,
      publicHealthCheckPath: config.dns.healthCheckPath,
    });
    // This region's latency record for the origin name, withdrawn when its health check fails
    // or an operator evacuates the region.
    this.originDns = new OriginDns(this, 'OriginDns', {
      zoneName: config.domainName,
      hostedZoneId: config.hostedZoneId,
      recordName: originDomainName(config),
      loadBalancer: this.api.loadBalancer,
      healthCheck: {
        type: 'https',
        path: config.dns.healthCheckPath,
        requestInterval: Duration.seconds(config.dns.healthCheckIntervalSeconds),
        failureThreshold: config.dns.healthCheckFailureThreshold,
      },
      recordTtl: config.dns.recordTtlSeconds === undefined ? undefined : Duration.seconds(config.dns.recordTtlSeconds),
      // Evacuation without a deploy (docs/decisions/0008): an ARC routing control, whose ARN the
      // Recovery stack writes to SSM in this region, or a health check the operator inverts.
      evacuationSwitch: config.resilience.arc
        ? {
            type: 'routing-control',
            routingControlArn: ssm.StringParameter.valueForStringParameter(
              this,
              routingControlParameterName(config.appName),
            ),
          }
        : {
            type: 'inverted-check',
            alarmName: evacuationSwitchAlarmName(config.appName, regional.region),
            metricNamespace: `${config.appName}/Resilience`,
          },
    });
    const { evacuationSwitch, originHealthCheck, recordHealthCheck } = this.originDns;
    // A region whose origin fails Route 53's probe pages, even while its own alarms are silent
    // (say, a broken certificate or security group in front of healthy tasks).
    new HealthCheckAlarm(this, 'OriginHealthAlarm', {
      healthCheckId: originHealthCheck.healthCheckId,
      alarmName: originHealthAlarmName(config.appName, regional.region),
      description: `[page] ${regional.region}: Route 53 health check of the origin (${config.dns.healthCheckPath}) fails`,
      topicArns: [edgeTopicArn(this, edgeAlarmPrefix(config.appName), 'page', EDGE_REGION)],
    });
    new CfnOutput(this, 'EvacuationSwitchHealthCheckId', {
      value: evacuationSwitch!.healthCheck.healthCheckId,
      description: config.resilience.arc
        ? "Follows this region's ARC routing control (Recovery stack outputs): evacuate by turning the routing control Off, not by inverting this check."
        : 'Evacuate: aws route53 update-health-check --health-check-id <this> --inverted; return: --no-inverted.',
    });
    new CfnOutput(this, 'OriginHealthCheckId', {
      value: originHealthCheck.healthCheckId,
      description: "The region's own health check (HTTPS probe of the load balancer); evacuating never changes it.",
    });
    new CfnOutput(this, 'RecordHealthCheckId', {
      value: recordHealthCheck.healthCheckId,
      description:
        "The latency record's health check: healthy while both the origin check and the evacuation switch are.",
    });
    // Both services run the outbox relay that publishes the invalidations of their writes; the
    // api also consumes other regions' invalidations and enqueues work.
    for (const task of [apiTask, workerTask]) data.invalidation.topic.grantPublish(task.taskRole);
    data.invalidation.queue.grantConsumeMessages(apiTask.taskRole);
    data.workQueue.queue.grantSendMessages(apiTask.taskRole);
    data.workQueue.deadLetterQueue.grantSendMessages(workerTask.taskRole);
    // The KMS action families those grants add (an SQS send also re-encrypts).
    const kmsFamilies = [
      [apiTask, ['kms:GenerateDataKey*', 'kms:ReEncrypt*']],
      [workerTask, ['kms:GenerateDataKey*', 'kms:ReEncrypt*']],
    ] as const;
    for (const [task, actions] of kmsFamilies) {
      for (const action of actions) {
        Validations.of(task.taskRole).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason:
            'The SQS and SNS grants for KMS-encrypted queues and topics; the action families are scoped to the region data key alone.',
        });
      }
    }

    this.worker = new WorkerService(this, 'Worker', {
      cluster: this.cluster,
      taskDefinition: workerTask.taskDefinition,
      queue: data.workQueue.queue,
      deadLetterQueue: data.workQueue.deadLetterQueue,
      securityGroups: [data.dataClientSecurityGroup],
      minTasks: compute.worker.minTasks,
      maxTasks: compute.worker.maxTasks,
      acceptableBacklogPerTask: compute.worker.backlogPerTask,
      targetCpuPercent: compute.worker.targetCpuPercent,
    });

    this.monitoring = new RegionalMonitoring(this, 'Monitoring', {
      api: this.api,
      worker: this.worker,
      databases: data.databases,
      cache: data.cache,
      workQueue: data.workQueue,
      invalidation: data.invalidation,
      serviceLogs: { api: apiTask.logGroup, worker: workerTask.logGroup },
      serviceMetricsNamespace: environment.METRICS_NAMESPACE,
      alarmKey: data.dataKey,
      alarmEmail: config.alarmEmail,
      thresholds: config.monitoring.thresholds,
      latencyPeriods: config.monitoring.latencyPeriods,
      webAclName: edgeWebAclName(config.appName),
      regionLabel: regional.isPrimary ? `${regional.region} (primary)` : regional.region,
      dashboardName: `${config.appName}-${regional.region}`,
      regionHealthAlarmName: regionHealthAlarmName(config.appName, regional.region),
    });
    // A failed backup or copy waits for working hours, but must not go unseen (decision 14).
    data.backup
      ?.addFailedJobsAlarm(this, 'BackupJobsFailed', `${config.appName}-${regional.region}-backup-jobs-failed`)
      .addAlarmAction(new SnsAction(this.monitoring.topics.ticket));
    // Where Aurora Auto Scaling adds no readers (secondaries, decision 14), an operator does. A
    // primary without readers has no reader load to watch: its reads go to the writer.
    data.databases.forEach((database, index) => {
      if (database.readerScaling || (regional.isPrimary && config.database.readers === 0)) return;
      const globalClusterIdentifier = shardClusterIdentifier(config.appName, index);
      new ReaderCapacityAlarm(this, `Shard${index}ReaderCapacity`, {
        clusterIdentifier: globalClusterIdentifier,
        serverless: config.database.instanceClass === 'serverless',
        alarmName: `${globalClusterIdentifier}-${regional.region}-readers-saturated`,
        runbook: 'docs/runbooks/scale-readers.md',
      }).alarm.addAlarmAction(new SnsAction(this.monitoring.topics.ticket));
    });
    if (config.probe.enabled) {
      // Writes this region's marker each run and reads it in every region (decision 13).
      this.probe = new ConsistencyProbe(this, 'ConsistencyProbe', {
        cluster: this.cluster,
        image,
        architecture: compute.architecture,
        region: regional.region,
        targets: config.regions.map((region) => ({ region, connectHost: regionalOriginName(config, region) })),
        originDomainName: originDomainName(config),
        originVerify: {
          headerName: ORIGIN_VERIFY_HEADER,
          secret: secretsmanager.Secret.fromSecretNameV2(
            this,
            'OriginVerifySecret',
            sharedSecretNames(config.appName).originVerify,
          ),
        },
        // The primary's secret is under its data key; the replicas elsewhere under the replica key.
        secretKeys: [props.replicaKey ?? data.dataKey],
        record: { zone: this.originDns.hostedZone, loadBalancer: this.api.loadBalancer },
        staleAfter: Duration.seconds(config.probe.staleAfterSeconds),
        maxWait: Duration.seconds(config.probe.maxWaitSeconds),
        interval: Duration.minutes(config.probe.intervalMinutes),
        metricsNamespace: `${config.appName}/ConsistencyProbe`,
        alarms: {
          staleMinutes: config.probe.staleAlarmMinutes,
          errorMinutes: config.probe.errorAlarmMinutes,
          pageAction: new SnsAction(this.monitoring.topics.page),
          ticketAction: new SnsAction(this.monitoring.topics.ticket),
        },
        logKey: data.dataKey,
        logRetention: config.logRetentionDays,
        removalPolicy,
      });
    }
    new BusinessAlarms(this, 'BusinessAlarms', {
      dailyActiveUsers: new ServiceMetrics(environment.METRICS_NAMESPACE).metric(
        'DailyActiveUsers',
        'api',
        'Maximum',
        {},
        Duration.minutes(15),
      ),
      topic: this.monitoring.topics.ticket,
      label: regional.region,
      alarmName: `${config.appName}-${regional.region}-dau-drop`,
    });
    new AlarmDelivery(this, 'AlarmDelivery', {
      topics: this.monitoring.topics,
      targets: config.notifications,
      chatConfigurationPrefix: `${config.appName}-${regional.region}`,
    });
    // With one region the regional dashboard already shows everything the global one would.
    if (regional.isPrimary && config.regions.length > 1) {
      const global = new GlobalDashboard(this, 'GlobalDashboard', {
        appName: config.appName,
        regions: config.regions,
        primaryRegion: config.primaryRegion,
        shards: config.database.shards,
        workQueueName: workQueueName(config.appName),
        clusterIdentifier: (shard) => shardClusterIdentifier(config.appName, shard),
        extraRows: edgeDashboardRows(this, {
          // The edge's alarms exist before any Service stack deploys; each region's origin
          // health-check alarm does not (its status is on the health-check graph instead).
          alarmNames: edgeAlarmNames(edgeAlarmPrefix(config.appName), {
            additionalMetrics: config.edge.publishAdditionalMetrics,
          }),
          webAclName: edgeWebAclName(config.appName),
          edgeRegion: EDGE_REGION,
        }),
      });
      if (this.probe) {
        const matrix = consistencyMatrixWidgets({
          namespace: this.probe.metricsNamespace,
          regions: config.regions,
          staleAfter: Duration.seconds(config.probe.staleAfterSeconds),
        });
        for (const row of matrix) global.dashboard.addWidgets(...row);
      }
    }

    if (config.resilience.drills) {
      this.drills = new ChaosDrills(this, 'Drills', {
        appName: config.appName,
        stopCondition: this.monitoring.regionHealthAlarm,
        cluster: this.cluster,
        service: this.api.service,
        vpc: data.vpc,
        databases: data.databases,
        cache: data.cache,
        invalidationQueue: data.invalidation.queue,
        logKey: data.dataKey,
        otherRegions: config.regions.filter((r) => r !== regional.region),
        taskStopPercent: config.resilience.taskStopPercent,
        drillMinutes: config.resilience.drillMinutes,
        logRetention: config.logRetentionDays,
        removalPolicy,
      });
      for (const name of this.drills.drillNames) {
        // Runbooks: `aws fis start-experiment --experiment-template-id <output>`.
        new CfnOutput(this, `Drill${pascalDrillName(name)}TemplateId`, {
          value: this.drills.experiments[name]!.attrId,
          description: `FIS experiment template of the ${name} drill in ${regional.region}`,
        });
      }
    }
  }

  /**
   * A handle on a Data-stack secret that carries no key: granting on the Data stack's own object
   * would also write the task role into the key policy there (the via-service grant), and the
   * Data stack cannot name a role of a stack that deploys after it. The tasks get decrypt on the
   * data key through their own policy instead.
   */
  private localHandle(id: string, secret: secretsmanager.ISecret): secretsmanager.ISecret {
    return secret.secretFullArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, id, secret.secretFullArn)
      : secretsmanager.Secret.fromSecretPartialArn(this, id, secret.secretArn);
  }
}
