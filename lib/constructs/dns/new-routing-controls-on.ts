import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { InlineCustomResource } from '../inline-custom-resource';

export interface NewRoutingControlsOnProps {
  /** The ARC cluster that holds the routing controls; its endpoints come from `DescribeCluster`. */
  readonly clusterArn: string;
  /** The routing controls to turn On once, each when it first appears here. */
  readonly routingControlArns: readonly string[];
}

/**
 * Turns each routing control On once, when it first appears: all of them when created, and on an
 * update only those added since (a new region). ARC creates routing controls Off, and a region
 * whose control is Off is out of DNS, so without this the first deploy would withdraw every
 * region. A control already known is never touched again: an update must not undo an
 * evacuation an operator made, and a delete changes nothing.
 *
 * States change on the cluster's data plane, through any of its five regional endpoints: the
 * handler tries each in turn, five rounds 10 to 40 seconds apart, as a new control may take a
 * moment to reach the data plane. `UpdateRoutingControlStates` sets all the new controls in one
 * transaction, so a safety rule over them sees them change together.
 */
export class NewRoutingControlsOn extends Construct {
  public readonly resource: InlineCustomResource;

  constructor(scope: Construct, id: string, props: NewRoutingControlsOnProps) {
    super(scope, id);
    if (props.routingControlArns.length === 0) {
      throw new Error(`${this.node.path}: routingControlArns must name at least one routing control`);
    }
    this.resource = new InlineCustomResource(this, 'TurnOn', {
      resourceType: 'Custom::NewRoutingControlsOn',
      handlerSource: TURN_ON_HANDLER,
      properties: { ClusterArn: props.clusterArn, RoutingControlArns: [...props.routingControlArns] },
      statements: [
        new iam.PolicyStatement({
          actions: ['route53-recovery-control-config:DescribeCluster'],
          resources: [props.clusterArn],
        }),
        new iam.PolicyStatement({
          actions: ['route53-recovery-cluster:UpdateRoutingControlStates'],
          resources: [...props.routingControlArns],
        }),
      ],
    });
  }
}

/** The handler; ARC's control plane (`DescribeCluster`) answers in us-west-2 only. */
export const TURN_ON_HANDLER = `async (event) => {
  const ROUNDS = 5;
  const { ClusterArn, RoutingControlArns } = event.ResourceProperties;
  const result = { PhysicalResourceId: ClusterArn };
  const known = event.RequestType === 'Update' ? event.OldResourceProperties.RoutingControlArns || [] : [];
  const added = event.RequestType === 'Delete' ? [] : RoutingControlArns.filter((arn) => !known.includes(arn));
  if (added.length === 0) return result;
  const config = require('@aws-sdk/client-route53-recovery-control-config');
  const cluster = require('@aws-sdk/client-route53-recovery-cluster');
  const described = await new config.Route53RecoveryControlConfigClient({ region: 'us-west-2' }).send(new config.DescribeClusterCommand({ ClusterArn }));
  const entries = added.map((arn) => ({ RoutingControlArn: arn, RoutingControlState: 'On' }));
  let lastError;
  for (let round = 0; round < ROUNDS; round++) {
    for (const { Endpoint, Region } of described.Cluster.ClusterEndpoints) {
      try {
        await new cluster.Route53RecoveryClusterClient({ region: Region, endpoint: Endpoint }).send(new cluster.UpdateRoutingControlStatesCommand({ UpdateRoutingControlStateEntries: entries }));
        console.log('turned On', added, 'through', Endpoint);
        return result;
      } catch (error) {
        console.warn(Endpoint, error.name, error.message);
        lastError = error;
      }
    }
    if (round < ROUNDS - 1) await new Promise((resolve) => setTimeout(resolve, 10000 * (round + 1)));
  }
  throw lastError;
}`;
