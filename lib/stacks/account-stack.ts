import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AppConfig } from '../config';
import { ServiceLinkedRoles } from '../constructs/service-linked-roles';

export interface AccountStackProps extends StackProps {
  readonly config: AppConfig;
}

/**
 * What the account needs before any region deploys: the service-linked roles of the services the
 * app uses. First stack of the deploy order, in the primary region (IAM is global). Holds nothing
 * of the app's data and deletes nothing on destroy.
 */
export class AccountStack extends Stack {
  public readonly serviceLinkedRoles: ServiceLinkedRoles;

  constructor(scope: Construct, id: string, props: AccountStackProps) {
    const { config } = props;
    super(scope, id, { stackName: id, ...props, env: { account: config.account, region: config.primaryRegion } });
    this.serviceLinkedRoles = new ServiceLinkedRoles(this, 'ServiceLinkedRoles', {
      awsServiceNames: serviceLinkedRolesNeeded(config),
    });
  }
}

/** The service principals whose service-linked roles the app's resources assume, for `config`. */
export function serviceLinkedRolesNeeded(config: AppConfig): string[] {
  return [
    'ecs.amazonaws.com',
    'ecs.application-autoscaling.amazonaws.com',
    'elasticloadbalancing.amazonaws.com',
    'rds.amazonaws.com',
    'elasticache.amazonaws.com',
    ...(config.database.readerAutoScaling ? ['rds.application-autoscaling.amazonaws.com'] : []),
    ...(config.resilience.drills ? ['fis.amazonaws.com'] : []),
  ];
}
