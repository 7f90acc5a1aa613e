import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DataKey } from '../constructs/data-key';
import { Network } from '../constructs/network';
import { RegionalStack, RegionalStackProps } from './regional-stack';

/** What a region's Service stack receives from its Data stack (same region only). */
export interface DataOutputs {
  readonly vpc: ec2.IVpc;
  readonly dataKey: kms.IKey;
}

/**
 * The stateful half of a region: network and encryption key now, and the database, cache and
 * queues that later build on them. Termination protection and retention follow `retainData`.
 */
export class DataStack extends RegionalStack {
  public readonly outputs: DataOutputs;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, { ...props, terminationProtection: props.config.retainData });
    const { config, regional } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const dataKey = new DataKey(this, 'DataKey', { alias: `alias/${config.appName}/data`, removalPolicy });
    const network = new Network(this, 'Network', {
      availabilityZones: regional.availabilityZones,
      cidr: regional.vpcCidr,
      logKey: dataKey.key,
      natGateways: config.network.natGateways,
      interfaceEndpoints: config.network.interfaceEndpoints,
      flowLogRetention: config.network.flowLogRetentionDays,
      removalPolicy,
    });

    this.outputs = { vpc: network.vpc, dataKey: dataKey.key };
  }
}
