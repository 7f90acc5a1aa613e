import { Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeAwsCustomResourceProvider } from '../nag';

export interface HostedZoneByNameProps {
  /** The zone's domain name, e.g. `example.com`; the zone must exist when this stack deploys. */
  readonly zoneName: string;
}

/**
 * A public hosted zone that another stack (the Edge stack, in us-east-1) created, found by name
 * at deploy time: its id is unknown at synth, and decision 1 forbids reading it across regions
 * through a reference. A small custom resource asks Route 53 (a global API, answered the same in
 * every region) for the first zone at or after the name and keeps only its id.
 *
 * Route 53 returns zones in name order, so if the zone is missing the answer is some other
 * zone, and any record written under `zoneName` into it is refused: the deploy fails instead of
 * writing to the wrong zone. A private zone of the same name is ambiguous; set `hostedZoneId`.
 */
export class HostedZoneByName extends Construct {
  public readonly hostedZone: route53.IHostedZone;
  /** The zone id without the `/hostedzone/` prefix, resolved at deploy time. */
  public readonly hostedZoneId: string;

  constructor(scope: Construct, id: string, props: HostedZoneByNameProps) {
    super(scope, id);
    const call: cr.AwsSdkCall = {
      service: 'Route53',
      action: 'listHostedZonesByName',
      parameters: { DNSName: props.zoneName, MaxItems: '1' },
      // The zone id is the identity: a recreated zone replaces this resource and its dependants.
      physicalResourceId: cr.PhysicalResourceId.fromResponse('HostedZones.0.Id'),
      outputPaths: ['HostedZones.0.Id'],
    };
    const lookup = new cr.AwsCustomResource(this, 'Lookup', {
      onCreate: call,
      onUpdate: call,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['route53:ListHostedZonesByName'], resources: ['*'] }),
      ]),
      // The SDK bundled with the Lambda runtime has this call; fetching the latest needs network.
      installLatestAwsSdk: false,
      // A deploy-time lookup's logs hold nothing worth keeping past a month, or past the stack.
      logGroup: new logs.LogGroup(this, 'LookupLogs', {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    Validations.of(lookup).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'route53:ListHostedZonesByName is a list action with no resource-level permissions (it takes no zone ARN); the policy allows that one read-only action only.',
    });
    acknowledgeAwsCustomResourceProvider(this);

    // The API answers `/hostedzone/Z123...`; records and health checks want `Z123...`.
    this.hostedZoneId = Fn.select(2, Fn.split('/', lookup.getResponseField('HostedZones.0.Id')));
    this.hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: this.hostedZoneId,
      zoneName: props.zoneName,
    });
  }
}
