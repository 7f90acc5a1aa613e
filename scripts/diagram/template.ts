/**
 * Read-only helpers over one synthesized stack, as the diagram reads it: resources by type, who
 * references whom, and the literal text inside `Fn::Join`s (enough to read a region out of an
 * ARN built from names).
 */
import { StackTemplate, refTarget } from '../common/assembly';

/** Properties of a resource as synthesized: plain JSON with CloudFormation intrinsics. */
export type Props = Record<string, any>;

export interface Resource {
  readonly logicalId: string;
  readonly type: string;
  readonly props: Props;
}

/** One stack of the cloud assembly, as the diagram sees it. */
export class TemplateView {
  public readonly stackName: string;
  public readonly region: string;
  public readonly resources: readonly Resource[];

  constructor(stack: StackTemplate) {
    this.stackName = stack.stackName;
    this.region = stack.region;
    this.resources = Object.entries(stack.resources).map(([logicalId, resource]) => ({
      logicalId,
      type: resource.Type,
      props: resource.Properties ?? {},
    }));
  }

  ofType(type: string): Resource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  count(type: string): number {
    return this.ofType(type).length;
  }

  byId(logicalId: string | undefined): Resource | undefined {
    return logicalId === undefined ? undefined : this.resources.find((r) => r.logicalId === logicalId);
  }
}

/** Whether `value` contains, at any depth, a `Ref` or `Fn::GetAtt` to `logicalId`. */
export function mentions(value: unknown, logicalId: string): boolean {
  if (refTarget(value) === logicalId) return true;
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value as Record<string, unknown>).some((child) => mentions(child, logicalId));
}

/** The literal strings in `value` (a string or an `Fn::Join`), joined; intrinsics count as empty. */
export function literalText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return '';
  const join = (value as Record<string, unknown>)['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) return join[1].map(literalText).join('');
  return '';
}

/** The region of an `arn:<partition>:<service>:<region>:…` written out literally, if any. */
export function arnRegion(value: unknown, service: string): string | undefined {
  return new RegExp(`arn:[a-z-]+:${service}:([a-z0-9-]+):`).exec(literalText(value))?.[1];
}

/** `['shard-10', 'shard-2']` sorts as `shard-2, shard-10`. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** `1` → `1`, `2` → `2s`, as in `plural(2, 'shard')` → `2 shards`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** `2000` → `2,000`, independent of the machine's locale. */
export function thousands(value: number): string {
  return value.toLocaleString('en-US');
}
