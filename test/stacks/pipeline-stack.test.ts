import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Stage, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BuiltBlueprint, buildApp } from '../helpers';

const ACCOUNT = '123456789012';
const CONNECTION_ARN = `arn:aws:codeconnections:us-east-1:${ACCOUNT}:connection/00000000-0000-0000-0000-000000000000`;
/** What turns pipeline mode on, as `cdk synth -c` gives it. */
// A deploy to a named account must notify someone (notifications).
const PIPELINE_MODE = {
  'delivery.pipeline': 'true',
  account: ACCOUNT,
  'delivery.connectionArn': CONNECTION_ARN,
  alarmEmail: 'oncall@example.com',
};

type Resource = { Type: string; Properties: Record<string, any> };
type Action = { Name: string; RunOrder?: number; ActionTypeId: { Provider: string }; Configuration?: any };

describe('the pipeline app (delivery.pipeline = true)', () => {
  let built: BuiltBlueprint;
  let assembly: CloudAssembly;
  let template: Template;
  let stages: { Name: string; Actions: Action[] }[];
  /** The build spec of the CodeBuild project a pipeline action runs. */
  const buildSpecOf = (action: Action) => {
    const project = template.toJSON().Resources[action.Configuration.ProjectName.Ref] as Resource;
    return { project, spec: JSON.parse(project.Properties.Source.BuildSpec) };
  };
  const actionsOf = (stage: string) =>
    [...stages.find((s) => s.Name === stage)!.Actions].sort((a, b) => (a.RunOrder ?? 1) - (b.RunOrder ?? 1));

  beforeAll(() => {
    // GIVEN the prod profile in pipeline mode, with cdk-nag and the template lint on
    built = buildApp(PIPELINE_MODE, { checks: true });
    // WHEN it is synthesized (nag fails synth on any unacknowledged finding)
    assembly = built.app.synth();
    template = Template.fromStack(built.pipeline!);
    const [pipeline] = Object.values(template.findResources('AWS::CodePipeline::Pipeline')) as Resource[];
    stages = pipeline.Properties.Stages;
  });

  test('holds the pipeline stack in the account and primary region, and the app in one stage', () => {
    expect(built.pipeline!.stackName).toBe('blueprint-Pipeline');
    expect([built.pipeline!.account, built.pipeline!.region]).toEqual([ACCOUNT, 'us-east-1']);
    const stage = Stage.of(built.edge)!;
    expect(stage).not.toBe(built.app);
    for (const stack of [...built.data.values(), ...built.service.values()]) expect(Stage.of(stack)).toBe(stage);
  });

  test('keeps the stack names of a plain deploy', () => {
    const names = stages.flatMap((s) => s.Actions.map((a) => a.Configuration?.StackName)).filter(Boolean);
    expect([...new Set(names)].sort()).toEqual(
      [
        'blueprint-Account',
        'blueprint-Edge',
        ...built.config.regions.flatMap((r) => [`blueprint-Data-${r}`, `blueprint-Service-${r}`]),
        ...[...built.keys.keys()].map((r) => `blueprint-Keys-${r}`),
      ].sort(),
    );
  });

  test('reads the configured branch through the CodeConnections connection', () => {
    expect(actionsOf('Source')).toEqual([
      expect.objectContaining({
        ActionTypeId: expect.objectContaining({ Provider: 'CodeStarSourceConnection' }),
        Configuration: expect.objectContaining({
          ConnectionArn: CONNECTION_ARN,
          FullRepositoryId: 'example-org/multi-region-blueprint',
          BranchName: 'main',
        }),
      }),
    ]);
  });

  test("synthesizes with the README's commands, in pipeline mode, into cdk.out", () => {
    const { spec } = buildSpecOf(actionsOf('Build')[0]);
    expect(spec.phases.build.commands).toEqual([
      'npm ci',
      'npm test',
      `npm run synth -- -c profile=prod -c account=${ACCOUNT} -c delivery.pipeline=true -c delivery.connectionArn=${CONNECTION_ARN}`,
    ]);
    expect(spec.artifacts['base-directory']).toBe('cdk.out');
  });

  test('deploys the account, keys, data and edge first, then the services one region at a time from the canary, each baking before the next', () => {
    const { regions, dataDeployOrder } = built.config;
    const stack = (name: string) => [`${name}.Prepare`, `${name}.Deploy`];
    // The Account and Keys stacks depend on nothing, so they deploy together, in name order.
    const keys = [...built.keys.keys()].map((r) => `blueprint-Keys-${r}`).sort();
    const first = ['blueprint-Account', ...keys];
    expect(actionsOf('Deploy').map((a) => a.Name)).toEqual([
      ...first.map((name) => `${name}.Prepare`),
      ...first.map((name) => `${name}.Deploy`),
      ...keys.map((name) => `${name}.Protect-${name}`),
      ...dataDeployOrder.flatMap((r) => [
        ...stack(`blueprint-Data-${r}`),
        `blueprint-Data-${r}.Protect-blueprint-Data-${r}`,
      ]),
      ...stack('blueprint-Edge'),
      ...regions.flatMap((r) => [...stack(`blueprint-Service-${r}`), `blueprint-Service-${r}.Bake-${r}`]),
    ]);
    // From the primary's Data stack on, one action per run order: nothing of a later region starts
    // before the one before it (and its bake) ends. Everything before it runs earlier.
    const actions = actionsOf('Deploy');
    const primaryData = actions.findIndex((a) => a.Name === `blueprint-Data-${dataDeployOrder[0]}.Prepare`);
    const runOrders = actions.slice(primaryData).map((a) => a.RunOrder ?? 1);
    expect(new Set(runOrders).size).toBe(runOrders.length);
    expect(Math.max(...actions.slice(0, primaryData).map((a) => a.RunOrder ?? 1))).toBeLessThan(runOrders[0]);
  });

  test('turns on termination protection after each protected stack, which a pipeline deploy ignores', () => {
    for (const region of built.config.dataDeployOrder) {
      const name = `blueprint-Data-${region}`;
      expect(built.data.get(region)!.terminationProtection).toBe(true);
      const protect = actionsOf('Deploy').find((a) => a.Name === `${name}.Protect-${name}`)!;
      const { project, spec } = buildSpecOf(protect);
      expect(spec.phases.build.commands).toEqual([
        `aws cloudformation update-termination-protection --enable-termination-protection --stack-name ${name} --region ${region}`,
      ]);
      // Its role may protect that one stack, and otherwise do only what CodeBuild needs.
      const roleId = project.Properties.ServiceRole['Fn::GetAtt'][0];
      const statements = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
        .flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(
        statements.filter((s: { Action: unknown }) => s.Action === 'cloudformation:UpdateTerminationProtection'),
      ).toEqual([
        {
          Action: 'cloudformation:UpdateTerminationProtection',
          Effect: 'Allow',
          Resource: `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/${name}/*`,
        },
      ]);
    }
    // Unprotected stacks get no step; the Keys stacks are protected like the Data stacks.
    const protectSteps = actionsOf('Deploy').filter((a) => /\.Protect-/.test(a.Name));
    expect(protectSteps).toHaveLength(built.config.dataDeployOrder.length + built.keys.size);
  });

  test('the source action may use the connection under the prefix of its ARN, codeconnections or codestar-connections', () => {
    const [source] = actionsOf('Source') as (Action & { RoleArn: { 'Fn::GetAtt': [string, string] } })[];
    const roleId = source.RoleArn['Fn::GetAtt'][0];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const onConnection = statements.filter((st: { Resource: unknown }) => st.Resource === CONNECTION_ARN);
    expect(onConnection.flatMap((st: { Action: string | string[] }) => [st.Action].flat()).sort()).toEqual([
      'codeconnections:UseConnection',
      'codestar-connections:UseConnection',
    ]);
  });

  test('asset publishing installs the cdk-assets version package.json pins', () => {
    const pinned = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf-8')).devDependencies[
      'cdk-assets'
    ];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    const installs = (Object.values(template.findResources('AWS::CodeBuild::Project')) as Resource[])
      .map((p) => JSON.parse(p.Properties.Source.BuildSpec))
      .flatMap((spec) => spec.phases?.install?.commands ?? [])
      .filter((command: string) => command.includes('cdk-assets'));
    expect(installs.length).toBeGreaterThan(0);
    for (const command of installs) expect(command).toBe(`npm install -g cdk-assets@${pinned}`);
  });

  test("each bake watches its region's health alarm for bakeMinutes with the shared script", () => {
    for (const region of built.config.regions) {
      const bake = actionsOf('Deploy').find((a) => a.Name === `blueprint-Service-${region}.Bake-${region}`)!;
      const { project, spec } = buildSpecOf(bake);
      expect(spec.phases.build.commands).toEqual([
        `bash scripts/check-region-health.sh blueprint-${region}-region-unhealthy ${region} 15`,
      ]);
      // Its source input holds the script; the timeout leaves room beyond the bake.
      expect(project.Properties.Source.Type).toBe('CODEPIPELINE');
      expect(project.Properties.TimeoutInMinutes).toBe(30);
    }
    // The name the step watches is the name the Service stack gives its composite alarm.
    const service = Template.fromStack(built.service.get('eu-west-1')!);
    service.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: 'blueprint-eu-west-1-region-unhealthy',
    });
  });

  test("a bake step's role reads alarms of its own region and otherwise only what CodeBuild needs", () => {
    const bake = actionsOf('Deploy').find((a) => a.Name === 'blueprint-Service-eu-west-1.Bake-eu-west-1')!;
    const { project } = buildSpecOf(bake);
    const roleId = project.Properties.ServiceRole['Fn::GetAtt'][0];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    // CodeBuild's own: logs, test reports, reading the source artifact and its key.
    const plumbing =
      /^(logs:(CreateLogGroup|CreateLogStream|PutLogEvents)|codebuild:\w+|s3:(GetObject\*|GetBucket\*|List\*)|kms:(Decrypt|DescribeKey|Encrypt|ReEncrypt\*|GenerateDataKey\*))$/;
    expect(actions.filter((a) => !plumbing.test(a))).toEqual(['cloudwatch:DescribeAlarms']);
    expect(statements.find((s: { Action: unknown }) => s.Action === 'cloudwatch:DescribeAlarms')).toEqual({
      Action: 'cloudwatch:DescribeAlarms',
      Effect: 'Allow',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    });
  });

  test('encrypts artifacts with a rotating key and publishes arm64 images on ARM hosts', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const dockerProjects = (Object.values(template.findResources('AWS::CodeBuild::Project')) as Resource[]).filter(
      (p) => p.Properties.Environment.PrivilegedMode,
    );
    expect(dockerProjects.length).toBeGreaterThan(0);
    for (const project of dockerProjects) {
      expect(project.Properties.Environment.Type).toBe('ARM_CONTAINER');
      expect(project.Properties.EncryptionKey).toBeDefined();
    }
  });

  test('synthesizes offline: no context lookups', () => {
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  test('passes cdk-nag AwsSolutions over the pipeline and the stage with no unacknowledged finding', () => {
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf-8'));
    expect(report.pluginReports.flatMap((p: { violations: unknown[] }) => p.violations)).toEqual([]);
  });
});

test('cdk-nag registered on the App also checks the stacks of a nested Stage', () => {
  // GIVEN a finding inside a Stage (where the pipeline mode puts the app's stacks)
  const app = new App();
  new s3.Bucket(new Stack(new Stage(app, 'Deploy'), 'Inner'), 'UnloggedBucket');
  // WHEN nag is registered on the App, as buildBlueprint does THEN synth fails on it
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).toThrow(/Deploy\/Inner\/UnloggedBucket/);
});
