import { Meter, fixed, props } from './kit';

/** Meters of monitoring: alarms (including those target tracking creates), dashboards, custom metrics. */
export const OBSERVABILITY_METERS: Readonly<Record<string, Meter>> = {
  'AWS::CloudWatch::Alarm': (input) => {
    const { metrics, highResolution } = alarmMetrics(props(input));
    return highResolution
      ? [
          fixed(
            input,
            'CloudWatch alarm metrics (high resolution)',
            'cloudwatch.highResAlarmMetricMonth',
            metrics,
            'alarm metrics',
          ),
        ]
      : [fixed(input, 'CloudWatch alarm metrics', 'cloudwatch.alarmMetricMonth', metrics, 'alarm metrics')];
  },

  'AWS::ApplicationAutoScaling::ScalingPolicy': (input) => {
    const p = props(input);
    if (p.PolicyType !== 'TargetTrackingScaling') return [];
    const config = p.TargetTrackingScalingPolicyConfiguration ?? {};
    const alarms = config.DisableScaleIn ? 1 : 2;
    const custom: any[] = config.CustomizedMetricSpecification?.Metrics ?? [];
    const metrics = Math.max(1, custom.filter((m) => m.MetricStat).length);
    return [
      fixed(
        input,
        'CloudWatch alarm metrics (target tracking)',
        'cloudwatch.alarmMetricMonth',
        alarms * metrics,
        'alarm metrics',
      ),
    ];
  },

  'AWS::CloudWatch::CompositeAlarm': (input) => [
    fixed(input, 'CloudWatch composite alarms', 'cloudwatch.compositeAlarmMonth', 1, 'alarms'),
  ],

  'AWS::CloudWatch::Dashboard': (input) => [
    fixed(input, 'CloudWatch dashboards', 'cloudwatch.dashboardMonth', 1, 'dashboards'),
  ],

  'AWS::Logs::MetricFilter': (input) => [
    fixed(
      input,
      'Custom metrics (log metric filters)',
      'cloudwatch.customMetricMonth',
      (props(input).MetricTransformations ?? []).length,
      'metrics',
    ),
  ],
};

/** Billed metrics of one alarm: each MetricStat of a metric-math alarm, an anomaly band counts 3. */
function alarmMetrics(properties: Record<string, any>): { metrics: number; highResolution: boolean } {
  const queries: any[] = properties.Metrics ?? [];
  if (queries.length === 0) return { metrics: 1, highResolution: Number(properties.Period ?? 60) < 60 };
  const stats = queries.filter((q) => q.MetricStat);
  const bands = queries.filter(
    (q) => typeof q.Expression === 'string' && q.Expression.includes('ANOMALY_DETECTION_BAND'),
  );
  return {
    metrics: Math.max(1, stats.length + 2 * bands.length),
    highResolution: stats.some((q) => Number(q.MetricStat.Period ?? 60) < 60),
  };
}
