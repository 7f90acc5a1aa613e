import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'check-region-health.sh');
const ALARM = 'blueprint-eu-west-1-region-unhealthy';

/** Runs the bake gate against a fake `aws` that answers `state` and logs its arguments. */
function bake(state: string, minutes = '0') {
  const dir = mkdtempSync(join(tmpdir(), 'bake-'));
  try {
    writeFileSync(join(dir, 'aws'), `#!/usr/bin/env bash\necho "$*" >> "${dir}/calls"\necho '${state}'\n`);
    chmodSync(join(dir, 'aws'), 0o755);
    const result = spawnSync('bash', [SCRIPT, ALARM, 'eu-west-1', minutes], {
      encoding: 'utf-8',
      env: { PATH: `${dir}:${process.env.PATH}` },
    });
    const calls = state === 'never' ? '' : readFileSync(join(dir, 'calls'), 'utf-8');
    return { ...result, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('scripts/check-region-health.sh', () => {
  test("asks CloudWatch for the region's composite alarm by name", () => {
    expect(bake('OK').calls.trim()).toBe(
      `cloudwatch describe-alarms --alarm-names ${ALARM} --alarm-types CompositeAlarm --region eu-west-1 --query CompositeAlarms[0].StateValue --output text`,
    );
  });

  test('passes a healthy region', () => {
    const run = bake('OK');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/eu-west-1 stayed healthy for 0 min/);
  });

  test('fails a region whose alarm is in ALARM', () => {
    const run = bake('ALARM');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/is in ALARM: the rollout stops here/);
  });

  test('fails when the alarm does not exist, so a wrong name cannot pass the gate', () => {
    const run = bake('None');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/no composite alarm named blueprint-eu-west-1-region-unhealthy/);
  });

  test('rejects a bake time that is not a whole number of minutes', () => {
    expect(bake('never', 'ten').status).toBe(2);
  });
});
