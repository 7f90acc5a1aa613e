import { INK, LINES, MeasuredCard, STYLE, drawBadge, drawCard, measureCard } from './cards';
import { Card, RegionColumn } from './model';
import { SvgWriter, wrap } from './svg';

export const COLUMN_WIDTH = 440;
export const COLUMN_GAP = 40;
/** Inside a region column; the arrows from the tasks to the database run in this margin. */
export const PAD = 20;
const GUTTER = 24;
const HALF = (COLUMN_WIDTH - 2 * PAD - GUTTER) / 2;
export const FULL = COLUMN_WIDTH - 2 * PAD;
export const ROW_GAP = 40;
/** Under the database row runs the replication lane, with its name above it. */
export const LANE_GAP = 52;
const PRIMARY_COLOR = '#c62828';
const FLOW = LINES.flow;

/** The slots of a region column, row by row: [left, right], or one card across the column. */
export type Slot = keyof Pick<
  RegionColumn,
  'alb' | 'api' | 'worker' | 'cache' | 'queue' | 'database' | 'topic' | 'invalidationQueue'
>;
export const ROWS: ReadonlyArray<readonly [Slot | 'header', Slot | 'header' | undefined]> = [
  ['alb', 'header'],
  ['api', 'worker'],
  ['cache', 'queue'],
  ['database', undefined],
  ['topic', 'invalidationQueue'],
];

export interface PlacedColumn {
  readonly column: RegionColumn;
  readonly x: number;
  /** Card of each slot with where it was drawn. */
  readonly boxes: Partial<Record<Slot, { x: number; y: number; width: number; height: number }>>;
}
export interface MeasuredColumn {
  readonly cards: Partial<Record<Slot, MeasuredCard>>;
  readonly header: { readonly facts: readonly string[]; readonly height: number };
  readonly rows: readonly number[];
}

export function measureColumn(column: RegionColumn): MeasuredColumn {
  const cards: Partial<Record<Slot, MeasuredCard>> = {};
  for (const [left, right] of ROWS) {
    for (const [slot, width] of [
      [left, right === undefined ? FULL : HALF],
      [right, HALF],
    ] as const) {
      if (slot === undefined || slot === 'header') continue;
      const card: Card | undefined = column[slot];
      if (card) cards[slot] = measureCard(card, width);
    }
  }
  const facts = column.facts.flatMap((fact) => wrap(fact, STYLE.cardLine, HALF));
  const header = { facts, height: 24 + 27 + facts.length * 14 + 4 };
  const rows = ROWS.map(([left, right]) =>
    Math.max(
      ...[left, right].map((slot) =>
        slot === 'header' ? header.height : slot === undefined ? 0 : (cards[slot]?.height ?? 0),
      ),
    ),
  );
  return { cards, header, rows };
}

export function drawColumn(
  svg: SvgWriter,
  column: RegionColumn,
  measured: MeasuredColumn,
  x: number,
  top: number,
  bottom: number,
  rowTops: readonly number[],
  rowHeights: readonly number[],
  routingBottom: number,
): PlacedColumn {
  svg.open('g', { id: `region-${column.region}` });
  svg.rect(x, top, COLUMN_WIDTH, bottom - top, {
    rx: 10,
    fill: '#fafafa',
    stroke: column.primary ? PRIMARY_COLOR : '#9e9e9e',
    'stroke-width': column.primary ? 2 : 1.2,
  });
  const left = x + PAD;
  const right = left + HALF + GUTTER;
  const boxes: PlacedColumn['boxes'] = {};
  ROWS.forEach(([leftSlot, rightSlot], row) => {
    for (const [slot, slotX] of [
      [leftSlot, left],
      [rightSlot, right],
    ] as const) {
      if (slot === 'header') {
        drawHeader(svg, column, measured.header.facts, slotX, rowTops[row]);
        continue;
      }
      const card = slot && measured.cards[slot];
      if (!slot || !card) continue;
      drawCard(svg, card, slotX, rowTops[row], rowHeights[row]);
      boxes[slot] = { x: slotX, y: rowTops[row], width: card.width, height: rowHeights[row] };
    }
  });

  const { alb, api, worker, cache, queue, database } = boxes;
  const center = (box: { x: number; width: number }) => box.x + box.width / 2;
  const bottomOf = (box: { y: number; height: number }) => box.y + box.height;
  if (alb)
    svg.path(
      [
        { x: center(alb), y: routingBottom },
        { x: center(alb), y: alb.y },
      ],
      FLOW,
    );
  if (alb && api)
    svg.path(
      [
        { x: center(api), y: bottomOf(alb) },
        { x: center(api), y: api.y },
      ],
      FLOW,
    );
  if (api && cache) {
    svg.path(
      [
        { x: center(cache), y: bottomOf(api) },
        { x: center(cache), y: cache.y },
      ],
      FLOW,
    );
    label(svg, center(cache) - 7, bottomOf(api) + ROW_GAP / 2 + 4, 'cache-aside', 'end');
  }
  if (api && queue) {
    const from = { x: api.x + api.width - 40, y: bottomOf(api) };
    const to = { x: queue.x + 40, y: queue.y };
    svg.path([from, to], FLOW);
    label(svg, (from.x + to.x) / 2 + 6, (from.y + to.y) / 2 - 5, 'jobs');
  }
  if (queue && worker) {
    svg.path(
      [
        { x: center(queue), y: queue.y },
        { x: center(queue), y: bottomOf(worker) },
      ],
      FLOW,
    );
    label(svg, center(queue) + 7, bottomOf(worker) + ROW_GAP / 2 + 4, 'polls');
  }
  if (database) {
    // Tasks reach the shards around the cards between them, through the column's margins.
    const laneY = database.y - ROW_GAP / 2;
    if (api) {
      const drop = database.x + 40;
      svg.path(
        [
          { x: api.x, y: api.y + api.height / 2 },
          { x: x + PAD / 2, y: api.y + api.height / 2 },
          { x: x + PAD / 2, y: laneY },
          { x: drop, y: laneY },
          { x: drop, y: database.y },
        ],
        FLOW,
      );
      label(svg, drop + 6, laneY + 14, 'SQL');
    }
    if (worker) {
      const drop = database.x + database.width - 40;
      const margin = x + COLUMN_WIDTH - PAD / 2;
      svg.path(
        [
          { x: worker.x + worker.width, y: worker.y + worker.height / 2 },
          { x: margin, y: worker.y + worker.height / 2 },
          { x: margin, y: laneY },
          { x: drop, y: laneY },
          { x: drop, y: database.y },
        ],
        FLOW,
      );
      label(svg, drop - 6, laneY + 14, 'SQL', 'end');
    }
  }
  svg.close('g');
  return { column, x, boxes };
}

function drawHeader(svg: SvgWriter, column: RegionColumn, facts: readonly string[], x: number, y: number): void {
  svg.text(x, y + 17, column.region, STYLE.region, { fill: column.primary ? PRIMARY_COLOR : INK.text });
  drawBadge(
    svg,
    x,
    y + 26,
    column.primary ? 'PRIMARY · WRITERS' : 'SECONDARY · READ REPLICAS',
    column.primary,
    column.primary ? PRIMARY_COLOR : '#616161',
  );
  facts.forEach((fact, i) => svg.text(x, y + 26 + 19 + 18 + i * 14, fact, STYLE.cardLine, { fill: INK.muted }));
}

function label(svg: SvgWriter, x: number, y: number, text: string, anchor?: 'end'): void {
  svg.text(x, y, text, STYLE.label, { fill: INK.flow, 'text-anchor': anchor });
}
