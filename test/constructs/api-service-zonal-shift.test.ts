import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { ApiService, ApiServiceProps } from '../../lib/constructs/api-service';
import { ServiceTask } from '../../lib/constructs/service-task';
import { FEATURE_FLAGS, regionalFoundation } from '../helpers';

/** The load balancer's attributes of an ApiService built with `props`. */
function loadBalancerAttributes(props: Partial<ApiServiceProps>): { Key: string; Value: unknown }[] {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1' } });
  const { key, vpc } = regionalFoundation(stack);
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const task = new ServiceTask(stack, 'Task', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-slim'),
    cpu: 512,
    memoryMiB: 1024,
    architecture: 'arm64',
    containerPort: 8080,
    logKey: key,
  });
  new ApiService(stack, 'Api', {
    cluster,
    vpc,
    task,
    certificate: acm.Certificate.fromCertificateArn(
      stack,
      'Certificate',
      'arn:aws:acm:eu-west-1:123456789012:certificate/0d9e2f4c-1111-2222-3333-444455556666',
    ),
    originVerify: {
      headerName: 'X-Origin-Verify',
      headerValue: '{{resolve:secretsmanager:origin:SecretString:value}}',
    },
    ...props,
  });
  const [alb] = Object.values(Template.fromStack(stack).findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
  return alb.Properties.LoadBalancerAttributes;
}

describe('ApiService zonal shift', () => {
  test('is off by default, and says so, so turning it off in config turns it off on the ALB', () => {
    expect(loadBalancerAttributes({})).toContainEqual({ Key: 'zonal_shift.config.enabled', Value: 'false' });
  });

  test('lets ARC shift the load balancer out of an AZ when enabled', () => {
    expect(loadBalancerAttributes({ zonalShift: true })).toContainEqual({
      Key: 'zonal_shift.config.enabled',
      Value: 'true',
    });
  });
});
