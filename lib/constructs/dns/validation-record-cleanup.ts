import { Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { InlineCustomResource } from '../inline-custom-resource';

export interface ValidationRecordCleanupProps {
  /** A zone this stack creates, and deletes with it. */
  readonly zone: route53.IHostedZone;
  /**
   * Certificates validated in `zone` by this stack: each is created after the cleanup and
   * deleted before it, so the cleanup runs once none of them needs its records any more.
   */
  readonly certificates: readonly acm.ICertificate[];
  /**
   * Whether deleting this resource deletes the validation records. Turn it off while the zone is
   * retained: its records must outlive the stack for ACM to renew the certificates of a later
   * one. Flipping it is an update, never a delete, so it cannot empty a zone that stays.
   * @default true
   */
  readonly enabled?: boolean;
}

/** Record values ACM asks for: `_<hash>.<name>. CNAME _<hash>.<random>.acm-validations.aws.` */
export const ACM_VALIDATION_TARGET = /\.acm-validations\.aws\.?$/;

/**
 * On delete (a stack delete, or the rollback of a failed create), deletes the CNAME records ACM
 * validation left in the zone, every one whose values all point into `acm-validations.aws`.
 * CloudFormation's certificate writes them but never deletes them
 * (aws-cloudformation/cloudformation-coverage-roadmap#837, aws-cdk#7063), and Route 53 refuses to
 * delete a zone that still holds records (HostedZoneNotEmpty): without this the stack stops in
 * DELETE_FAILED or ROLLBACK_FAILED. Certificates of other stacks validated in the same zone write
 * the same records (same name, same value), so these go too. Records anyone added by hand stay,
 * and still block the zone's deletion.
 */
export class ValidationRecordCleanup extends Construct {
  public readonly resource: InlineCustomResource;

  constructor(scope: Construct, id: string, props: ValidationRecordCleanupProps) {
    super(scope, id);
    this.resource = new InlineCustomResource(this, 'Cleanup', {
      resourceType: 'Custom::ValidationRecordCleanup',
      handlerSource: CLEANUP_HANDLER,
      properties: { HostedZoneId: props.zone.hostedZoneId, Enabled: String(props.enabled ?? true) },
      statements: [
        new iam.PolicyStatement({
          actions: ['route53:ListResourceRecordSets', 'route53:ChangeResourceRecordSets'],
          resources: [
            Stack.of(this).formatArn({
              service: 'route53',
              region: '',
              account: '',
              resource: 'hostedzone',
              resourceName: props.zone.hostedZoneId,
            }),
          ],
        }),
      ],
    });
    for (const certificate of props.certificates) certificate.node.addDependency(this.resource);
  }
}

/** The handler: nothing on create and update; on delete, the validation records go. */
export const CLEANUP_HANDLER = `async (event) => {
  const { HostedZoneId, Enabled } = event.ResourceProperties;
  const result = { PhysicalResourceId: 'validation-records:' + HostedZoneId };
  if (event.RequestType !== 'Delete' || Enabled !== 'true') return result;
  const sdk = require('@aws-sdk/client-route-53');
  const route53 = new sdk.Route53Client({});
  const stale = [];
  let start = {};
  try {
    while (start) {
      const page = await route53.send(new sdk.ListResourceRecordSetsCommand({ HostedZoneId, ...start }));
      for (const record of page.ResourceRecordSets) {
        const values = record.ResourceRecords || [];
        if (record.Type === 'CNAME' && values.length > 0 && values.every((v) => ${ACM_VALIDATION_TARGET}.test(v.Value))) stale.push(record);
      }
      start = page.IsTruncated ? { StartRecordName: page.NextRecordName, StartRecordType: page.NextRecordType, StartRecordIdentifier: page.NextRecordIdentifier } : undefined;
    }
  } catch (error) {
    if (error.name === 'NoSuchHostedZone') return result;
    throw error;
  }
  for (let i = 0; i < stale.length; i += 100) {
    const Changes = stale.slice(i, i + 100).map((record) => ({ Action: 'DELETE', ResourceRecordSet: record }));
    await route53.send(new sdk.ChangeResourceRecordSetsCommand({ HostedZoneId, ChangeBatch: { Comment: 'ACM validation records of deleted certificates', Changes } }));
  }
  console.log('deleted', stale.map((record) => record.Name));
  return result;
}`;
