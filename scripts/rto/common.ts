/**
 * What the rows of the recovery table are made of, and the small helpers every row builder uses.
 */
import { ASSUMED, PUBLISHED, PublishedFigure, PublishedKey, Target } from './sources';
import { ServiceView } from './views';

/** Where a number came from. */
export type InputSource = 'template' | 'published' | 'assumed';

export interface ModelInput {
  readonly name: string;
  readonly value: string;
  readonly source: InputSource;
  /** The published figure it is, for `published` inputs. */
  readonly ref?: PublishedKey;
}

export interface Estimate {
  readonly bestSeconds?: number;
  /** Seconds at worst; null when unbounded (nothing recovers it), absent when not a number. */
  readonly worstSeconds?: number | null;
  /** The real value stays strictly below `worstSeconds` ("under a second"). */
  readonly strictlyBelow?: boolean;
  readonly summary: string;
}

export interface Verdict {
  readonly on: 'RTO' | 'RPO';
  readonly target: Target;
  readonly meets: boolean;
  /** Target minus the modeled worst case, in seconds; negative when over, null when unbounded. */
  readonly marginSeconds: number | null;
}

export type RowId =
  'task-loss-api' | 'task-loss-worker' | 'az-loss' | 'cache-node' | 'db-writer' | 'region-stateless' | 'region-data';

export interface RecoveryRow {
  readonly id: RowId;
  readonly failureMode: string;
  /** Which regions the row stands for: all alike, or the worst of them. */
  readonly scope: string;
  readonly detection: string;
  readonly recovery: string;
  readonly rto: Estimate;
  readonly rpo: Estimate;
  readonly verdicts: readonly Verdict[];
  readonly inputs: readonly ModelInput[];
}

/** A row before regions are merged: the same failure mode in one region. */
export type RegionRow = Omit<RecoveryRow, 'scope'>;

/** A Fargate task started, in service once it has passed the target group's healthy checks. */
export function apiChecks(s: ServiceView) {
  const tg = s.targetGroup.props;
  const interval: number = tg.HealthCheckIntervalSeconds ?? 30;
  const unhealthy: number = tg.UnhealthyThresholdCount ?? 2;
  const healthy: number = tg.HealthyThresholdCount ?? 5;
  const attribute = (tg.TargetGroupAttributes ?? []).find(
    (a: { Key: string }) => a.Key === 'deregistration_delay.timeout_seconds',
  );
  return {
    interval,
    unhealthy,
    healthy,
    deregistration: attribute ? Number(attribute.Value) : 300,
    out: interval * unhealthy,
    inService: ASSUMED.taskStart.seconds + healthy * interval,
    inputs: [
      tpl('target group HealthCheckIntervalSeconds', interval),
      tpl('UnhealthyThresholdCount', unhealthy),
      tpl('HealthyThresholdCount', healthy),
    ],
  };
}

export function verdict(on: 'RTO' | 'RPO', estimate: Estimate, target: Target): Verdict {
  const worst = estimate.worstSeconds;
  if (worst === undefined || worst === null) return { on, target, meets: false, marginSeconds: null };
  const meets = target.inclusive || estimate.strictlyBelow ? worst <= target.seconds : worst < target.seconds;
  return { on, target, meets, marginSeconds: target.seconds - worst };
}

export function qualitative(id: RowId, failureMode: string, why: string): RegionRow {
  return {
    id,
    failureMode,
    detection: why,
    recovery: why,
    rto: { summary: 'not modeled' },
    rpo: { summary: 'not modeled' },
    verdicts: [],
    inputs: [],
  };
}

export const tpl = (name: string, value: string | number): ModelInput => ({
  name,
  value: String(value),
  source: 'template',
});
export const assumed = (name: string, seconds: number): ModelInput => ({
  name,
  value: secs(seconds),
  source: 'assumed',
});
export const published = (name: string, ref: PublishedKey): ModelInput => {
  const figure: PublishedFigure = PUBLISHED[ref];
  const value = figure.display ?? (figure.seconds === undefined ? '' : secs(figure.seconds));
  return { name, value, source: 'published', ref };
};

/** `45 s`, `4 min 20 s`, `10 min`. */
export function secs(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

export function range(best: number, worst: number): string {
  if (best === worst) return secs(best);
  return best < 120 && worst < 120 ? `${best}–${worst} s` : `${secs(best)} – ${secs(worst)}`;
}
