import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { NewRoutingControlsOn, TURN_ON_HANDLER } from '../../lib/constructs/dns/new-routing-controls-on';
import { FEATURE_FLAGS } from '../helpers';
import { fakeClient, fakeCommand, loadHandler } from '../inline-handler';

const CLUSTER = 'arn:aws:route53-recovery-control::111111111111:cluster/c-1';
const control = (id: string) => `arn:aws:route53-recovery-control::111111111111:controlpanel/p-1/routingcontrol/${id}`;
const ENDPOINTS = [
  { Endpoint: 'https://host-a.us-west-2.example.aws/v1', Region: 'us-west-2' },
  { Endpoint: 'https://host-b.eu-west-1.example.aws/v1', Region: 'eu-west-1' },
];

describe('NewRoutingControlsOn', () => {
  test('may describe its cluster and update the states of its controls, nothing else', () => {
    const stack = new Stack(new App({ context: FEATURE_FLAGS }), 'Recovery', { env: { region: 'us-west-2' } });
    new NewRoutingControlsOn(stack, 'On', { clusterArn: CLUSTER, routingControlArns: [control('a'), control('b')] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::NewRoutingControlsOn', {
      ClusterArn: CLUSTER,
      RoutingControlArns: [control('a'), control('b')],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.absent(),
      Policies: [
        {
          PolicyName: 'Handler',
          PolicyDocument: {
            Statement: [
              { Action: 'route53-recovery-control-config:DescribeCluster', Effect: 'Allow', Resource: CLUSTER },
              {
                Action: 'route53-recovery-cluster:UpdateRoutingControlStates',
                Effect: 'Allow',
                Resource: [control('a'), control('b')],
              },
              Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
            ],
          },
        },
      ],
    });
  });

  test('rejects an empty list of routing controls', () => {
    const stack = new Stack(new App({ context: FEATURE_FLAGS }), 'Recovery');
    expect(() => new NewRoutingControlsOn(stack, 'On', { clusterArn: CLUSTER, routingControlArns: [] })).toThrow(
      /^Recovery\/On: routingControlArns must name at least one routing control$/,
    );
  });
});

describe('the turn-On handler', () => {
  /** Runs one request; `failing` lists the endpoints that refuse the update. */
  async function run(
    event: Record<string, unknown>,
    failing: string[] = [],
    calls: { client: string; config: any; command: string; input: any }[] = [],
  ) {
    const handler = loadHandler(TURN_ON_HANDLER, {
      '@aws-sdk/client-route53-recovery-control-config': {
        Route53RecoveryControlConfigClient: fakeClient(calls, 'config', () => ({
          Cluster: { ClusterArn: CLUSTER, ClusterEndpoints: ENDPOINTS },
        })),
        DescribeClusterCommand: fakeCommand('DescribeCluster'),
      },
      '@aws-sdk/client-route53-recovery-cluster': {
        Route53RecoveryClusterClient: fakeClient(calls, 'cluster', (_command, _input, config) => {
          if (failing.includes(config.endpoint)) {
            throw Object.assign(new Error('endpoint down'), { name: 'EndpointTemporarilyUnavailableException' });
          }
          return {};
        }),
        UpdateRoutingControlStatesCommand: fakeCommand('UpdateRoutingControlStates'),
      },
    });
    const result = await handler({
      ResourceProperties: { ClusterArn: CLUSTER, RoutingControlArns: [control('a'), control('b')] },
      ...event,
    });
    return { result, calls, updates: calls.filter((c) => c.command === 'UpdateRoutingControlStates') };
  }

  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    warn.mockRestore();
    log.mockRestore();
    jest.useRealTimers();
  });

  test('on create, turns every control On in one transaction through a cluster endpoint', async () => {
    const { result, calls, updates } = await run({ RequestType: 'Create' });
    expect(calls[0]).toMatchObject({
      client: 'config',
      config: { region: 'us-west-2' },
      input: { ClusterArn: CLUSTER },
    });
    expect(updates).toEqual([
      {
        client: 'cluster',
        config: { region: 'us-west-2', endpoint: ENDPOINTS[0].Endpoint },
        command: 'UpdateRoutingControlStates',
        input: {
          UpdateRoutingControlStateEntries: [
            { RoutingControlArn: control('a'), RoutingControlState: 'On' },
            { RoutingControlArn: control('b'), RoutingControlState: 'On' },
          ],
        },
      },
    ]);
    expect(result).toEqual({ PhysicalResourceId: CLUSTER });
  });

  test('on update, turns On only the controls added since, leaving the states an operator set', async () => {
    const { updates } = await run({
      RequestType: 'Update',
      OldResourceProperties: { ClusterArn: CLUSTER, RoutingControlArns: [control('a')] },
    });
    expect(updates.map((u) => u.input.UpdateRoutingControlStateEntries)).toEqual([
      [{ RoutingControlArn: control('b'), RoutingControlState: 'On' }],
    ]);
  });

  test('changes nothing on an update that adds no control, nor on delete', async () => {
    const unchanged = await run({
      RequestType: 'Update',
      OldResourceProperties: { ClusterArn: CLUSTER, RoutingControlArns: [control('b'), control('a')] },
    });
    const deleted = await run({ RequestType: 'Delete' });
    expect([...unchanged.calls, ...deleted.calls]).toEqual([]);
  });

  test('moves on to the next endpoint when one is down', async () => {
    const { updates } = await run({ RequestType: 'Create' }, [ENDPOINTS[0].Endpoint]);
    expect(updates.map((u) => u.config.endpoint)).toEqual([ENDPOINTS[0].Endpoint, ENDPOINTS[1].Endpoint]);
  });

  test('fails the request after five rounds over every endpoint', async () => {
    jest.useFakeTimers();
    const calls: { client: string; config: any; command: string; input: any }[] = [];
    const failing = ENDPOINTS.map((e) => e.Endpoint);
    const pending = run({ RequestType: 'Create' }, failing, calls).catch((error: Error) => error);
    await jest.runAllTimersAsync();
    const error = await pending;
    expect(error).toMatchObject({ name: 'EndpointTemporarilyUnavailableException' });
    expect(calls.filter((c) => c.command === 'UpdateRoutingControlStates')).toHaveLength(5 * ENDPOINTS.length);
  });
});
