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
    const { app, service } = ci.jobs;
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf-8')) as { scripts: Record<string, string> }
    ).scripts;
    const setupNode = (job: Job) => job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'))!;

    test('runs on pull requests and pushes to main with read-only permissions', () => {
      expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
      expect(ci.on.push).toEqual({ branches: ['main'] });
      expect(ci.permissions).toEqual({ contents: 'read' });
    });

    test("runs the README's commands: npm test is test:app, run by the app job, and test:service, run by the service job", () => {
      expect(README_COMMANDS).toEqual(['npm ci', 'npm run synth', 'npm test']);
      expect(scripts.test).toBe('tsx scripts/test.ts');
      const runner = readFileSync(join(ROOT, 'scripts', 'test.ts'), 'utf-8');
      expect(runner).toContain("['run', 'test:app'");
      expect(runner).toContain("['run', 'test:service']");
      expect(runs(app)).toEqual(['npm ci', 'npm run synth', 'npm run test:app']);
      expect(runs(service)).toEqual(['npm ci', 'npm run test:service']);
    });

    test('tests the CDK app on Node 20, 22 and 24, each to the end, with the npm cache, and uploads each cdk.out', () => {
      expect(app.strategy).toEqual({ 'fail-fast': false, matrix: { node: [20, 22, 24] } });
      expect(setupNode(app).with).toMatchObject({ 'node-version': '${{ matrix.node }}', cache: 'npm' });
      const upload = app.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
      expect(upload.with).toMatchObject({ name: 'cdk.out-node${{ matrix.node }}', path: 'cdk.out' });
    });

    test("runs the service's tests on Node 24, the image's, whatever the machine has", () => {
      expect(setupNode(service).with).toMatchObject({ 'node-version': 24, cache: 'npm' });
      expect(scripts['test:service']).toMatch(
        /^npx --prefer-offline --yes -p node@24\.\d+\.\d+ -c 'npm --prefix service test'$/,
      );
      expect(readFileSync(join(ROOT, 'service', 'Dockerfile'), 'utf-8').match(/^FROM \S+/gm)).toEqual([
        'FROM public.ecr.aws/docker/library/node:24-slim',
        'FROM public.ecr.aws/docker/library/node:24-slim',
      ]);
    });

    test("starts PostgreSQL 16 and Redis 7 where the service's tests look for them, and makes them required", () => {
      expect(service.services!.postgres.image).toBe('postgres:16');
      expect(service.services!.postgres.ports).toEqual(['5432:5432']);
      expect(service.services!.redis.image).toBe('redis:7');
      expect(service.services!.redis.ports).toEqual(['6379:6379']);
      expect(service.env).toMatchObject({
        CI: 'true',
        TEST_PG_HOST: '127.0.0.1',
        TEST_PG_PORT: '5432',
        TEST_PG_DATABASE: 'test',
        TEST_REDIS_HOST: '127.0.0.1',
        TEST_REDIS_PORT: '6379',
      });
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
