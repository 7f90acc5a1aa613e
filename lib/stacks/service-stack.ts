import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { DataOutputs } from './data-stack';
import { RegionalStack, RegionalStackProps } from './regional-stack';

export interface ServiceStackProps extends RegionalStackProps {
  /** The same region's stateful resources. */
  readonly data: DataOutputs;
}

/**
 * The stateless half of a region: compute that can be destroyed and redeployed at any time
 * without touching data. Holds the ECS cluster that the `api` and `worker` services run on.
 */
export class ServiceStack extends RegionalStack {
  public readonly cluster: ecs.Cluster;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.data.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
    });
  }
}
