import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IDependable } from 'constructs';
import { InlineCustomResource } from './inline-custom-resource';

/** Reads the writer endpoint of a global cluster (DescribeGlobalClusters `Endpoint`) on create and update. */
const LOOKUP_HANDLER = `async (event) => {
  if (event.RequestType === 'Delete') return {};
  const { RDSClient, DescribeGlobalClustersCommand } = require('@aws-sdk/client-rds');
  const id = event.ResourceProperties.GlobalClusterIdentifier;
  const out = await new RDSClient({}).send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: id }));
  const address = out.GlobalClusters && out.GlobalClusters[0] && out.GlobalClusters[0].Endpoint;
  if (!address) throw new Error('global cluster ' + id + ' has no writer endpoint');
  return { PhysicalResourceId: id, Data: { Address: address } };
}`;

export interface GlobalWriterEndpointProps {
  /** Identifier of the global cluster. */
  readonly globalClusterIdentifier: string;
  /**
   * What must exist before the lookup: the global cluster where this stack creates it, else this
   * region's member cluster, so that the global cluster is visible from this region's RDS API.
   */
  readonly after: IDependable;
}

/**
 * The writer endpoint of an Aurora global database (`<id>.global-<unique>.global.rds.amazonaws.com`),
 * which Aurora keeps pointed at the writer of the current primary cluster through switchovers and
 * failovers. Its unique part is assigned by AWS, and CloudFormation returns it only as an object
 * attribute (`GlobalEndpoint`) that a template cannot put in a string, so each region reads it
 * once at deploy time from its own RDS API (a small custom resource); it never changes afterwards.
 */
export class GlobalWriterEndpoint extends Construct {
  public readonly hostname: string;

  constructor(scope: Construct, id: string, props: GlobalWriterEndpointProps) {
    super(scope, id);
    const lookup = new InlineCustomResource(this, 'Lookup', {
      resourceType: 'Custom::GlobalWriterEndpoint',
      handlerSource: LOOKUP_HANDLER,
      properties: { GlobalClusterIdentifier: props.globalClusterIdentifier },
      statements: [
        new iam.PolicyStatement({
          actions: ['rds:DescribeGlobalClusters'],
          resources: [
            Stack.of(this).formatArn({
              service: 'rds',
              region: '',
              resource: 'global-cluster',
              resourceName: props.globalClusterIdentifier,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      ],
    });
    lookup.node.addDependency(props.after);
    this.hostname = lookup.resource.getAttString('Address');
  }
}
