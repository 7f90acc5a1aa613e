import { Meter, fixed, props, refOf } from './kit';

/** Fargate bills a task from its image pull to its stop, by the second, one minute at least. */
const FARGATE_MINIMUM_MINUTES = 1;
const MINUTES_PER_UNIT: Readonly<Record<string, number>> = { minute: 1, hour: 60, day: 1440 };

/**
 * Meters of scheduled work: an EventBridge Scheduler schedule that starts a Fargate task (the
 * consistency probe). A run is billed the Fargate minimum, which a probe run fits in (its wait
 * is under a minute); the invocations stay within Scheduler's free 14 million a month.
 */
export const SCHEDULED_METERS: Readonly<Record<string, Meter>> = {
  'AWS::Scheduler::Schedule': (input) => {
    const p = props(input);
    const ecs = p.Target?.EcsParameters;
    const every = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(String(p.ScheduleExpression ?? ''));
    if (!ecs || !every) return [];
    const taskDefinition = input.stack.resources[refOf(ecs.TaskDefinitionArn) ?? '']?.Properties ?? {};
    const intervalMinutes = Number(every[1]) * MINUTES_PER_UNIT[every[2]!]!;
    // Share of the month a task of the schedule is billed for.
    const duty = Math.min(1, FARGATE_MINIMUM_MINUTES / intervalMinutes) * Number(ecs.TaskCount ?? 1);
    const arch = taskDefinition.RuntimePlatform?.CpuArchitecture === 'ARM64' ? 'arm64' : 'x86_64';
    const vcpu = Number(taskDefinition.Cpu) / 1024;
    const memoryGb = Number(taskDefinition.Memory) / 1024;
    const label = `Fargate ${arch} (scheduled tasks)`;
    const environment: { Name: string; Value?: unknown }[] = (taskDefinition.ContainerDefinitions ?? []).flatMap(
      (container: any) => container.Environment ?? [],
    );
    // The probe's EMF series: VisibleAfterMs, StaleReads and ProbeErrors per reader region.
    const targets = environment.find((variable) => variable.Name === 'PROBE_TARGETS')?.Value;
    const readers = typeof targets === 'string' ? (JSON.parse(targets) as unknown[]).length : 0;
    return [
      fixed(input, `${label} vCPU`, `fargate.${arch}.vcpuHour`, duty * vcpu, 'vCPU', { hours: true }),
      fixed(input, `${label} memory`, `fargate.${arch}.gbHour`, duty * memoryGb, 'GB', { hours: true }),
      ...(readers > 0
        ? [
            fixed(
              input,
              'Custom metrics (consistency probe EMF)',
              'cloudwatch.customMetricMonth',
              3 * readers,
              'metrics',
            ),
          ]
        : []),
    ];
  },
};
