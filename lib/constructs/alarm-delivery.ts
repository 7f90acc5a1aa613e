import { Token } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Severity } from './monitoring/thresholds';

/** A Slack channel of a workspace authorized in Amazon Q Developer in chat applications. */
export interface SlackChannel {
  /** e.g. `T0123ABCD` */
  readonly workspaceId: string;
  /** e.g. `C0123ABCD` */
  readonly channelId: string;
}

/** A Microsoft Teams channel of a team authorized in Amazon Q Developer in chat applications. */
export interface TeamsChannel {
  readonly tenantId: string;
  readonly teamId: string;
  /** URL-encoded, as in the channel's link: e.g. `19%3Aabc%40thread.tacv2` */
  readonly channelId: string;
}

/** Who hears about the alarms of one severity. */
export interface AlarmTargets {
  /**
   * Addresses subscribed to the topic; each must confirm.
   * @default none
   */
  readonly emails?: readonly string[];
  /**
   * HTTPS endpoints subscribed to the topic, such as a pager's SNS integration URL; each must
   * confirm (the pagers do it themselves).
   * @default none
   */
  readonly httpsEndpoints?: readonly string[];
  /**
   * Slack channels, through Amazon Q Developer in chat applications (AWS Chatbot).
   * @default none
   */
  readonly slackChannels?: readonly SlackChannel[];
  /**
   * Microsoft Teams channels, through Amazon Q Developer in chat applications (AWS Chatbot).
   * @default none
   */
  readonly teamsChannels?: readonly TeamsChannel[];
}

export interface AlarmDeliveryProps {
  /** The topic of each severity, e.g. `RegionalMonitoring.topics`. */
  readonly topics: { readonly [S in Severity]: sns.ITopic };
  /**
   * Targets per severity.
   * @default no target: the topics only hold the alarms
   */
  readonly targets?: { readonly [S in Severity]?: AlarmTargets };
  /**
   * Start of the chat configurations' names, which are unique per account (not per region):
   * give each stack its own, e.g. `blueprint-eu-west-1`.
   */
  readonly chatConfigurationPrefix: string;
}

/**
 * Delivers alarm topics to people: e-mail and HTTPS subscriptions, and Slack or Teams channels
 * through Amazon Q Developer in chat applications. The chat channels only receive notifications:
 * their role holds no permission and the guardrail denies everything, so nobody can run AWS
 * commands from the channel.
 */
export class AlarmDelivery extends Construct {
  /** Chat configurations by severity, in the order of the props. */
  public readonly chatConfigurations: { readonly [S in Severity]: readonly string[] };

  constructor(scope: Construct, id: string, props: AlarmDeliveryProps) {
    super(scope, id);
    const prefix = props.chatConfigurationPrefix;
    if (!Token.isUnresolved(prefix) && !/^[A-Za-z0-9-_]{1,100}$/.test(prefix)) {
      throw new Error(`${this.node.path}: chatConfigurationPrefix = "${prefix}" must be 1-100 letters, digits, - or _`);
    }
    for (const severity of ['page', 'ticket'] as const) {
      for (const url of props.targets?.[severity]?.httpsEndpoints ?? []) {
        if (!Token.isUnresolved(url) && !url.startsWith('https://')) {
          throw new Error(`${this.node.path}: targets.${severity}.httpsEndpoints has "${url}", not an https:// URL`);
        }
      }
    }

    const chatTargets = (['page', 'ticket'] as const).some(
      (s) => (props.targets?.[s]?.slackChannels?.length ?? 0) + (props.targets?.[s]?.teamsChannels?.length ?? 0) > 0,
    );
    const chatRole = chatTargets
      ? new iam.Role(this, 'ChatRole', {
          assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
          description: 'Amazon Q Developer in chat applications: alarm notifications only, no permissions',
        })
      : undefined;
    // Guardrails cap what any channel member could do through the chat app: nothing.
    const denyAll = iam.ManagedPolicy.fromAwsManagedPolicyName('AWSDenyAll');

    const names: Record<Severity, string[]> = { page: [], ticket: [] };
    for (const severity of ['page', 'ticket'] as const) {
      const topic = props.topics[severity];
      const targets = props.targets?.[severity] ?? {};
      for (const email of targets.emails ?? []) topic.addSubscription(new subscriptions.EmailSubscription(email));
      for (const url of targets.httpsEndpoints ?? []) topic.addSubscription(new subscriptions.UrlSubscription(url));
      (targets.slackChannels ?? []).forEach((channel, i) => {
        const name = `${prefix}-${severity}-slack-${i}`;
        new chatbot.SlackChannelConfiguration(this, `${pascal(severity)}Slack${i}`, {
          slackChannelConfigurationName: name,
          slackWorkspaceId: channel.workspaceId,
          slackChannelId: channel.channelId,
          notificationTopics: [topic],
          role: chatRole,
          guardrailPolicies: [denyAll],
        });
        names[severity].push(name);
      });
      (targets.teamsChannels ?? []).forEach((channel, i) => {
        const name = `${prefix}-${severity}-teams-${i}`;
        // aws-cdk-lib has no L2 for Teams channels (only Slack).
        new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, `${pascal(severity)}Teams${i}`, {
          configurationName: name,
          teamsTenantId: channel.tenantId,
          teamId: channel.teamId,
          teamsChannelId: channel.channelId,
          snsTopicArns: [topic.topicArn],
          iamRoleArn: chatRole!.roleArn,
          guardrailPolicies: [denyAll.managedPolicyArn],
        });
        names[severity].push(name);
      });
    }
    this.chatConfigurations = names;
  }
}

const pascal = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
