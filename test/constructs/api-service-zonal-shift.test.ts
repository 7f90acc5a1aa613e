import { ApiServiceProps } from '../../lib/constructs/api-service';
import { build } from './api-service.fixture';

/** The load balancer's attributes of an ApiService built with `props`. */
function loadBalancerAttributes(props: Partial<ApiServiceProps>): { Key: string; Value: unknown }[] {
  const [alb] = Object.values(build(props).template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
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
