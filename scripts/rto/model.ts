/**
 * The modeled recovery table: for each failure mode, how it is detected and recovered, its RTO
 * and RPO, and whether they meet the targets. A pure function of the synthesized templates; the
 * only other numbers are AWS's published figures and our assumptions, both in sources.ts.
 * This file holds the compute tier's rows; data-rows.ts the data tier's.
 */
import { Estimate, RecoveryRow, RegionRow, apiChecks, assumed, qualitative, range, secs, tpl, verdict } from './common';
import { cacheFailsOver, cacheNode, dbWriter, regionData, slowestWriterFailover } from './data-rows';
import { detectRegionLoss } from './dns';
import { ASSUMED, TARGETS } from './sources';
import { StackTemplate, Templates } from '../common/assembly';
import { DataView, ServiceView, dataViews, serviceViews } from './views';

export type { Estimate, InputSource, ModelInput, RecoveryRow, RowId, Verdict } from './common';
export { secs, verdict } from './common';

/** The recovery table of one synthesized app. */
export function modelRecovery(stacks: readonly StackTemplate[]): RecoveryRow[] {
  const t = new Templates(stacks);
  const services = serviceViews(t);
  const data = dataViews(t);
  if (services.length === 0 || data.length === 0) {
    throw new Error('the templates hold no Service stack (ECS service behind a load balancer) or no Data stack');
  }
  const dataIn = (region: string) => data.find((d) => d.region === region);
  const perRegion = (build: (s: ServiceView, d: DataView) => RegionRow) =>
    worstOf(
      services.flatMap((s) => (dataIn(s.region) ? [{ region: s.region, row: build(s, dataIn(s.region)!) }] : [])),
    );
  const primary = data.find((d) => d.clusters.some((c) => c.role === 'primary')) ?? data[0];
  return [
    perRegion((s) => apiTaskLoss(s)),
    perRegion((s) => workerTaskLoss(t, s)),
    perRegion((s, d) => azLoss(t, s, d)),
    worstOf(data.map((d) => ({ region: d.region, row: cacheNode(d) }))),
    { ...dbWriter(primary), scope: `primary region (${primary.region})` },
    regionStateless(t, services),
    regionData(t, primary, data, services),
  ];
}

function apiTaskLoss(s: ServiceView): RegionRow {
  const c = apiChecks(s);
  const grace: number = s.api.props.HealthCheckGracePeriodSeconds ?? 0;
  const deployment = s.api.props.DeploymentConfiguration ?? {};
  return {
    id: 'task-loss-api',
    failureMode: 'Task loss: an `api` task crashes or hangs',
    detection: `a task that exits is deregistered by ECS at once; a hung one fails the ALB health check after ${c.interval} s × ${c.unhealthy} = ${c.out} s (up to ${c.out + c.interval} s unaligned)`,
    recovery: `the ALB routes to the healthy tasks only; ECS starts a replacement (MinimumHealthyPercent ${deployment.MinimumHealthyPercent ?? 'default'}), in service after task start + ${c.healthy} × ${c.interval} s; health-check grace ${grace} s`,
    rto: {
      bestSeconds: c.out,
      worstSeconds: c.out + c.interval,
      summary: `${range(c.out, c.out + c.interval)} until no request reaches the task; full capacity after ${range(c.out + c.inService, c.out + c.interval + c.inService)}`,
    },
    rpo: {
      worstSeconds: 0,
      summary: `0: the task holds no state; requests in flight on a crashed task fail and are retried by the client, a stopping task drains them for ${c.deregistration} s (stop timeout ${s.stopTimeoutSeconds ?? 30} s)`,
    },
    verdicts: [],
    inputs: [
      ...c.inputs,
      tpl('deregistration_delay.timeout_seconds', c.deregistration),
      tpl('HealthCheckGracePeriodSeconds', grace),
      tpl('api MinCapacity', s.apiMinTasks ?? 'unset'),
      assumed('task start', ASSUMED.taskStart.seconds),
    ],
  };
}

function workerTaskLoss(t: Templates, s: ServiceView): RegionRow {
  const queue = s.workQueue?.props;
  if (!s.worker || !queue) {
    return qualitative(
      'task-loss-worker',
      'Task loss: a `worker` task',
      'no worker service or work queue in the template',
    );
  }
  const visibility: number = queue.VisibilityTimeout ?? 30;
  const receives: number | undefined = queue.RedrivePolicy?.maxReceiveCount;
  const dlq = s.workQueue && t.resolve(s.workQueue.stack, queue.RedrivePolicy?.deadLetterTargetArn);
  const dlqDays = dlq ? (dlq.props.MessageRetentionPeriod ?? 345600) / 86400 : undefined;
  const others = (s.workerMinTasks ?? 1) >= 2;
  const worst = others ? visibility : Math.max(visibility, ASSUMED.taskStart.seconds);
  return {
    id: 'task-loss-worker',
    failureMode: 'Task loss: a `worker` task dies mid-job',
    detection: 'ECS sees the task stop; the message it held was never deleted',
    recovery: `the message becomes visible again after the queue's VisibilityTimeout (${visibility} s) and ${others ? 'another worker takes it' : 'the replacement task takes it'}; ECS replaces the task${receives ? `; after ${receives} receives a message moves to the dead-letter queue${dlqDays ? ` (kept ${dlqDays} days)` : ''}` : ''}`,
    rto: { worstSeconds: worst, summary: `≤ ${secs(worst)} delay for the job in flight; queued jobs go on` },
    rpo: {
      worstSeconds: 0,
      summary:
        '0 for queued work: SQS keeps a message until a worker deletes it (at least once; handlers are idempotent)',
    },
    verdicts: [],
    inputs: [
      tpl('work queue VisibilityTimeout', visibility),
      tpl('maxReceiveCount', receives ?? 'none'),
      tpl('worker MinCapacity', s.workerMinTasks ?? 'unset'),
      ...(others ? [] : [assumed('task start', ASSUMED.taskStart.seconds)]),
    ],
  };
}

function azLoss(t: Templates, s: ServiceView, d: DataView): RegionRow {
  const c = apiChecks(s);
  const zones = d.zones.length;
  const lbZones = s.loadBalancer ? (t.availabilityZones(s.stack, s.loadBalancer.props.Subnets)?.length ?? 0) : 0;
  const subnets = s.api.props.NetworkConfiguration?.AwsvpcConfiguration?.Subnets;
  const taskZones = t.availabilityZones(s.stack, subnets)?.length ?? 0;
  const minTasks = s.apiMinTasks ?? 1;
  const lost = Math.ceil(minTasks / Math.max(taskZones, 1));
  const natZones = new Set(d.natZones).size;
  const natPerAz = natZones >= zones;
  const db = slowestWriterFailover(d);
  const cacheAuto = cacheFailsOver(d);
  const zonalShift = (s.loadBalancer?.props.LoadBalancerAttributes ?? []).find(
    (a: { Key: string }) => a.Key === 'zonal_shift.config.enabled',
  )?.Value;
  const worst = natPerAz && lbZones >= 2 && taskZones >= 2 ? Math.max(c.out + c.interval, db.seconds) : null;
  const natNoun = d.natKind === 'instance' ? 'NAT instance' : 'NAT gateway';
  const nat =
    d.natZones.length === 0
      ? 'no NAT gateways'
      : natPerAz
        ? `a ${natNoun} in each of the ${zones} AZs`
        : `${d.natZones.length} ${natNoun}(s) for ${zones} AZs: losing an AZ with one cuts egress for the AZs routed through it${d.interfaceEndpoints ? ` (${d.interfaceEndpoints} interface endpoints still reach AWS APIs)` : ', and there are no interface endpoints'}`;
  return {
    id: 'az-loss',
    failureMode: 'AZ loss',
    detection: `ALB health checks (${range(c.out, c.out + c.interval)}); Aurora and ElastiCache detect their own failed nodes`,
    recovery: `ALB in ${lbZones} AZs and \`api\` tasks in ${taskZones}: up to ${lost} of ${minTasks} minimum tasks lost until ECS replaces them elsewhere; ${nat}; a writer in the lost AZ: ${db.text}; a cache primary in it: ${cacheAuto ? 'replica promoted' : 'no automatic failover'}${zonalShift === 'true' ? '; a gray failure can be drained with ARC zonal shift' : ''}`,
    rto: {
      worstSeconds: worst,
      summary:
        worst === null
          ? 'unbounded for whatever the lost AZ alone provided (see recovery) until the AZ returns'
          : `≤ ${secs(worst)} (${db.seconds >= c.out + c.interval ? 'writer failover' : 'ALB health checks'}); capacity back after ${range(c.out + c.inService, c.out + c.interval + c.inService)}`,
    },
    rpo: {
      worstSeconds: 0,
      summary: '0 for the database (one cluster volume across AZs); the cache is not a system of record',
    },
    verdicts: [],
    inputs: [
      tpl('AZs (subnets)', zones),
      tpl('ALB AZs', lbZones),
      tpl('api task AZs', taskZones),
      tpl(d.natKind === 'instance' ? 'NAT instances' : 'NAT gateways', d.natZones.length),
      tpl('zonal_shift.config.enabled', zonalShift ?? 'unset'),
      ...db.inputs,
      ...c.inputs,
      assumed('task start', ASSUMED.taskStart.seconds),
    ],
  };
}

function regionStateless(t: Templates, services: readonly ServiceView[]): RecoveryRow {
  const failureMode = 'Region loss: stateless traffic';
  const target = TARGETS.statelessRegionFailover;
  if (services.length < 2) {
    const rto = { worstSeconds: null, summary: 'no other region to take the traffic: down until the region returns' };
    return {
      id: 'region-stateless',
      failureMode,
      scope: `${services.length} region`,
      detection: 'Route 53 health check (one region: it never changes an answer)',
      recovery: 'none',
      rto,
      rpo: { summary: 'n/a' },
      verdicts: [verdict('RTO', rto, target)],
      inputs: [tpl('serving regions', services.length)],
    };
  }
  const rows = services.map((s) => {
    const dns = detectRegionLoss(t, s);
    const ttl = dns.ttl;
    const rto: Estimate =
      dns.best === undefined || dns.worst === undefined
        ? { worstSeconds: null, summary: `never withdrawn automatically: ${dns.text}` }
        : {
            bestSeconds: dns.best + ttl.seconds,
            worstSeconds: dns.worst + ttl.seconds,
            summary: `${range(dns.best + ttl.seconds, dns.worst + ttl.seconds)} (detection ${range(dns.best, dns.worst)} + TTL ${ttl.seconds} s)`,
          };
    const row: RegionRow = {
      id: 'region-stateless',
      failureMode,
      detection: `${dns.text}; checkers are not aligned: up to one interval more${dns.evaluateTargetHealth ? '; also withdrawn when the ALB has no healthy target (EvaluateTargetHealth)' : ''}`,
      recovery: `the region's latency record for the origin is withdrawn; resolvers drop the cached answer within its TTL (${ttl.seconds} s${ttl.input.source === 'published' ? ', fixed for an ALB alias' : ''}); ${services.length - 1} other regions serve`,
      rto,
      rpo: {
        worstSeconds: 0,
        summary: "0 for data; sessions held only in the lost region's cache are lost (users sign in again)",
      },
      verdicts: [verdict('RTO', rto, target)],
      inputs: [...dns.inputs, ttl.input, tpl('serving regions', services.length)],
    };
    return { region: s.region, row };
  });
  return worstOf(rows);
}

/** The row of the region that recovers slowest; the scope says whether the regions differ. */
function worstOf(rows: readonly { region: string; row: RegionRow }[]): RecoveryRow {
  const rank = (row: RegionRow) => row.rto.worstSeconds ?? Number.POSITIVE_INFINITY;
  const worst = rows.reduce((a, b) => (rank(b.row) > rank(a.row) ? b : a));
  const alike = rows.every((r) => JSON.stringify(r.row) === JSON.stringify(worst.row));
  const scope = alike
    ? rows.length === 1
      ? worst.region
      : `each of ${rows.length} regions`
    : `worst of ${rows.length} regions: ${worst.region}`;
  return { ...worst.row, scope };
}
