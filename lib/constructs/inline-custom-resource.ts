import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface InlineCustomResourceProps {
  /**
   * Source of an `async (event) => ({ PhysicalResourceId?, Data? })` expression: the work of one
   * CloudFormation custom-resource request. It may `require` the AWS SDK v3 clients the Lambda
   * Node.js runtime ships (`@aws-sdk/client-*`); a throw fails the request with its message.
   * Without a `PhysicalResourceId` the request keeps the resource's current one (the logical id
   * on create).
   */
  readonly handlerSource: string;
  /** Everything the handler may do beyond writing its own logs. */
  readonly statements: readonly iam.PolicyStatement[];
  /**
   * `ResourceProperties` of each request; a change of any is an update.
   * @default none
   */
  readonly properties?: Record<string, unknown>;
  /** CloudFormation type of the resource, `Custom::<Name>`. */
  readonly resourceType: string;
  /**
   * Longest a request may take; the handler must answer CloudFormation within it.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
}

/** Largest inline source CloudFormation takes in `Code.ZipFile`. */
const MAX_INLINE_SOURCE = 4096;

/**
 * A custom resource served by one small Lambda function whose code is inline in the template (no
 * asset, no bootstrap bucket, no provider framework): for deploy-time work one SDK call cannot do,
 * such as listing and then deleting, or calling an endpoint the service hands out at run time.
 * The function answers CloudFormation itself, logs to its own month-long log group, and holds only
 * `statements` and the right to write those logs (no managed policy).
 */
export class InlineCustomResource extends Construct {
  public readonly resource: CustomResource;
  public readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: InlineCustomResourceProps) {
    super(scope, id);
    if (!/^Custom::[A-Za-z0-9_@-]{1,60}$/.test(props.resourceType)) {
      throw new Error(`${this.node.path}: resourceType = "${props.resourceType}" must be Custom::<Name>`);
    }
    const code = handlerModule(props.handlerSource);
    if (code.length > MAX_INLINE_SOURCE) {
      throw new Error(
        `${this.node.path}: handlerSource makes ${code.length} characters of inline code; CloudFormation takes at most ${MAX_INLINE_SOURCE}`,
      );
    }

    // A deploy-time handler's logs hold nothing worth keeping past a month, or past the stack.
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Inline policies live in the role itself, so the permissions exist before the first request.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        Handler: new iam.PolicyDocument({
          statements: [
            ...props.statements,
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    this.function = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(code),
      role,
      logGroup,
      timeout: props.timeout ?? Duration.minutes(5),
      memorySize: 256,
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.functionArn,
      resourceType: props.resourceType,
      properties: props.properties,
    });
  }
}

/**
 * The function's module: runs the request's work, then PUTs the answer to the pre-signed URL
 * CloudFormation gave (an empty content type, as that URL is signed without one).
 */
export function handlerModule(handlerSource: string): string {
  return `const work = ${handlerSource.trim()};
exports.handler = async (event, context) => {
  let status = 'SUCCESS', reason = '', result = {};
  try { result = (await work(event)) || {}; } catch (error) { console.error(error); status = 'FAILED'; reason = String((error && error.message) || error).slice(0, 500); }
  const body = JSON.stringify({ Status: status, Reason: reason || 'See ' + context.logStreamName, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, PhysicalResourceId: result.PhysicalResourceId || event.PhysicalResourceId || event.LogicalResourceId, Data: result.Data });
  const response = await fetch(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '' }, body });
  if (!response.ok) throw new Error('CloudFormation refused the answer: ' + response.status);
};
`;
}
