import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/** Sid of the statement the drill adds; its presence before a run means an earlier run never restored. */
export const DENY_RECEIVE_SID = 'ChaosSplitBrainDenyReceive';
/** Stands for "the queue had no policy" in the step output (SSM outputs cannot be empty). */
const NO_POLICY = 'NONE';
const PYTHON_RUNTIME = 'python3.11';

const DENY_SCRIPT = `import json

import boto3

SID = '${DENY_RECEIVE_SID}'


def deny_receive(events, context):
    sqs = boto3.client('sqs')
    url = events['QueueUrl']
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['Policy', 'QueueArn'])['Attributes']
    original = attributes.get('Policy', '')
    policy = json.loads(original) if original else {'Version': '2012-10-17', 'Statement': []}
    statements = policy.get('Statement', [])
    if isinstance(statements, dict):
        statements = [statements]
    if any(statement.get('Sid') == SID for statement in statements):
        raise RuntimeError(url + ' still has ' + SID + ' from a run that did not restore; remove it first')
    statements.append({
        'Sid': SID,
        'Effect': 'Deny',
        'Principal': '*',
        'Action': 'sqs:ReceiveMessage',
        'Resource': attributes['QueueArn'],
    })
    policy['Statement'] = statements
    sqs.set_queue_attributes(QueueUrl=url, Attributes={'Policy': json.dumps(policy)})
    return {'originalPolicy': original or '${NO_POLICY}'}
`;

const RESTORE_SCRIPT = `import json

import boto3

SID = '${DENY_RECEIVE_SID}'


def statements_of(policy):
    statements = policy.get('Statement', [])
    return [statements] if isinstance(statements, dict) else statements


def restore(events, context):
    sqs = boto3.client('sqs')
    url = events['QueueUrl']
    saved = events.get('OriginalPolicy', '')
    if saved == '${NO_POLICY}':
        policy = ''
    else:
        try:
            json.loads(saved)
            policy = saved
        except ValueError:
            # The saved copy did not come through whole: drop the drill's statement from the live policy instead.
            live = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['Policy'])['Attributes'].get('Policy', '')
            current = json.loads(live) if live else {}
            kept = [s for s in statements_of(current) if s.get('Sid') != SID]
            policy = json.dumps(dict(current, Statement=kept)) if kept else ''
    sqs.set_queue_attributes(QueueUrl=url, Attributes={'Policy': policy})
    after = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['Policy'])['Attributes'].get('Policy', '')
    if SID in after:
        raise RuntimeError(url + ' still denies receiving after the restore')
    return {'restored': True}
`;

export interface InvalidationPauseProps {
  /** The invalidation queue whose consumer the drill cuts off. */
  readonly queue: sqs.IQueue;
  /** How long receiving stays denied when a run passes no `HoldDuration`. */
  readonly hold: Duration;
}

/**
 * The split-brain fault as an SSM Automation runbook: it saves the invalidation queue's policy,
 * adds a statement denying `sqs:ReceiveMessage` to every principal, sleeps, and puts the saved
 * policy back verbatim, also when the sleep fails or the run is cancelled (as FIS does when a
 * stop condition fires). Its own role may only read and set that one queue's attributes.
 */
export class InvalidationPause extends Construct {
  public readonly document: ssm.CfnDocument;
  /** What the runbook runs as (`AutomationAssumeRole`); whoever starts it must be allowed to pass it. */
  public readonly role: iam.Role;
  /** Document ARN, for FIS's `documentArn`. */
  public readonly documentArn: string;
  /** Automation definition ARN (any version), for `ssm:StartAutomationExecution`. */
  public readonly automationDefinitionArn: string;
  private readonly props: InvalidationPauseProps;

  constructor(scope: Construct, id: string, props: InvalidationPauseProps) {
    super(scope, id);
    this.props = props;
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      description: 'Split-brain drill runbook: reads and sets the policy of one invalidation queue',
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': automationExecutionsArn(this) },
        },
      }),
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:GetQueueAttributes', 'sqs:SetQueueAttributes'],
        resources: [props.queue.queueArn],
      }),
    );

    this.document = new ssm.CfnDocument(this, 'Document', {
      documentType: 'Automation',
      documentFormat: 'JSON',
      content: runbook(props.hold),
    });
    const name = this.document.ref;
    this.documentArn = stack.formatArn({ service: 'ssm', resource: 'document', resourceName: name });
    this.automationDefinitionArn = stack.formatArn({
      service: 'ssm',
      resource: 'automation-definition',
      resourceName: `${name}:*`,
    });
  }

  /** The `documentParameters` JSON of a run: this queue, this role, the configured hold. */
  runParameters(): string {
    return Stack.of(this).toJsonString({
      QueueUrl: this.props.queue.queueUrl,
      AutomationAssumeRole: this.role.roleArn,
      HoldDuration: this.props.hold.toIsoString(),
    });
  }
}

/** ARN of the executions of any runbook in this account and region (their ids are made at run time). */
export function automationExecutionsArn(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'ssm',
    resource: 'automation-execution',
    resourceName: '*',
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** The runbook (schema 0.3): deny receives, hold, restore the saved policy. */
function runbook(hold: Duration): Record<string, unknown> {
  return {
    schemaVersion: '0.3',
    description:
      'Split-brain drill: denies sqs:ReceiveMessage on an invalidation queue for HoldDuration, then restores the exact previous queue policy, also when the hold fails or the run is cancelled.',
    assumeRole: '{{ AutomationAssumeRole }}',
    parameters: {
      AutomationAssumeRole: { type: 'String', description: 'Role the runbook runs as.' },
      QueueUrl: { type: 'String', description: 'URL of the invalidation queue to stop consuming from.' },
      HoldDuration: {
        type: 'String',
        description: 'How long receiving stays denied (ISO 8601, 1 to 60 minutes).',
        default: hold.toIsoString(),
        allowedPattern: '^PT(([1-9]|[1-5][0-9])M|1H)$',
      },
    },
    mainSteps: [
      {
        name: 'DenyReceive',
        action: 'aws:executeScript',
        description: 'Saves the queue policy and adds a statement denying sqs:ReceiveMessage to every principal.',
        inputs: {
          Runtime: PYTHON_RUNTIME,
          Handler: 'deny_receive',
          Script: DENY_SCRIPT,
          InputPayload: { QueueUrl: '{{ QueueUrl }}' },
        },
        outputs: [{ Name: 'OriginalPolicy', Selector: '$.Payload.originalPolicy', Type: 'String' }],
      },
      {
        name: 'Hold',
        action: 'aws:sleep',
        description: 'The split: this region serves without invalidations.',
        onFailure: 'step:Restore',
        onCancel: 'step:Restore',
        inputs: { Duration: '{{ HoldDuration }}' },
      },
      {
        name: 'Restore',
        action: 'aws:executeScript',
        description: 'Puts the saved queue policy back as it was.',
        maxAttempts: 3,
        isEnd: true,
        inputs: {
          Runtime: PYTHON_RUNTIME,
          Handler: 'restore',
          Script: RESTORE_SCRIPT,
          InputPayload: { QueueUrl: '{{ QueueUrl }}', OriginalPolicy: '{{ DenyReceive.OriginalPolicy }}' },
        },
      },
    ],
  };
}
