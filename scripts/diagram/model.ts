/**
 * What the diagram shows, as text already read from the templates: the renderer only places
 * it. A card missing from a region (a resource a future change removes) leaves its slot empty
 * and drops the arrows that would touch it.
 */

/** Which stack a card's resources live in; sets its colours. */
export type Tone = 'edge' | 'service' | 'data' | 'neutral';

export interface Card {
  readonly title: string;
  readonly lines: readonly string[];
  readonly tone: Tone;
}

export interface EdgeTier {
  /** Header of the Edge group, e.g. `Edge stack · blueprint-Edge · us-east-1 (global)`. */
  readonly label: string;
  readonly zone?: Card;
  readonly firewall?: Card;
  readonly cdn?: Card;
  readonly site?: Card;
  /** On the arrow from the users to the CDN: the names it answers. */
  readonly usersLabel: string;
  /** On the arrow from the CDN to the static site: the paths it serves from S3. */
  readonly staticLabel?: string;
  /** On the arrow from the CDN to the regions: the paths it sends to the origin name. */
  readonly dynamicLabel?: string;
}

export interface RegionColumn {
  readonly region: string;
  /** Holds the database writers (creates the global clusters). */
  readonly primary: boolean;
  /** Under the region name: network and operations facts. */
  readonly facts: readonly string[];
  readonly alb?: Card;
  readonly api?: Card;
  readonly worker?: Card;
  readonly cache?: Card;
  readonly queue?: Card;
  readonly database?: Card;
  readonly topic?: Card;
  readonly invalidationQueue?: Card;
}

/** A connection between region columns drawn as a bus below them. */
export interface Lane {
  /** Written on the lane, e.g. `Aurora global replication`. */
  readonly name: string;
  /** Written under the columns: what the lane carries, with counts. */
  readonly detail: string;
  /** Regions whose card sends onto the lane. */
  readonly from: readonly string[];
  /** Regions whose card the lane points into. */
  readonly to: readonly string[];
}

export interface ArchitectureModel {
  readonly title: string;
  readonly subtitle: string;
  readonly edge: EdgeTier;
  /** The latency-routed origin name in front of the regions. */
  readonly routing?: Card;
  /** One column per serving region, in `regions` order. */
  readonly regions: readonly RegionColumn[];
  /** Aurora global replication from the primary to the regions that join its clusters. */
  readonly replication?: Lane;
  /** The cache-invalidation mesh between the regions' topics and queues. */
  readonly invalidation?: Lane;
  /** Lines under the legend. */
  readonly notes: readonly string[];
}
