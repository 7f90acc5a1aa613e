/**
 * How long Route 53 takes to withdraw a region's origin record when the region is lost: the
 * record's health check, followed through a CALCULATED parent to the children that probe the
 * region, and the TTL resolvers may keep the old answer for.
 */
import { ModelInput, published, tpl } from './common';
import { PUBLISHED } from './sources';
import { Found, StackTemplate, Templates } from '../common/assembly';
import { ServiceView } from './views';

/** Health-check types whose checkers probe an endpoint; the others follow a signal or an operator. */
const PROBES = new Set(['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH', 'TCP']);

export interface RegionLossDetection {
  /** Seconds until Route 53 calls the region unhealthy; both absent when it never does on its own. */
  readonly best?: number;
  readonly worst?: number;
  readonly text: string;
  readonly inputs: readonly ModelInput[];
  /** How long a resolver may keep answering with the withdrawn region. */
  readonly ttl: { readonly seconds: number; readonly input: ModelInput };
  readonly evaluateTargetHealth: boolean;
}

interface Probe {
  readonly best?: number;
  readonly worst?: number;
  readonly text: string;
  readonly inputs: readonly ModelInput[];
}

export function detectRegionLoss(t: Templates, s: ServiceView): RegionLossDetection {
  const record = s.record;
  const ttl = recordTtl(t, record);
  if (!record) return { text: 'no latency record for the origin', inputs: [], ttl, evaluateTargetHealth: false };
  const evaluateTargetHealth = record.props.AliasTarget?.EvaluateTargetHealth === true;
  if (record.props.HealthCheckId === undefined) {
    return { text: 'the record has no health check', inputs: [], ttl, evaluateTargetHealth };
  }
  return { ...probe(t, s.stack, record.props.HealthCheckId, 0), ttl, evaluateTargetHealth };
}

function probe(t: Templates, stack: StackTemplate, ref: unknown, depth: number): Probe {
  const found = t.resolve(stack, ref);
  if (!found || found.resource.Type !== 'AWS::Route53::HealthCheck' || depth > 3) {
    return { text: 'a health check outside the template (not modeled)', inputs: [] };
  }
  const config = found.props.HealthCheckConfig ?? {};
  const type = String(config.Type);
  const label = labelOf(stack, t, found) ?? `${type} check`;
  if (config.Inverted === true) {
    return { text: `${label}, inverted (healthy while its target fails)`, inputs: [tpl(`${label} Inverted`, 'true')] };
  }
  if (PROBES.has(type)) {
    const interval: number = config.RequestInterval ?? 30;
    const threshold: number = config.FailureThreshold ?? 3;
    const what = config.ResourcePath ? `${type} check of ${config.ResourcePath}` : `${type} check`;
    return {
      best: interval * threshold,
      worst: interval * threshold + interval,
      text: `Route 53 ${what}: RequestInterval × FailureThreshold = ${interval} s × ${threshold} = ${interval * threshold} s`,
      inputs: [
        tpl('Route 53 RequestInterval', interval),
        tpl('FailureThreshold', threshold),
        published('checkers not aligned: + up to one interval', 'route53Checkers'),
      ],
    };
  }
  if (type === 'CALCULATED') return calculated(t, stack, config, depth);
  const why =
    type === 'RECOVERY_CONTROL'
      ? 'an ARC routing control, set by an operator'
      : type === 'CLOUDWATCH_METRIC'
        ? alarmBehaviour(config)
        : 'does not probe the region';
  return { text: `${label}: ${why}`, inputs: [tpl(`${label} Type`, type)] };
}

/**
 * A parent is healthy while at least `HealthThreshold` children are, so it fails once
 * `children − HealthThreshold + 1` of them have; only the children that probe the region fail
 * when it is lost.
 */
function calculated(t: Templates, stack: StackTemplate, config: Record<string, any>, depth: number): Probe {
  const children: Probe[] = (config.ChildHealthChecks ?? []).map((child: unknown) => probe(t, stack, child, depth + 1));
  const threshold: number = config.HealthThreshold ?? children.length;
  const needed = children.length - threshold + 1;
  const failing = children.filter((c) => c.worst !== undefined);
  const head = `calculated check (healthy while ${threshold} of ${children.length} children are)`;
  const inputs = [
    tpl('calculated HealthThreshold', `${threshold} of ${children.length}`),
    ...children.flatMap((c) => c.inputs),
  ];
  const others = children.filter((c) => c.worst === undefined).map((c) => c.text);
  const rest = others.length > 0 ? `; ${others.join('; ')}` : '';
  if (threshold <= 0 || failing.length < needed) {
    return {
      text: `${head} never fails on its own: ${needed} children must fail and ${failing.length} probe the region${rest}`,
      inputs,
    };
  }
  const nth = (values: number[]) => values.sort((a, b) => a - b)[needed - 1];
  return {
    best: nth(failing.map((c) => c.best!)),
    worst: nth(failing.map((c) => c.worst!)),
    text: `${head} ← ${failing.map((c) => c.text).join('; ')}${rest}`,
    inputs,
  };
}

/** A health check's name from the stack output that exports it: `EvacuationSwitchHealthCheckId` → `evacuation switch check`. */
function labelOf(stack: StackTemplate, t: Templates, found: Found): string | undefined {
  const output = Object.entries(stack.outputs).find(([, o]) => t.resolve(stack, o.Value)?.id === found.id);
  const words = output?.[0].replace(/HealthCheckId$/, '').replace(/(?<=[a-z0-9])(?=[A-Z])/g, ' ');
  return words ? `${words.toLowerCase()} check` : undefined;
}

/**
 * An alarm check in the lost region: its alarm stops being evaluated, and Route 53 then reports
 * what `InsufficientDataHealthStatus` says. Only `Unhealthy` fails the region, after a time AWS
 * does not publish, so the model never counts on it.
 */
function alarmBehaviour(config: Record<string, any>): string {
  const status = String(config.InsufficientDataHealthStatus ?? 'LastKnownStatus');
  const outcome =
    status === 'Unhealthy'
      ? 'fails after an unpublished delay (not counted)'
      : `reads as ${status === 'Healthy' ? 'healthy' : 'its last status'}`;
  return `follows a CloudWatch alarm; when the region goes silent it ${outcome}`;
}

function recordTtl(t: Templates, record: Found | undefined): RegionLossDetection['ttl'] {
  const alias = record?.props.AliasTarget;
  if (record && !alias) {
    const seconds = Number(record.props.TTL ?? 300);
    return { seconds, input: tpl('record TTL', seconds) };
  }
  const target = alias && t.resolve(record.stack, alias.HostedZoneId);
  const name =
    target && target.resource.Type !== 'AWS::ElasticLoadBalancingV2::LoadBalancer'
      ? 'alias TTL (assumed as for a load balancer)'
      : 'ALB alias TTL';
  return { seconds: PUBLISHED.aliasTtl.seconds, input: published(name, 'aliasTtl') };
}
