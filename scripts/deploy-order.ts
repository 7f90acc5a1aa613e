/**
 * The offline deploy-order check: over a synthesized assembly, finds every reference a stack makes
 * to a thing that some stack of the app creates - a KMS alias, a secret (or its replica), an SSM
 * parameter, a backup vault, a stack output, a hosted zone, a certificate's DNS validation record - and reports each one whose producer does not deploy
 * before its consumer in the manifest's dependency order. CloudFormation only orders what a
 * template says with `Ref`/`GetAtt`; a name, an alias or an ARN pointing into another stack or
 * region is resolved by the service at deploy time, and fails (sometimes silently) when the thing
 * is not there yet. What no stack of the app creates is listed as external: it must exist before
 * the first deploy (the tests pin that list).
 *
 * Usage: node --import tsx scripts/deploy-order.ts [-c key=value ...]; exits 1 on any hazard.
 */
import type { StackTemplate } from './common/assembly';

/** A thing a stack creates or names, e.g. `kms-alias eu-west-1 alias/blueprint/secrets`. */
export type Thing = string;

export interface Reference {
  readonly stack: string;
  readonly thing: Thing;
  /** Where in the template: `LogicalId.Property.path`. */
  readonly at: string;
}

export interface DeployOrderReport {
  /** Every reference to a thing some stack of the app creates, with the stacks that create it. */
  readonly checked: (Reference & { readonly producers: readonly string[] })[];
  /** References whose producer deploys after (or unordered with) the consumer: each is a first-deploy failure. */
  readonly hazards: string[];
  /** Things the app names but creates nowhere, each once: they must exist before the first deploy. */
  readonly external: Thing[];
  /** ARNs naming another region that match no known kind of thing: each needs a look. */
  readonly unknownCrossRegion: string[];
}

/** Policies name what they allow, not what must exist, so they are never references. */
const POLICY_KEYS = new Set([
  'PolicyDocument',
  'KeyPolicy',
  'AssumeRolePolicyDocument',
  'Policies',
  'ManagedPolicyArns',
]);
const UNRESOLVED = '<?>';

export function checkDeployOrder(stacks: readonly StackTemplate[]): DeployOrderReport {
  const byName = new Map(stacks.map((stack) => [stack.stackName, stack]));
  const before = (consumer: string) => transitiveDependencies(consumer, byName);
  const producers = new Map<Thing, Set<string>>();
  const references: Reference[] = [];
  const unknownCrossRegion: string[] = [];
  for (const stack of stacks) {
    const found = scan(stack);
    for (const thing of found.produces) {
      producers.set(thing, (producers.get(thing) ?? new Set()).add(stack.stackName));
    }
    references.push(...found.references);
    unknownCrossRegion.push(...found.unknownCrossRegion);
  }

  const hazards: string[] = [];
  const checked: DeployOrderReport['checked'] = [];
  const external = new Set<Thing>();
  for (const reference of references) {
    const made = producers.get(reference.thing);
    if (!made) {
      external.add(reference.thing);
      continue;
    }
    checked.push({ ...reference, producers: [...made] });
    const earlier = before(reference.stack);
    if (made.has(reference.stack) || [...made].some((producer) => earlier.has(producer))) continue;
    hazards.push(
      `${reference.stack} ${reference.at} needs ${reference.thing}, which ${[...made].join(' and ')} creates, but that stack does not deploy before it`,
    );
  }
  return { checked, hazards, external: [...external].sort(), unknownCrossRegion };
}

function transitiveDependencies(name: string, byName: ReadonlyMap<string, StackTemplate>): Set<string> {
  const seen = new Set<string>();
  const visit = (current: string) => {
    for (const dependency of byName.get(current)?.dependsOn ?? []) {
      if (seen.has(dependency)) continue;
      seen.add(dependency);
      visit(dependency);
    }
  };
  visit(name);
  return seen;
}

interface ScanResult {
  produces: Thing[];
  references: Reference[];
  unknownCrossRegion: string[];
}

function scan(stack: StackTemplate): ScanResult {
  const result: ScanResult = { produces: [], references: [], unknownCrossRegion: [] };
  const { region, stackName } = stack;
  // A name known only at deploy time comes from a Ref or GetAtt, which CloudFormation orders itself.
  const refer = (thing: Thing, at: string) => {
    if (!thing.includes(UNRESOLVED)) result.references.push({ stack: stackName, thing, at });
  };

  for (const name of Object.keys(stack.outputs)) result.produces.push(`output ${stackName} ${name}`);
  for (const [id, parameter] of Object.entries(stack.parameters)) {
    if (parameter.Type.startsWith('AWS::SSM::Parameter::Value') && typeof parameter.Default === 'string') {
      refer(ssmThing(region, parameter.Default), `Parameters.${id}`);
    }
  }

  for (const [id, resource] of Object.entries(stack.resources)) {
    const properties = resource.Properties ?? {};
    const text = (value: unknown) => render(value, stack);
    switch (resource.Type) {
      case 'AWS::KMS::Alias':
        result.produces.push(`kms-alias ${region} ${text(properties.AliasName)}`);
        break;
      case 'AWS::SecretsManager::Secret': {
        const name = properties.Name === undefined ? undefined : text(properties.Name);
        if (name) result.produces.push(`secret ${region} ${name}`);
        const replicas = (properties.ReplicaRegions ?? []) as { Region: unknown; KmsKeyId?: unknown }[];
        replicas.forEach((replica, index) => {
          const replicaRegion = text(replica.Region);
          if (name) result.produces.push(`secret ${replicaRegion} ${name}`);
          if (replica.KmsKeyId !== undefined) {
            const key = kmsThing(replicaRegion, text(replica.KmsKeyId));
            if (key) refer(key, `${id}.ReplicaRegions.${index}.KmsKeyId`);
          }
        });
        break;
      }
      case 'AWS::SSM::Parameter':
        result.produces.push(ssmThing(region, text(properties.Name)));
        break;
      case 'AWS::SNS::Topic':
        if (properties.TopicName !== undefined)
          result.produces.push(`sns-topic ${region} ${text(properties.TopicName)}`);
        break;
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm':
        if (properties.AlarmName !== undefined)
          result.produces.push(`cloudwatch-alarm ${region} ${text(properties.AlarmName)}`);
        break;
      case 'AWS::SQS::Queue':
        if (properties.QueueName !== undefined)
          result.produces.push(`sqs-queue ${region} ${text(properties.QueueName)}`);
        break;
      case 'AWS::Backup::BackupVault':
        result.produces.push(`backup-vault ${region} ${text(properties.BackupVaultName)}`);
        break;
      case 'AWS::S3::Bucket':
        if (properties.BucketName !== undefined) result.produces.push(`s3-bucket ${text(properties.BucketName)}`);
        break;
      case 'AWS::Route53::HostedZone':
        result.produces.push(`hosted-zone ${text(properties.Name).replace(/\.$/, '')}`);
        break;
      case 'AWS::CertificateManager::Certificate':
        scanCertificate(id, properties, stack, result, refer);
        break;
      case 'Custom::AWS':
        scanSdkCalls(id, properties, stack, result, refer);
        break;
    }
    walk(properties, id, (value, at, key) => {
      if (isStackOutputRead(value)) {
        const read = (value as Record<string, Record<string, unknown>>)['Fn::GetStackOutput'];
        refer(`output ${text(read.StackName)} ${text(read.OutputName)}`, at);
        return;
      }
      if (resource.Type === 'AWS::SecretsManager::Secret' && at.includes('.ReplicaRegions.')) return;
      const rendered = renderIfText(value, stack);
      if (rendered === undefined) return;
      if (key && /^(KmsKeyId|KMSKeyId|KmsKeyArn|KmsMasterKeyId|KmsKeyIdentifier)$/.test(key)) {
        const thing = kmsThing(region, rendered);
        if (thing) refer(thing, at);
      }
      for (const match of rendered.matchAll(/\{\{resolve:(secretsmanager|ssm|ssm-secure):([^}]+)\}\}/g)) {
        const [, service, body] = match;
        if (service === 'secretsmanager') {
          const id = body.startsWith('arn:') ? body : body.split(':')[0];
          refer(secretThing(region, id), at);
        } else refer(ssmThing(region, body.replace(/:\d+$/, '')), at);
      }
      for (const arn of rendered.matchAll(/arn:[a-z-]+:([a-z0-9-]+):([a-z0-9-]*):[^:"\s]*:([^"\s,}]+)/g)) {
        const [whole, service, arnRegion, resourcePart] = arn;
        const thing = arnThing(service, arnRegion, resourcePart);
        if (thing) refer(thing, at);
        else if (arnRegion && arnRegion !== region && !arnRegion.includes(UNRESOLVED)) {
          result.unknownCrossRegion.push(`${stackName} ${at}: ${whole}`);
        }
      }
    });
  }
  return result;
}

/**
 * DNS-validated certificates: CloudFormation writes the validation record of each name given a
 * `HostedZoneId`; a name without one waits until some other stack has written its record (ACM's
 * record for a name is the same in every region of an account, decision 5).
 */
function scanCertificate(
  id: string,
  properties: Record<string, unknown>,
  stack: StackTemplate,
  result: ScanResult,
  refer: (thing: Thing, at: string) => void,
): void {
  if (properties.ValidationMethod !== 'DNS') return;
  const options = (properties.DomainValidationOptions ?? []) as { DomainName: unknown; HostedZoneId?: unknown }[];
  const written = new Set(
    options.filter((option) => option.HostedZoneId !== undefined).map((option) => render(option.DomainName, stack)),
  );
  for (const name of written) result.produces.push(`acm-validation-record ${name}`);
  const names = [properties.DomainName, ...((properties.SubjectAlternativeNames ?? []) as unknown[])];
  for (const name of names.map((value) => render(value, stack))) {
    if (!written.has(name)) refer(`acm-validation-record ${name}`, `${id}.DomainName`);
  }
}

/**
 * AwsCustomResource calls: a zone found by name, SSM parameters written into (other) regions, alarms
 * written into another region (PutMetricAlarm).
 */
function scanSdkCalls(
  id: string,
  properties: Record<string, unknown>,
  stack: StackTemplate,
  result: ScanResult,
  refer: (thing: Thing, at: string) => void,
): void {
  for (const phase of ['Create', 'Update']) {
    if (properties[phase] === undefined) continue;
    let call: { service?: string; action?: string; region?: string; parameters?: Record<string, unknown> };
    try {
      call = JSON.parse(render(properties[phase], stack));
    } catch {
      continue;
    }
    const service = (call.service ?? '').toLowerCase().replace(/^@aws-sdk\/client-/, '');
    const action = (call.action ?? '').replace(/Command$/, '').toLowerCase();
    const callRegion = call.region ?? stack.region;
    const alarmName = call.parameters?.AlarmName;
    if (service === 'cloudwatch' && action === 'putmetricalarm' && typeof alarmName === 'string') {
      result.produces.push(`cloudwatch-alarm ${callRegion} ${alarmName}`);
    }
    const name = call.parameters?.Name ?? call.parameters?.DNSName;
    if (typeof name !== 'string') continue;
    if (service === 'ssm' && action === 'putparameter' && !name.includes(UNRESOLVED)) {
      result.produces.push(ssmThing(callRegion, name));
    }
    if (service === 'ssm' && action === 'getparameter') refer(ssmThing(callRegion, name), `${id}.${phase}`);
    if (service === 'route53' && action === 'listhostedzonesbyname') {
      refer(`hosted-zone ${name.replace(/\.$/, '')}`, `${id}.${phase}`);
    }
  }
}

function kmsThing(region: string, keyId: string): Thing | undefined {
  if (keyId.startsWith('alias/')) return `kms-alias ${region} ${keyId}`;
  const arn = keyId.match(/^arn:[a-z-]+:kms:([a-z0-9-]+):[^:]*:(alias\/.+)$/);
  return arn ? `kms-alias ${arn[1]} ${arn[2]}` : undefined;
}

function secretThing(region: string, nameOrArn: string): Thing {
  const arn = nameOrArn.match(/^arn:[a-z-]+:secretsmanager:([a-z0-9-]+):[^:]*:secret:(.+)$/);
  return arn ? `secret ${arn[1]} ${secretName(arn[2])}` : `secret ${region} ${nameOrArn}`;
}

/** A secret's name from the resource part of its ARN: full ARNs end in `-` and six random characters. */
function secretName(resource: string): string {
  return resource.replace(/-(\?{6}|[A-Za-z0-9]{6}|<\?>)$/, '').replace(/\*$/, '');
}

function ssmThing(region: string, name: string): Thing {
  return `ssm-parameter ${region} ${name.replace(/^\//, '')}`;
}

/** The thing an ARN names, for the kinds this check tracks. */
function arnThing(service: string, region: string, resource: string): Thing | undefined {
  if (service === 'secretsmanager' && resource.startsWith('secret:')) {
    return `secret ${region} ${secretName(resource.slice('secret:'.length))}`;
  }
  if (service === 'kms' && resource.startsWith('alias/')) return `kms-alias ${region} ${resource}`;
  if (service === 'ssm' && resource.startsWith('parameter'))
    return ssmThing(region, resource.slice('parameter'.length));
  if (service === 'sns') return `sns-topic ${region} ${resource}`;
  if (service === 'cloudwatch' && resource.startsWith('alarm:')) {
    return `cloudwatch-alarm ${region} ${resource.slice('alarm:'.length)}`;
  }
  if (service === 'sqs') return `sqs-queue ${region} ${resource}`;
  if (service === 's3' && !resource.includes('/')) return `s3-bucket ${resource}`;
  if (service === 'backup' && resource.startsWith('backup-vault:')) {
    return `backup-vault ${region} ${resource.slice('backup-vault:'.length)}`;
  }
  return undefined;
}

function isStackOutputRead(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'Fn::GetStackOutput' in value;
}

function walk(node: unknown, at: string, visit: (value: unknown, at: string, key?: string) => void, key?: string) {
  visit(node, at, key);
  if (isStackOutputRead(node)) return;
  if (Array.isArray(node)) {
    node.forEach((item, index) => walk(item, `${at}.${index}`, visit, key));
  } else if (typeof node === 'object' && node !== null) {
    const entries = Object.entries(node);
    // An intrinsic is rendered whole at its own node; its arguments are not values of their own.
    if (entries.length === 1 && /^(Fn::|Ref$)/.test(entries[0][0])) return;
    for (const [childKey, child] of entries) {
      if (!POLICY_KEYS.has(childKey)) walk(child, `${at}.${childKey}`, visit, childKey);
    }
  }
}

function renderIfText(value: unknown, stack: StackTemplate): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const [key] = Object.keys(value);
  return key === 'Fn::Join' || key === 'Fn::Sub' || key === 'Ref' ? render(value, stack) : undefined;
}

/** A template value as text: pseudo parameters filled in, anything else known only at deploy time as `<?>`. */
export function render(value: unknown, stack: Pick<StackTemplate, 'region'>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'object' || value === null) return UNRESOLVED;
  const intrinsic = value as Record<string, unknown>;
  if ('Ref' in intrinsic) return pseudo(intrinsic.Ref as string, stack) ?? UNRESOLVED;
  if (Array.isArray(intrinsic['Fn::Join'])) {
    const [delimiter, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return Array.isArray(parts) ? parts.map((part) => render(part, stack)).join(delimiter) : UNRESOLVED;
  }
  if ('Fn::Sub' in intrinsic) {
    const sub = intrinsic['Fn::Sub'];
    const [body, variables] = (Array.isArray(sub) ? sub : [sub, {}]) as [string, Record<string, unknown>];
    return body.replace(/\$\{([^}]+)\}/g, (_, name: string) =>
      name in variables ? render(variables[name], stack) : (pseudo(name, stack) ?? UNRESOLVED),
    );
  }
  return UNRESOLVED;
}

function pseudo(name: string, stack: Pick<StackTemplate, 'region'>): string | undefined {
  switch (name) {
    case 'AWS::Region':
      return stack.region;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::AccountId':
      return '<account>';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    default:
      return undefined;
  }
}

if (require.main === module) {
  // Loaded lazily: the check itself needs nothing of the app, so its tests stay light.
  const { cdkContext, stacksOf, withSynthesizedApp } =
    require('./common/assembly') as typeof import('./common/assembly');
  const { commandLine, run } = require('./common/cli') as typeof import('./common/cli');
  run('deploy-order', () => {
    const { context } = commandLine(
      process.argv.slice(2),
      'node --import tsx scripts/deploy-order.ts [-c key=value ...]',
    );
    const report = withSynthesizedApp(cdkContext(context), (assembly) => checkDeployOrder(stacksOf(assembly)));
    for (const hazard of report.hazards) console.log(`hazard: ${hazard}`);
    for (const thing of report.external) console.log(`must exist before the first deploy: ${thing}`);
    for (const arn of report.unknownCrossRegion) console.log(`names another region: ${arn}`);
    process.exitCode = report.hazards.length > 0 ? 1 : 0;
  });
}
