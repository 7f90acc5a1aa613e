import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ApiServiceProps } from './props';
import { checkInteger, checkTaskBounds, PropError } from '../validation';

/** An HTTP header name (RFC 9110 token characters) within the 40 characters an ALB rule allows. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,40}$/;
const HEALTH_CHECK_PATH = /^\/\S{0,1023}$/;

/** Every ApiService prop with its default applied, after validation. */
export interface ApiSettings {
  readonly containerPort: number;
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly cpuPercent: number;
  readonly memoryPercent: number;
  readonly requestsPerTarget: number;
  readonly healthCheckPath: string;
  readonly interval: Duration;
  readonly timeout: Duration;
  readonly healthyThresholdCount: number;
  readonly unhealthyThresholdCount: number;
  readonly deregistrationDelay: Duration;
  readonly healthCheckGracePeriod: Duration;
  readonly accessLogRemovalPolicy: RemovalPolicy;
  readonly accessLogExpiration: Duration;
  readonly deletionProtection: boolean;
  readonly zonalShift: boolean;
  readonly target5xxPerMinute: number;
}

/**
 * Validates the props and resolves their defaults. Throws `PropError` naming the prop; deploy-time
 * values (tokens) skip range checks. The origin-verify header value is a secret and is never
 * inspected.
 */
export function resolveSettings(scope: IConstruct, props: ApiServiceProps): ApiSettings {
  const containerPort = props.task.containerPort;
  if (containerPort === undefined) {
    throw new PropError(scope, 'task.containerPort', containerPort, 'the port the api container listens on');
  }
  const { headerName } = props.originVerify;
  if (!Token.isUnresolved(headerName) && !HEADER_NAME.test(headerName)) {
    throw new PropError(
      scope,
      'originVerify.headerName',
      headerName,
      "an HTTP header name of 1 to 40 letters, digits or !#$%&'*+-.^_`|~",
    );
  }

  const minTasks = props.minTasks ?? 2;
  const maxTasks = props.maxTasks ?? 10;
  checkTaskBounds(scope, minTasks, maxTasks);
  const cpuPercent = props.scaling?.cpuPercent ?? 60;
  const memoryPercent = props.scaling?.memoryPercent ?? 75;
  const requestsPerTarget = props.scaling?.requestsPerTarget ?? 1000;
  checkInteger(scope, 'scaling.cpuPercent', cpuPercent, 10, 90);
  checkInteger(scope, 'scaling.memoryPercent', memoryPercent, 10, 90);
  checkInteger(scope, 'scaling.requestsPerTarget', requestsPerTarget, 1, Number.MAX_SAFE_INTEGER, 'an integer >= 1');

  const healthCheckPath = props.healthCheck?.path ?? '/healthz';
  if (!Token.isUnresolved(healthCheckPath) && !HEALTH_CHECK_PATH.test(healthCheckPath)) {
    throw new PropError(scope, 'healthCheck.path', healthCheckPath, 'a path that starts with / and has no spaces');
  }
  const interval = props.healthCheck?.interval ?? Duration.seconds(10);
  const timeout = props.healthCheck?.timeout ?? Duration.seconds(5);
  const intervalSeconds = checkSeconds(scope, 'healthCheck.interval', interval, 5, 300);
  const timeoutSeconds = checkSeconds(scope, 'healthCheck.timeout', timeout, 2, 120);
  checkShorter(
    scope,
    ['healthCheck.timeout', timeout, timeoutSeconds],
    ['healthCheck.interval', interval, intervalSeconds],
    'so a probe ends before the next one starts',
  );
  const healthyThresholdCount = props.healthCheck?.healthyThresholdCount ?? 2;
  const unhealthyThresholdCount = props.healthCheck?.unhealthyThresholdCount ?? 2;
  checkInteger(scope, 'healthCheck.healthyThresholdCount', healthyThresholdCount, 2, 10);
  checkInteger(scope, 'healthCheck.unhealthyThresholdCount', unhealthyThresholdCount, 2, 10);

  const deregistrationDelay = props.deregistrationDelay ?? Duration.seconds(20);
  const { stopTimeout } = props.task;
  const stopSeconds = stopTimeout.toSeconds({ integral: false });
  checkShorter(
    scope,
    [
      'deregistrationDelay',
      deregistrationDelay,
      checkSeconds(scope, 'deregistrationDelay', deregistrationDelay, 0, 3600),
    ],
    ['the task stop timeout', stopTimeout, Token.isUnresolved(stopSeconds) ? undefined : stopSeconds],
    'so a draining task finishes its requests before SIGKILL',
  );
  const healthCheckGracePeriod = props.healthCheckGracePeriod ?? Duration.seconds(30);
  checkSeconds(scope, 'healthCheckGracePeriod', healthCheckGracePeriod, 0, 7200);
  const target5xxPerMinute = props.deploymentAlarms?.target5xxPerMinute ?? 10;
  checkInteger(
    scope,
    'deploymentAlarms.target5xxPerMinute',
    target5xxPerMinute,
    1,
    Number.MAX_SAFE_INTEGER,
    'an integer >= 1',
  );
  const accessLogExpiration = props.accessLogs?.expiration ?? Duration.days(90);
  const expirationDays = accessLogExpiration.toDays({ integral: false });
  if (!Token.isUnresolved(expirationDays) && (!Number.isInteger(expirationDays) || expirationDays < 1)) {
    throw new PropError(
      scope,
      'accessLogs.expiration',
      accessLogExpiration.toHumanString(),
      'a whole number of days >= 1',
    );
  }

  return {
    containerPort,
    minTasks,
    maxTasks,
    cpuPercent,
    memoryPercent,
    requestsPerTarget,
    healthCheckPath,
    interval,
    timeout,
    healthyThresholdCount,
    unhealthyThresholdCount,
    deregistrationDelay,
    healthCheckGracePeriod,
    accessLogRemovalPolicy: props.accessLogs?.removalPolicy ?? RemovalPolicy.RETAIN,
    accessLogExpiration,
    deletionProtection: props.deletionProtection ?? true,
    zonalShift: props.zonalShift ?? false,
    target5xxPerMinute,
  };
}

/** Throws unless `duration` is whole seconds in [min, max]; returns the seconds, or undefined for a token. */
function checkSeconds(
  scope: IConstruct,
  key: string,
  duration: Duration,
  min: number,
  max: number,
): number | undefined {
  const seconds = duration.toSeconds({ integral: false });
  if (Token.isUnresolved(seconds)) return undefined;
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw new PropError(
      scope,
      key,
      duration.toHumanString(),
      `a whole number of seconds from ${min} to ${max}`,
      'is out of range',
    );
  }
  return seconds;
}

type NamedDuration = readonly [name: string, duration: Duration, seconds: number | undefined];

/** Throws when both durations are known and the first is not strictly shorter than the second. */
function checkShorter(
  scope: IConstruct,
  [key, shorter, shorterSeconds]: NamedDuration,
  [name, longer, longerSeconds]: NamedDuration,
  why: string,
): void {
  if (shorterSeconds === undefined || longerSeconds === undefined || shorterSeconds < longerSeconds) return;
  throw new PropError(
    scope,
    key,
    shorter.toHumanString(),
    `less than ${name} (${longer.toHumanString()}), ${why}`,
    `is not shorter than ${name}`,
  );
}
