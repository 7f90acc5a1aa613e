import { Duration, RemovalPolicy, Size, Token, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { fargateMemoryChoices } from './choices';
import { checkInteger, PropError } from './validation';

/** CPU architectures a Fargate Linux task can run on; arm64 (Graviton) costs less (prices/). */
export type TaskArchitecture = 'arm64' | 'x86_64';

const RUNTIME_ARCHITECTURE: Record<TaskArchitecture, ecs.CpuArchitecture> = {
  arm64: ecs.CpuArchitecture.ARM64,
  x86_64: ecs.CpuArchitecture.X86_64,
};

/** The `node` user of the official Node.js images: the container never runs as root. */
const NON_ROOT_USER = '1000';
/** The one writable path: scratch space on the task's ephemeral storage. */
const SCRATCH_PATH = '/tmp';
/** Fargate sends SIGKILL at most 120 seconds after SIGTERM. */
const MAX_STOP_TIMEOUT_SECONDS = 120;
/** The sample service's drain budget variable (service/src/config.ts); checked against the stop timeout. */
const DRAIN_ENV = 'SHUTDOWN_TIMEOUT_MS';
const FARGATE_CPU_SIZES = '256, 512, 1024, 2048, 4096, 8192 or 16384';

export interface ServiceTaskProps {
  /** The container image, e.g. `ecs.ContainerImage.fromAsset('service')`. */
  readonly image: ecs.ContainerImage;
  /**
   * Command the container runs, e.g. `['node', '--enable-source-maps', 'dist/worker.js']`. Set it
   * when one image serves several roles (api and worker).
   * @default the image's CMD
   */
  readonly command?: string[];
  /** Task CPU units (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384. */
  readonly cpu: number;
  /** Task memory in MiB; must be a size Fargate offers for `cpu`. */
  readonly memoryMiB: number;
  /** CPU architecture the image is built for. */
  readonly architecture: TaskArchitecture;
  /**
   * Port the container listens on (TCP); give it for a service behind a load balancer.
   * @default none: the task serves no port (a worker)
   */
  readonly containerPort?: number;
  /**
   * Plain configuration as environment variables. Never put a secret here: it would be readable
   * by anyone who can describe the task definition. A secret's ARN is not secret: pass one here
   * for an app that reads the secret at run time with its task role (to follow rotations).
   * @default no variables
   */
  readonly environment?: Record<string, string>;
  /**
   * Variables injected from Secrets Manager or SSM when the task starts; only the execution role
   * may read them.
   * @default no secrets
   */
  readonly secrets?: Record<string, ecs.Secret>;
  /** Key that encrypts the container log group (the region's data key). */
  readonly logKey: kms.IKey;
  /**
   * How long container logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when it leaves the stack; dev passes DESTROY.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Time from SIGTERM to SIGKILL. It must exceed the app's drain time (`SHUTDOWN_TIMEOUT_MS`,
   * 25 s in the sample service, checked when `environment` sets it), and a load balancer's
   * deregistration delay must be shorter than it. Fargate allows 1 to 120 seconds.
   * @default Duration.seconds(30)
   */
  readonly stopTimeout?: Duration;
  /**
   * Name of the container, also the log stream prefix.
   * @default 'app'
   */
  readonly containerName?: string;
}

/**
 * One hardened Fargate task definition with a single container: read-only root filesystem with
 * an ephemeral `/tmp` as the only writable path, a non-root user, no privileges, an init process
 * that reaps children and forwards signals, and logs to a KMS-encrypted log group. The task role
 * starts empty (callers grant what the app needs); the execution role gets only image pull, log
 * writes and the given secrets.
 */
export class ServiceTask extends Construct {
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly container: ecs.ContainerDefinition;
  /** The app's own identity; empty until callers grant it data access. */
  public readonly taskRole: iam.IRole;
  public readonly logGroup: logs.LogGroup;
  /** The port the container listens on, when it serves one. */
  public readonly containerPort?: number;
  public readonly stopTimeout: Duration;

  constructor(scope: Construct, id: string, props: ServiceTaskProps) {
    super(scope, id);
    const environment = props.environment ?? {};
    const secrets = props.secrets ?? {};
    const stopTimeout = props.stopTimeout ?? Duration.seconds(30);
    checkSize(this, props.cpu, props.memoryMiB);
    if (props.containerPort !== undefined) checkInteger(this, 'containerPort', props.containerPort, 1, 65535);
    checkStopTimeout(this, stopTimeout, environment[DRAIN_ENV]);
    const both = Object.keys(secrets).find((name) => name in environment);
    if (both !== undefined) {
      throw new PropError(
        this,
        `environment.${both}`,
        environment[both],
        'a variable in either environment or secrets',
        'is also a secret',
      );
    }
    const containerName = props.containerName ?? 'app';

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.logKey,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: RUNTIME_ARCHITECTURE[props.architecture],
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    // A Fargate volume without a host is a bind mount on the task's ephemeral storage.
    this.taskDefinition.addVolume({ name: 'scratch' });

    this.container = this.taskDefinition.addContainer('Container', {
      containerName,
      image: props.image,
      command: props.command,
      environment: Object.keys(environment).length > 0 ? environment : undefined,
      secrets,
      portMappings:
        props.containerPort === undefined ? undefined : [{ containerPort: props.containerPort, name: 'http' }],
      readonlyRootFilesystem: true,
      user: NON_ROOT_USER,
      privileged: false,
      // PID 1 that forwards SIGTERM to node and reaps zombies, so drains start on time.
      linuxParameters: new ecs.LinuxParameters(this, 'LinuxParameters', { initProcessEnabled: true }),
      stopTimeout,
      essential: true,
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: containerName,
        // A logging outage must not block the app's writes; a bounded buffer absorbs bursts.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });
    this.container.addMountPoints({ sourceVolume: 'scratch', containerPath: SCRATCH_PATH, readOnly: false });

    if (Object.keys(environment).length > 0) {
      Validations.of(this.taskDefinition).acknowledge({
        id: 'AwsSolutions-ECS2',
        reason:
          'Environment variables carry only non-secret configuration (endpoints, names, tuning, secret ARNs); every credential comes from Secrets Manager, injected through `secrets` or read at run time by the app with its task role, and the constructor refuses a name in both.',
      });
    }

    this.taskRole = this.taskDefinition.taskRole;
    this.containerPort = props.containerPort;
    this.stopTimeout = stopTimeout;
  }
}

function checkSize(scope: IConstruct, cpu: number, memoryMiB: number): void {
  if (Token.isUnresolved(cpu)) return;
  const memoryChoices = fargateMemoryChoices(cpu);
  if (!memoryChoices) {
    throw new PropError(scope, 'cpu', cpu, FARGATE_CPU_SIZES, 'is not a Fargate CPU size');
  }
  if (!Token.isUnresolved(memoryMiB) && !memoryChoices.includes(memoryMiB)) {
    throw new PropError(
      scope,
      'memoryMiB',
      memoryMiB,
      `with cpu ${cpu}: ${memoryChoices.join(', ')}`,
      'is not a Fargate memory size for this cpu',
    );
  }
}

function checkStopTimeout(scope: IConstruct, stopTimeout: Duration, drainMs: string | undefined): void {
  const seconds = stopTimeout.toSeconds({ integral: false });
  if (Token.isUnresolved(seconds)) return;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_STOP_TIMEOUT_SECONDS) {
    throw new PropError(
      scope,
      'stopTimeout',
      stopTimeout.toHumanString(),
      `a whole number of seconds from 1 to ${MAX_STOP_TIMEOUT_SECONDS}`,
      'is out of range',
    );
  }
  if (drainMs === undefined || Token.isUnresolved(drainMs) || !/^\d+$/.test(drainMs)) return;
  if (seconds * 1000 <= Number(drainMs)) {
    throw new PropError(
      scope,
      'stopTimeout',
      stopTimeout.toHumanString(),
      `more than ${DRAIN_ENV} = ${drainMs} ms, or the app is killed mid-drain`,
      'is not longer than the drain time',
    );
  }
}
