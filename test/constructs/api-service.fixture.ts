import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiService, ApiServiceProps } from '../../lib/constructs/api-service';
import { ServiceTask, ServiceTaskProps } from '../../lib/constructs/service-task';
import { FEATURE_FLAGS, regionalFoundation } from '../helpers';

/**
 * An ApiService in a region's Service stack in miniature: the region's key and VPC, a cluster, a
 * task, an imported certificate and a data-clients group. Shared by the ApiService test files.
 */
export const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/0d9e2f4c-1111-2222-3333-444455556666';
export const HEADER_VALUE = '{{resolve:secretsmanager:app/origin-verify:SecretString:value}}';

export interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly api: ApiService;
  readonly template: Template;
  readonly clientGroupId: string;
}

export function build(
  props: Partial<ApiServiceProps> = {},
  options: { nag?: boolean; task?: Partial<ServiceTaskProps> } = {},
): Built {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1' } });
  const { key, vpc } = regionalFoundation(stack);
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENHANCED });
  const dataClients = new ec2.SecurityGroup(stack, 'DataClients', { vpc, description: 'Clients of the data tier' });
  const task = new ServiceTask(stack, 'Task', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-slim'),
    cpu: 512,
    memoryMiB: 1024,
    architecture: 'arm64',
    containerPort: 8080,
    logKey: key,
    ...options.task,
  });
  const api = new ApiService(stack, 'Api', {
    cluster,
    vpc,
    task,
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', CERTIFICATE_ARN),
    originVerify: { headerName: 'X-Origin-Verify', headerValue: HEADER_VALUE },
    securityGroups: [dataClients],
    ...props,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const clientGroupId = stack.getLogicalId(dataClients.node.defaultChild as never);
  return { app, stack, api, template: Template.fromStack(stack), clientGroupId };
}
