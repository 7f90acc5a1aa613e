import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GITHUB_DEPLOY_ENVIRONMENT } from '../lib/stacks/github-oidc-stack';

// js-yaml is already installed (through jest); it ships no types.
const { safeLoad } = require('js-yaml') as { safeLoad: (text: string) => unknown };

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly id?: string;
}
interface Job {
  readonly needs?: string | string[];
  readonly if?: string;
  readonly environment?: string;
  readonly permissions?: Record<string, string>;
  readonly services?: Record<string, { image: string; ports?: string[] }>;
  readonly env?: Record<string, string>;
  readonly strategy?: { 'max-parallel'?: number; 'fail-fast'?: boolean; matrix?: Record<string, unknown> };
  readonly outputs?: Record<string, string>;
  readonly steps: Step[];
}
interface Workflow {
  readonly name: string;
  readonly on: Record<string, unknown>;
  readonly permissions: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const ROOT = join(__dirname, '..');
const read = (name: string) => readFileSync(join(ROOT, '.github', 'workflows', name), 'utf-8');
const load = (name: string) => safeLoad(read(name)) as Workflow;
const runs = (job: Job) => job.steps.filter((s) => s.run !== undefined).map((s) => s.run!.trim());
const uses = (job: Job) => job.steps.filter((s) => s.uses !== undefined).map((s) => s.uses!);

/** The README's quickstart commands, in order. */
const README_COMMANDS = readFileSync(join(ROOT, 'README.md'), 'utf-8')
  .split('## Quickstart')[1]
  .split('```sh')[1]
  .split('```')[0]
  .trim()
  .split('\n')
  .map((line) => line.replace(/#.*$/, '').trim());

describe('.github/workflows', () => {
  test.each(['ci.yml', 'deploy.yml'])('%s parses as YAML and pins every action to a major version', (name) => {
    const workflow = load(name);
    expect(Object.keys(workflow.jobs).length).toBeGreaterThan(0);
    for (const job of Object.values(workflow.jobs)) {
      for (const action of uses(job)) expect(action).toMatch(/^[\w.-]+\/[\w.-]+@v\d+(\.\d+)*$/);
    }
  });

  describe('ci.yml', () => {
    const ci = load('ci.yml');
    const job = ci.jobs.ci;

    test('runs on pull requests and pushes to main with read-only permissions', () => {
      expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
      expect(ci.on.push).toEqual({ branches: ['main'] });
      expect(ci.permissions).toEqual({ contents: 'read' });
    });

    test("runs exactly the README's commands", () => {
      expect(README_COMMANDS).toEqual(['npm ci', 'npm run synth', 'npm test']);
      expect(runs(job)).toEqual(README_COMMANDS);
    });

    test("starts PostgreSQL 16 and Redis 7 where the service's tests look for them, and makes them required", () => {
      expect(job.services!.postgres.image).toBe('postgres:16');
      expect(job.services!.postgres.ports).toEqual(['5432:5432']);
      expect(job.services!.redis.image).toBe('redis:7');
      expect(job.services!.redis.ports).toEqual(['6379:6379']);
      expect(job.env).toMatchObject({
        CI: 'true',
        TEST_PG_HOST: '127.0.0.1',
        TEST_PG_PORT: '5432',
        TEST_PG_DATABASE: 'test',
        TEST_REDIS_HOST: '127.0.0.1',
        TEST_REDIS_PORT: '6379',
      });
    });

    test('sets up Node 20 with the npm cache and uploads cdk.out', () => {
      const node = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'))!;
      expect(node.with).toMatchObject({ 'node-version': 20, cache: 'npm' });
      const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
      expect(upload.with).toMatchObject({ path: 'cdk.out' });
    });
  });

  describe('deploy.yml', () => {
    const deploy = load('deploy.yml');
    const { plan, foundation, canary, rest } = deploy.jobs;
    const needs = (job: Job) => [job.needs ?? []].flat();

    test('runs after a green ci run of a push to main, on the commit it tested, and by hand', () => {
      expect(Object.keys(deploy.on).sort()).toEqual(['workflow_dispatch', 'workflow_run']);
      expect(deploy.on.workflow_run).toEqual({
        workflows: [load('ci.yml').name],
        types: ['completed'],
        branches: ['main'],
      });
      expect(plan.if).toContain("github.event.workflow_run.conclusion == 'success'");
      for (const job of Object.values(deploy.jobs)) {
        for (const step of job.steps.filter((s) => s.uses?.startsWith('actions/checkout@'))) {
          expect(step.with).toEqual({ ref: '${{ github.event.workflow_run.head_sha || github.sha }}' });
        }
      }
    });

    test('authenticates with GitHub OIDC and the deploy role, never with stored keys', () => {
      expect(deploy.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
      expect(read('deploy.yml')).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|secrets\./);
      for (const job of [foundation, canary, rest]) {
        const first = job.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))!;
        expect(first.with!['role-to-assume']).toBe('${{ vars.DEPLOY_ROLE_ARN }}');
        expect(job.environment).toBe(GITHUB_DEPLOY_ENVIRONMENT);
      }
    });

    test('reads the order from scripts/deploy-plan.ts', () => {
      expect(runs(plan)).toEqual([
        'npm ci',
        'node --import tsx scripts/deploy-plan.ts -c "profile=$PROFILE" --github-output >> "$GITHUB_OUTPUT"',
      ]);
      expect(Object.keys(plan.outputs!).sort()).toEqual(['bake_minutes', 'canary', 'foundation', 'rest']);
    });

    test('deploys the foundation, then the canary, then the other regions one at a time', () => {
      expect(needs(foundation)).toEqual(['plan']);
      expect(runs(foundation)).toContain(
        'npx cdk deploy $STACKS --exclusively --require-approval never --concurrency 1 -c "profile=$PROFILE"',
      );
      expect(foundation.env!.STACKS).toBe('${{ needs.plan.outputs.foundation }}');

      expect(needs(canary)).toEqual(['plan', 'foundation']);
      expect(canary.env!.STACK).toBe('${{ fromJSON(needs.plan.outputs.canary).stack }}');

      expect(needs(rest)).toEqual(['plan', 'canary']);
      expect(rest.strategy).toEqual({
        'max-parallel': 1,
        'fail-fast': true,
        matrix: { wave: '${{ fromJSON(needs.plan.outputs.rest) }}' },
      });
      expect(rest.env!.STACK).toBe('${{ matrix.wave.stack }}');
    });

    test.each(['canary', 'rest'])('the %s job deploys its Service stack alone, then bakes it', (name) => {
      const job = deploy.jobs[name];
      expect(runs(job).slice(1)).toEqual([
        'npx cdk deploy "$STACK" --exclusively --require-approval never -c "profile=$PROFILE"',
        'bash scripts/check-region-health.sh "$ALARM" "$REGION" "$BAKE_MINUTES"',
      ]);
      expect(job.env!.BAKE_MINUTES).toBe('${{ needs.plan.outputs.bake_minutes }}');
      // The bake reads alarms through the region's CDK lookup role, chained from the deploy role.
      const chained = job.steps.find((s) => s.with?.['role-chaining'] === true)!;
      expect(chained.with!['role-to-assume']).toMatch(/:role\/cdk-hnb659fds-lookup-role-.*-\$\{\{ env\.REGION \}\}$/);
    });
  });
});
