import { allStacks, stacksOf } from '../../scripts/common/assembly';
import { templatesOf } from '../../scripts/cost';
import { assumptionsFor } from '../../scripts/cost/assumptions';
import { MetricSeries } from '../../scripts/cost/metric-series';
import { Estimate, estimate } from '../../scripts/cost/model';
import { PriceTable } from '../../scripts/cost/prices';
import { modelRecovery } from '../../scripts/rto/model';
import { buildApp } from '../helpers';

const ACCOUNT = '123456789012';
/** What turns pipeline mode on, as `cdk synth -c` gives it; the app's stacks then live in stages. */
const PIPELINE_MODE = {
  'delivery.pipeline': 'true',
  account: ACCOUNT,
  'delivery.connectionArn': `arn:aws:codeconnections:us-east-1:${ACCOUNT}:connection/00000000-0000-0000-0000-000000000000`,
};

const synth = (overrides: Record<string, unknown>) => buildApp(overrides, { checks: false }).app.synth();

describe('the scripts read every stack, stages included (delivery.pipeline = true)', () => {
  let direct: ReturnType<typeof synth>;
  let piped: ReturnType<typeof synth>;

  beforeAll(() => {
    direct = synth({ profile: 'dev' });
    piped = synth({ profile: 'dev', ...PIPELINE_MODE });
  });

  test("the pipeline app's top level holds only the pipeline stack; allStacks finds the stages' stacks", () => {
    const regional = (names: string[]) => names.filter((name) => /-(Data|Service)-|-Edge$/.test(name)).length;
    expect(regional(piped.stacks.map((s) => s.stackName))).toBe(0);
    expect(regional(allStacks(piped).map((s) => s.stackName))).toBe(
      regional(allStacks(direct).map((s) => s.stackName)),
    );
  });

  test('npm run cost prices the same regional resources with the pipeline on, plus the pipeline', () => {
    const prices = PriceTable.load();
    const metricSeries = MetricSeries.load();
    const price = (assembly: ReturnType<typeof synth>): Estimate =>
      estimate('dev', templatesOf(assembly), assumptionsFor('dev'), prices, metricSeries);
    const [withoutPipeline, withPipeline] = [price(direct), price(piped)];
    for (const item of ['Aurora Serverless v2 capacity', 'Fargate arm64 vCPU', 'Custom metrics (service EMF)']) {
      const quantity = (e: Estimate) => e.lines.find((l) => l.item === item)?.quantity;
      expect(quantity(withPipeline)).toBe(quantity(withoutPipeline));
    }
    expect(withPipeline.total).toBeGreaterThan(withoutPipeline.total);
  });

  test('npm run rto models the same failure modes with the pipeline on', () => {
    const rows = (assembly: ReturnType<typeof synth>) => modelRecovery(stacksOf(assembly)).map((row) => row.rto);
    expect(rows(direct).length).toBeGreaterThan(3);
    expect(rows(piped)).toEqual(rows(direct));
  });
});
