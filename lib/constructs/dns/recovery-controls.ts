import { CfnResource, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as arc from 'aws-cdk-lib/aws-route53recoverycontrol';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { checkInteger, PropError } from '../validation';
import { acknowledgeAwsCustomResourceProvider } from '../nag';
import { NewRoutingControlsOn } from './new-routing-controls-on';

/** ARC's control plane: clusters, control panels, routing controls and safety rules live here only. */
export const RECOVERY_CONTROL_REGION = 'us-west-2';

/** Name of a serving region's routing control: `<name>-<region>`. */
export function routingControlName(name: string, region: string): string {
  return `${name}-${region}`;
}

export interface RecoveryControlsProps {
  /**
   * Names the cluster and its control panel, and prefixes the routing controls
   * (`<name>-<region>`) and the safety rule: ARC names, up to 64 characters without spaces.
   */
  readonly name: string;
  /** The serving regions; each gets one routing control that says whether it may serve. */
  readonly regions: readonly string[];
  /**
   * SSM parameter that receives, in each serving region, the ARN of that region's routing
   * control: the region's own stacks read it there at deploy time instead of referencing this
   * stack across regions (decision 1).
   */
  readonly parameterName: string;
  /**
   * Fewest routing controls that must stay On: the safety rule refuses any change that would
   * leave fewer, so no operator (or script) can evacuate every region at once. 1 to the number
   * of regions; raise it when one region alone cannot carry the load.
   * @default 1
   */
  readonly minRegionsOn?: number;
  /**
   * Turn each routing control On once, when it is created (`NewRoutingControlsOn`); ARC creates
   * them Off, and a region whose control is Off is out of DNS. Off leaves every new control Off
   * until an operator turns it On.
   * @default true
   */
  readonly turnOnNewControls?: boolean;
}

/** ARC names: 1 to 64 characters, no whitespace. */
const ARC_NAME = /^\S{1,64}$/;
/** SSM parameter names this construct writes: a path of letters, digits and `_.-/`. */
const PARAMETER_NAME = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;
/** Time after a change during which the safety rule refuses the next one on the same controls. */
const SAFETY_RULE_WAIT_MS = 5000;

/**
 * Route 53 Application Recovery Controller routing control for region evacuation: a cluster (five
 * redundant regional endpoints that take state changes even when one region is down), a control
 * panel, one routing control per serving region, and an assertion safety rule that keeps at
 * least `minRegionsOn` of them On. Each region's Route 53 `RECOVERY_CONTROL` health check follows
 * its routing control (see `EvacuationSwitch`).
 *
 * Must be created in us-west-2, ARC's control plane. A cluster is billed per hour whether used
 * or not (docs/decisions/0008 has the price), and an account may have two.
 *
 * ARC creates routing controls Off, and a region whose control is Off is out of DNS: unless
 * `turnOnNewControls` is false, each control is turned On once, when created, before the safety
 * rule exists and before any health check follows it; later deploys never change a state.
 *
 * The SSM parameters it writes are kept when it is deleted: a stack recreated, or a writer
 * replaced, overwrites them, and a delete never removes what a newer writer put there.
 *
 * aws-cdk-lib has L1s only for AWS::Route53RecoveryControl::*, so this construct wraps them. The
 * routing controls are created one after another: ARC answers concurrent changes to one control
 * panel with a ConflictException (hashicorp/terraform-provider-aws#48311).
 */
export class RecoveryControls extends Construct {
  public readonly cluster: arc.CfnCluster;
  public readonly controlPanel: arc.CfnControlPanel;
  /** One routing control per serving region, On while the region may serve. */
  public readonly routingControls: ReadonlyMap<string, arc.CfnRoutingControl>;
  /** Refuses any change that would leave fewer than `minRegionsOn` routing controls On. */
  public readonly safetyRule: arc.CfnSafetyRule;
  /** Turns each new routing control On once; undefined with `turnOnNewControls` false. */
  public readonly initialState?: NewRoutingControlsOn;

  constructor(scope: Construct, id: string, props: RecoveryControlsProps) {
    super(scope, id);
    const { name, regions, parameterName } = props;
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.region) && stack.region !== RECOVERY_CONTROL_REGION) {
      throw new Error(
        `${this.node.path}: the stack's region ${stack.region} cannot hold ARC routing controls (allowed: ${RECOVERY_CONTROL_REGION}, where ARC's control plane lives)`,
      );
    }
    const longestName = regions.reduce((longest, region) => {
      const candidate = routingControlName(name, region);
      return candidate.length > longest.length ? candidate : longest;
    }, name);
    if (!ARC_NAME.test(longestName)) {
      throw new PropError(this, 'name', name, 'a name without spaces, with routing control names up to 64 characters');
    }
    if (regions.length === 0 || new Set(regions).size !== regions.length) {
      throw new PropError(this, 'regions', regions, 'one or more regions, each once');
    }
    if (!PARAMETER_NAME.test(parameterName)) {
      throw new PropError(this, 'parameterName', parameterName, 'an SSM parameter path such as /app/resilience/arn');
    }
    const minRegionsOn = props.minRegionsOn ?? 1;
    checkInteger(this, 'minRegionsOn', minRegionsOn, 1, regions.length);

    this.cluster = new arc.CfnCluster(this, 'Cluster', { name });
    this.controlPanel = new arc.CfnControlPanel(this, 'ControlPanel', {
      name,
      clusterArn: this.cluster.attrClusterArn,
    });
    const routingControls = new Map<string, arc.CfnRoutingControl>();
    let previous: CfnResource = this.controlPanel;
    for (const region of regions) {
      const control = new arc.CfnRoutingControl(this, `RoutingControl-${region}`, {
        name: routingControlName(name, region),
        clusterArn: this.cluster.attrClusterArn,
        controlPanelArn: this.controlPanel.attrControlPanelArn,
      });
      control.addResourceDependency(previous, 'ARC refuses concurrent changes to one control panel');
      previous = control;
      routingControls.set(region, control);
    }
    this.routingControls = routingControls;
    const arns = [...routingControls.values()].map((control) => control.attrRoutingControlArn);
    if (props.turnOnNewControls ?? true) {
      this.initialState = new NewRoutingControlsOn(this, 'NewControlsOn', {
        clusterArn: this.cluster.attrClusterArn,
        routingControlArns: arns,
      });
    }
    this.safetyRule = new arc.CfnSafetyRule(this, 'SafetyRule', {
      name: `${name}-at-least-${minRegionsOn}-on`,
      controlPanelArn: this.controlPanel.attrControlPanelArn,
      assertionRule: { assertedControls: arns, waitPeriodMs: SAFETY_RULE_WAIT_MS },
      ruleConfig: { type: 'ATLEAST', threshold: minRegionsOn, inverted: false },
    });
    // Controls turned On before the rule exists: the rule never sees them all Off.
    if (this.initialState) this.safetyRule.node.addDependency(this.initialState);

    // A parameter writer's logs hold nothing worth keeping past a month, or past the stack.
    const logGroup = new logs.LogGroup(this, 'ParameterWriterLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const [region, control] of routingControls) {
      this.writeParameter(region, parameterName, control.attrRoutingControlArn, logGroup);
    }
    acknowledgeAwsCustomResourceProvider(this);
  }

  /** ARN of the cluster; its endpoints come from `describe-cluster` (docs/decisions/0008). */
  get clusterArn(): string {
    return this.cluster.attrClusterArn;
  }

  /** ARN of `region`'s routing control. */
  routingControlArn(region: string): string {
    const control = this.routingControls.get(region);
    if (!control) {
      const known = [...this.routingControls.keys()].join(', ');
      throw new Error(`${this.node.path}: region ${region} has no routing control (allowed: ${known})`);
    }
    return control.attrRoutingControlArn;
  }

  /**
   * Puts `value` into the SSM parameter `name` in `region`, on create and on every update; a
   * delete leaves it. Deleting it would race a newer writer: when the stack is recreated or a
   * writer replaced, CloudFormation creates the new writer (which overwrites) before it deletes
   * the old one, and a delete then would remove the new value, failing the next Service deploy.
   * A parameter left behind after ARC is turned off is read by nothing (runbook: region evacuation).
   */
  private writeParameter(region: string, name: string, value: string, logGroup: logs.ILogGroup): void {
    const put: cr.AwsSdkCall = {
      service: 'SSM',
      action: 'putParameter',
      region,
      parameters: {
        Name: name,
        Value: value,
        Type: 'String',
        Overwrite: true,
        Description: `ARN of the ARC routing control of ${region}, written by ${Stack.of(this).stackName}`,
      },
      physicalResourceId: cr.PhysicalResourceId.of(`${region}:${name}`),
    };
    new cr.AwsCustomResource(this, `Parameter-${region}`, {
      onCreate: put,
      onUpdate: put,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['ssm:PutParameter'],
          resources: [
            Stack.of(this).formatArn({
              service: 'ssm',
              region,
              resource: 'parameter',
              resourceName: name.slice(1),
            }),
          ],
        }),
      ]),
      // The SDK bundled with the Lambda runtime has these calls; fetching the latest needs network.
      installLatestAwsSdk: false,
      logGroup,
    });
  }
}
