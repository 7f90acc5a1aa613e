import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AppConfig } from '../config';
import { pascalCase } from '../constructs/naming';
import { RECOVERY_CONTROL_REGION, RecoveryControls } from '../constructs/dns/recovery-controls';
import { routingControlParameterName } from './names';

export interface RecoveryStackProps extends StackProps {
  readonly config: AppConfig;
}

/**
 * Region evacuation through Route 53 Application Recovery Controller (config `resilience.arc`):
 * the ARC cluster, control panel, one routing control per serving region and a safety rule that
 * keeps at least one region On, in us-west-2, ARC's control plane. Each routing control's ARN is
 * written to an SSM parameter in its serving region, where that region's Service stack reads it;
 * no stack references this one. Deploys after the Data stacks and before the Service stacks.
 *
 * Cost: the cluster is billed per hour whether used or not; docs/decisions/0008 has the price,
 * its source and the runbook.
 *
 * To evacuate a region, through any of the cluster's endpoints
 * (`aws route53-recovery-control-config describe-cluster --cluster-arn <ClusterArn> --region us-west-2`):
 * `aws route53-recovery-cluster update-routing-control-state --routing-control-arn <arn>
 * --routing-control-state Off --region <endpoint region> --endpoint-url <endpoint>`; `On` returns it.
 */
export class RecoveryStack extends Stack {
  public readonly controls: RecoveryControls;

  constructor(scope: Construct, id: string, props: RecoveryStackProps) {
    const { config } = props;
    // The id is the CloudFormation name even inside a Stage (pipeline mode, decision 9).
    super(scope, id, {
      stackName: id,
      ...props,
      env: { account: config.account, region: RECOVERY_CONTROL_REGION },
      // Deleting the routing controls leaves every region's record following a missing control.
      terminationProtection: config.retainData,
    });

    this.controls = new RecoveryControls(this, 'Controls', {
      name: config.appName,
      regions: config.regions,
      parameterName: routingControlParameterName(config.appName),
    });

    new CfnOutput(this, 'ClusterArn', {
      value: this.controls.clusterArn,
      description: `ARC cluster; list its endpoints with: aws route53-recovery-control-config describe-cluster --cluster-arn <this> --region ${RECOVERY_CONTROL_REGION}`,
    });
    for (const region of config.regions) {
      new CfnOutput(this, `RoutingControlArn${pascalCase(region)}`, {
        value: this.controls.routingControlArn(region),
        description: `Routing control of ${region}: Off evacuates it (aws route53-recovery-cluster update-routing-control-state --routing-control-arn <this> --routing-control-state Off --region <endpoint region> --endpoint-url <endpoint>), On returns it.`,
      });
    }
  }
}
