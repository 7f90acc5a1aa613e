import { Meter, Usage, fixed, props, regionalShare, share, perRegionUsage } from './kit';

/** Meters of the network: NAT, public IPv4, endpoints, traffic between AZs, flow logs, load balancers. */
export const NETWORK_METERS: Readonly<Record<string, Meter>> = {
  'AWS::EC2::NatGateway': (input) => {
    const { region } = input.stack;
    const { context } = input;
    return [
      fixed(input, 'NAT gateways', 'natGateway.hour', 1, 'NAT gateways', { hours: true }),
      fixed(
        input,
        'NAT gateway data processed',
        'natGateway.gb',
        // A region without interface endpoints sends their traffic (image pulls, logs) through NAT.
        regionalShare(
          input,
          context.assumptions.natGbPerRegion +
            (context.count(region, 'AWS::EC2::VPCEndpoint', 'Interface') ? 0 : context.assumptions.endpointGbPerRegion),
        ),
        'GB',
      ),
    ];
  },

  'AWS::EC2::EIP': (input) => [
    fixed(input, 'Public IPv4 addresses', 'publicIpv4.hour', 1, 'addresses', { hours: true }),
  ],

  'AWS::EC2::VPCEndpoint': (input) => {
    const p = props(input);
    const type = p.VpcEndpointType ?? 'Gateway';
    if (type === 'Gateway') return [];
    if (type !== 'Interface') {
      return [fixed(input, `${type} endpoints`, `vpcEndpoint.${type}.azHour`, 1, 'endpoints', { hours: true })];
    }
    const { region } = input.stack;
    const azs = Math.max(1, (p.SubnetIds ?? []).length);
    const endpoints = input.context.count(region, 'AWS::EC2::VPCEndpoint', 'Interface');
    return [
      fixed(input, 'Interface endpoints (per AZ)', 'vpcEndpoint.azHour', azs, 'endpoint-AZs', { hours: true }),
      fixed(
        input,
        'Interface endpoint data processed',
        'vpcEndpoint.gb',
        share(input.context.assumptions.endpointGbPerRegion, endpoints),
        'GB',
      ),
    ];
  },

  'AWS::EC2::VPC': (input) => [
    fixed(
      input,
      'Data transfer between AZs',
      'dataTransfer.crossAzGb',
      regionalShare(input, input.context.assumptions.crossAzGbPerRegion) * 2,
      'GB (both directions)',
    ),
  ],

  'AWS::EC2::FlowLog': (input) => [
    perRegionUsage(input, 'CloudWatch Logs ingestion (VPC flow logs)', 'logs.ingestGb', 'flowLogsGbPerRegion', 'GB'),
  ],

  'AWS::ElasticLoadBalancingV2::LoadBalancer': (input) => {
    const p = props(input);
    const type = p.Type ?? 'application';
    const usages: Usage[] = [];
    const publicIps =
      p.Scheme === 'internet-facing' && p.IpAddressType !== 'dualstack-without-public-ipv4'
        ? (p.Subnets ?? p.SubnetMappings ?? []).length
        : 0;
    if (publicIps)
      usages.push(fixed(input, 'Public IPv4 addresses', 'publicIpv4.hour', publicIps, 'addresses', { hours: true }));
    if (type !== 'application') {
      usages.push(
        fixed(input, `${type} load balancers`, `${type}LoadBalancer.hour`, 1, 'load balancers', { hours: true }),
      );
      return usages;
    }
    const { assumptions, hoursPerMonth } = input.context;
    const albs = input.context.count('*', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'application');
    const gbPerHour = share(assumptions.originGbPerMonth, albs) / hoursPerMonth;
    const originRequests = assumptions.requestsPerMonth * (1 - assumptions.cacheHitRatio);
    const newConnectionsPerSecond =
      (share(originRequests, albs) * assumptions.albNewConnectionsPerRequest) / (hoursPerMonth * 3600);
    const lcu = Math.max(gbPerHour, newConnectionsPerSecond / 25);
    usages.push(
      fixed(input, 'Application Load Balancers', 'alb.hour', 1, 'load balancers', { hours: true }),
      fixed(input, 'ALB capacity units', 'alb.lcuHour', lcu, 'LCU (average)', { hours: true }),
    );
    return usages;
  },
};
