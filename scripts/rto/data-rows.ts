/**
 * The data tier's rows: a cache node, a database writer, and the loss of the primary region
 * (Aurora global database failover), plus the in-region failover facts the AZ row shares.
 */
import { detectRegionLoss } from './dns';
import {
  Estimate,
  RecoveryRow,
  RegionRow,
  apiChecks,
  assumed,
  published,
  qualitative,
  range,
  secs,
  tpl,
  verdict,
} from './common';
import { ASSUMED, PUBLISHED, PublishedKey, TARGETS } from './sources';
import { Templates } from '../common/assembly';
import { DataView, ServiceView } from './views';

/** The slowest in-region writer failover among this region's clusters. */
export function slowestWriterFailover(d: DataView) {
  const single = d.clusters.filter((c) => c.instances < 2);
  const key: PublishedKey = single.length > 0 ? 'auroraRecreate' : 'auroraFailover';
  return {
    seconds: PUBLISHED[key].seconds,
    key,
    text:
      single.length > 0
        ? `no replica in ${single.map((c) => c.identifier).join(', ')}: the instance is recreated (< ${secs(PUBLISHED.auroraRecreate.seconds)})`
        : `a replica is promoted (< ${secs(PUBLISHED.auroraFailover.seconds)}, often < 30 s)`,
    inputs: [
      tpl('DB instances per cluster', [...new Set(d.clusters.map((c) => c.instances))].join(' / ')),
      published(key === 'auroraRecreate' ? 'Aurora writer recreated' : 'Aurora failover', key),
    ],
  };
}

export function cacheFailsOver(d: DataView): boolean {
  const rg = d.cache?.props;
  const nodes = rg?.NumCacheClusters ?? (rg?.ReplicasPerNodeGroup ?? 0) + 1;
  return rg?.AutomaticFailoverEnabled === true && nodes >= 2;
}

export function cacheNode(d: DataView): RegionRow {
  const rg = d.cache?.props;
  if (!rg) return qualitative('cache-node', 'Cache node failure', 'no ElastiCache replication group in the template');
  const auto = cacheFailsOver(d);
  const cacheRpo = {
    summary:
      'at most the replication lag of the lost writes; the cache is not a system of record (every entry has a TTL and refills from the database)',
  };
  return {
    id: 'cache-node',
    failureMode: 'Cache primary node failure',
    detection: 'ElastiCache monitors the primary',
    recovery: auto
      ? 'the replica with the least lag is promoted and the primary endpoint follows it; the failed node is replaced; meanwhile reads fall back to the database, and logins and writes (sessions) answer 503, as does `/readyz`: a failover shorter than the detection time of the DNS check keeps the region in DNS'
      : 'no automatic failover: ElastiCache replaces the node; reads fall back to the database meanwhile',
    rto: auto
      ? {
          worstSeconds: PUBLISHED.elastiCacheFailover.seconds,
          summary: `writes resume in "a few seconds" (read as ${secs(PUBLISHED.elastiCacheFailover.seconds)}); reads never stop (database fallback)`,
        }
      : {
          worstSeconds: null,
          summary: 'until the node is replaced (no published time); reads never stop (database fallback)',
        },
    rpo: cacheRpo,
    verdicts: [],
    inputs: [
      tpl('AutomaticFailoverEnabled', String(rg.AutomaticFailoverEnabled ?? false)),
      tpl('MultiAZEnabled', String(rg.MultiAZEnabled ?? false)),
      tpl('nodes', rg.NumCacheClusters ?? `${rg.NumNodeGroups ?? 1} shard(s) × ${(rg.ReplicasPerNodeGroup ?? 0) + 1}`),
      ...(auto ? [published('ElastiCache failover', 'elastiCacheFailover')] : []),
    ],
  };
}

export function dbWriter(primary: DataView): RegionRow {
  const writers = primary.clusters.filter((c) => c.role !== 'secondary');
  const db = slowestWriterFailover({ ...primary, clusters: writers });
  return {
    id: 'db-writer',
    failureMode: 'Database writer failure (each shard)',
    detection: 'Aurora monitors the writer instance',
    recovery: `${db.text}; the cluster endpoint follows the new writer and the services retry the failed statements (25006 and connection errors are transient)`,
    rto: {
      worstSeconds: db.seconds,
      summary: db.key === 'auroraFailover' ? `< ${secs(db.seconds)}, often < 30 s` : `< ${secs(db.seconds)}`,
    },
    rpo: { worstSeconds: 0, summary: '0: writer and replicas share one cluster volume in the region' },
    verdicts: [],
    inputs: [
      ...writers.map((c) => tpl(c.identifier, `${c.instances} instance(s)`)),
      published(db.key === 'auroraFailover' ? 'Aurora failover' : 'Aurora writer recreated', db.key),
    ],
  };
}

export function regionData(
  t: Templates,
  primary: DataView,
  data: readonly DataView[],
  services: readonly ServiceView[],
) {
  const failureMode = 'Region loss: data (primary region lost)';
  const shards = primary.clusters.filter((c) => c.role === 'primary');
  const secondaryRegions = data
    .filter((d) => d !== primary)
    .filter((d) =>
      shards.every((s) => d.clusters.some((c) => c.role === 'secondary' && c.globalIdentifier === s.globalIdentifier)),
    );
  const boundParameter = shards.map((s) => s.parameters['rds.global_db_rpo']).find((v) => v !== undefined);
  const rpo: Estimate =
    shards.length === 0 || secondaryRegions.length === 0
      ? {
          worstSeconds: null,
          summary: 'no copy outside the region (backups stay in it): everything written there until it returns',
        }
      : boundParameter !== undefined
        ? {
            worstSeconds: Number(boundParameter),
            summary: `≤ ${boundParameter} s (rds.global_db_rpo); 0 with a planned switchover`,
          }
        : {
            worstSeconds: PUBLISHED.auroraGlobalLag.seconds,
            strictlyBelow: true,
            summary: '< 1 s typically: the replication lag at the failure (not a bound); 0 with a planned switchover',
          };
  const primaryService = services.find((s) => s.region === primary.region);
  const primaryDns = primaryService && services.length > 1 ? detectRegionLoss(t, primaryService) : undefined;
  const candidates = secondaryRegions.flatMap((d) => services.filter((s) => s.region === d.region));
  // With writer discovery in every candidate's shard map (decision 14) the running tasks move their
  // writes once the global writer endpoint resolves to their region; otherwise new tasks must start.
  const repoint = candidates.map((s) => {
    const checks = apiChecks(s);
    const follows = s.writerCheckSeconds !== undefined;
    const seconds = follows ? ASSUMED.globalWriterDns.seconds + s.writerCheckSeconds! : checks.inService;
    return { region: s.region, checks, follows, seconds, checkSeconds: s.writerCheckSeconds };
  });
  const slowest = repoint.sort((a, b) => b.seconds - a.seconds)[0];
  const failover = PUBLISHED.auroraGlobalFailover.seconds;
  const rto: Estimate = slowest
    ? {
        worstSeconds: failover + slowest.seconds,
        summary: slowest.follows
          ? `${secs(failover + slowest.seconds)} from the decision to fail over: managed failover ${secs(failover)} + the global writer endpoint's DNS ${secs(ASSUMED.globalWriterDns.seconds)} + the tasks' writer check ${secs(slowest.checkSeconds!)}, no deploy`
          : `${secs(failover + slowest.seconds)} from the decision to fail over: managed failover ${secs(failover)} + new tasks in service ${secs(slowest.seconds)}`,
      }
    : { worstSeconds: null, summary: 'no secondary region to promote: writes stop until the region returns' };
  const row: RecoveryRow = {
    id: 'region-data',
    failureMode,
    scope: `${shards.length} shard(s), primary ${primary.region}, ${secondaryRegions.length} secondary region(s)`,
    detection: slowest
      ? `forwarded writes fail in every region${primaryDns?.worst !== undefined ? `; the primary's origin check withdraws its traffic after ${range(primaryDns.best!, primaryDns.worst)}` : ''}; promoting a secondary is an operator's decision (runbook), and the RTO clock here starts at it`
      : 'the database is lost with its region',
    recovery: slowest
      ? slowest.follows
        ? "`aws rds failover-global-cluster --allow-data-loss` per shard, in parallel; the promoted region's tasks see the global writer endpoint resolve to their own cluster and write to it (no deploy, no new tasks)"
        : "`aws rds failover-global-cluster --allow-data-loss` per shard, in parallel; then the promoted region's services get the new writer endpoint (a task-definition revision: a secondary's shard map writes to its reader endpoint)"
      : 'none: no secondary region holds the shards',
    rto,
    rpo,
    verdicts: [verdict('RPO', rpo, TARGETS.dataRpo), verdict('RTO', rto, TARGETS.promotedWrites)],
    inputs: [
      tpl('global clusters', shards.map((s) => s.globalIdentifier).join(', ') || 'none'),
      tpl('secondary regions with every shard', secondaryRegions.map((d) => d.region).join(', ') || 'none'),
      ...(slowest
        ? [
            tpl('rds.global_db_rpo', boundParameter ?? 'unset'),
            ...slowest.checks.inputs.map((i) => ({ ...i, name: `${slowest.region} ${i.name}` })),
            published('cross-Region lag', 'auroraGlobalLag'),
            published('managed failover', 'auroraGlobalFailover'),
            ...(slowest.follows
              ? [
                  assumed('global writer endpoint DNS', ASSUMED.globalWriterDns.seconds),
                  tpl(`${slowest.region} writer check (DB_WRITER_CHECK_MS / 1000)`, slowest.checkSeconds!),
                ]
              : [assumed('task start', ASSUMED.taskStart.seconds)]),
          ]
        : []),
    ],
  };
  return row;
}
