import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { probeMetric } from '../consistency-probe';

export interface ConsistencyMatrixProps {
  /** The probes' metrics namespace (`ConsistencyProbe.metricsNamespace`). */
  readonly namespace: string;
  /** Every serving region: each is a writer row and a reader column. */
  readonly regions: readonly string[];
  /**
   * The staleness bound, shown as a line on the lag graph.
   * @default none
   */
  readonly staleAfter?: Duration;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Rows of widgets for a dashboard: the (writer → reader) matrix of the consistency probes, one
 * row per writer region with one value per reader (worst time to visible, stale reads, probe
 * errors over five minutes), then every pair's time to visible over time. Metrics are addressed
 * by name and region, so the rows fit a dashboard in any region.
 */
export function consistencyMatrixWidgets(props: ConsistencyMatrixProps): cloudwatch.IWidget[][] {
  const { namespace, regions } = props;
  const pairs = (writer: string, name: 'VisibleAfterMs' | 'StaleReads' | 'ProbeErrors') =>
    regions.map((reader) => probeMetric(namespace, name, writer, reader, { period: FIVE_MINUTES }));
  const value = (title: string, metrics: cloudwatch.IMetric[]) =>
    new cloudwatch.SingleValueWidget({ title, metrics, width: 8, height: 3 });
  return [
    [
      new cloudwatch.TextWidget({
        markdown:
          '## Cross-region consistency (probe)\nEach region writes its marker every minute and reads it in every region. A row is a writer, a value a reader. Stale reads: answers still old after the bound (split brain, broken invalidation). Probe errors: no verdict (region down, probe broken). docs/decisions/0013.',
        width: 24,
        height: 2,
      }),
    ],
    ...regions.map((writer) => [
      value(`${writer} writes: ms until visible (worst, 5 min)`, pairs(writer, 'VisibleAfterMs')),
      value(`${writer} writes: stale reads (5 min)`, pairs(writer, 'StaleReads')),
      value(`${writer} writes: probe errors (5 min)`, pairs(writer, 'ProbeErrors')),
    ]),
    [
      new cloudwatch.GraphWidget({
        title: 'Time until visible, every pair (ms, worst per minute)',
        left: regions.flatMap((writer) =>
          regions.map((reader) => probeMetric(namespace, 'VisibleAfterMs', writer, reader)),
        ),
        leftAnnotations: props.staleAfter
          ? [{ value: props.staleAfter.toMilliseconds(), label: 'staleness bound', color: '#d62728' }]
          : undefined,
        width: 24,
        height: 6,
      }),
    ],
  ];
}
