import { COLORS, INK, LINES, STYLE, drawLabel } from './cards';
import { FULL, PlacedColumn } from './column';
import { Lane } from './model';
import { Point, SvgWriter, textWidth } from './svg';

const { flow: FLOW, replication: REPLICATION, mesh: MESH } = LINES;

/** A bus in the gap under the database row: down from the primary, up into each secondary. */
export function drawReplicationLane(svg: SvgWriter, lane: Lane, columns: readonly PlacedColumn[], y: number): void {
  const ends = columns.flatMap(({ column, boxes }) => {
    const db = boxes.database;
    if (!db) return [];
    const x = db.x + db.width / 2;
    if (lane.from.includes(column.region)) return [{ x, top: db.y + db.height, source: true }];
    if (lane.to.includes(column.region)) return [{ x, top: db.y + db.height, source: false }];
    return [];
  });
  if (ends.length < 2) return;
  svg.comment(lane.detail);
  const xs = ends.map((end) => end.x);
  svg.path(
    [
      { x: Math.min(...xs), y },
      { x: Math.max(...xs), y },
    ],
    REPLICATION,
  );
  for (const end of ends) {
    const stub: Point[] = [
      { x: end.x, y: end.source ? end.top : y },
      { x: end.x, y: end.source ? y : end.top },
    ];
    svg.path(stub, { ...REPLICATION, 'marker-end': end.source ? undefined : 'url(#arrow-replication)' });
  }
  // The name sits above the lane on the side the lane does not run to, inside the primary's column.
  const source = ends.find((end) => end.source)!;
  const rightward = source.x < Math.max(...xs);
  drawLabel(svg, source.x + (rightward ? -8 : 8), y - 6, lane.name, {
    maxWidth: FULL / 2 - 16,
    anchor: rightward ? 'end' : 'start',
    upward: true,
    color: INK.replication,
    style: { size: 10.5, bold: true },
  });
}

/** A bus under the columns: every region's topic feeds it, and it feeds every region's queue. */
export function drawMeshLane(svg: SvgWriter, lane: Lane, columns: readonly PlacedColumn[], y: number): void {
  const ends = columns.flatMap(({ column, boxes }) => [
    ...(lane.from.includes(column.region) && boxes.topic ? [{ box: boxes.topic, source: true }] : []),
    ...(lane.to.includes(column.region) && boxes.invalidationQueue
      ? [{ box: boxes.invalidationQueue, source: false }]
      : []),
  ]);
  if (ends.length < 2) return;
  svg.comment(lane.detail);
  const xs = ends.map(({ box }) => box.x + box.width / 2);
  svg.path(
    [
      { x: Math.min(...xs), y },
      { x: Math.max(...xs), y },
    ],
    MESH,
  );
  for (const { box, source } of ends) {
    const x = box.x + box.width / 2;
    const boxBottom = box.y + box.height;
    svg.path(
      [
        { x, y: source ? boxBottom : y },
        { x, y: source ? y : boxBottom },
      ],
      { ...MESH, 'marker-end': source ? undefined : 'url(#arrow-mesh)' },
    );
  }
}

/** Colour key and notes; returns the y under them. */
export function drawLegend(svg: SvgWriter, x: number, y: number, width: number, notes: readonly string[]): number {
  const entries: Array<{ text: string; draw: (x: number, y: number) => void }> = [
    ...(
      [
        ['edge', 'Edge stack (global)'],
        ['service', 'Service stack per region (stateless)'],
        ['data', 'Data stack per region (stateful)'],
      ] as const
    ).map(([tone, text]) => ({
      text,
      draw: (sx: number, sy: number) =>
        svg.rect(sx, sy - 10, 22, 13, { rx: 3, fill: COLORS[tone].fill, stroke: COLORS[tone].stroke }),
    })),
    ...(
      [
        ['request and data flow', FLOW],
        ['Aurora global replication', REPLICATION],
        ['cache invalidation events', MESH],
      ] as const
    ).map(([text, attrs]) => ({
      text,
      draw: (sx: number, sy: number) =>
        svg.path(
          [
            { x: sx, y: sy - 4 },
            { x: sx + 22, y: sy - 4 },
          ],
          { ...attrs, 'marker-end': undefined },
        ),
    })),
  ];
  let cursor = x;
  for (const entry of entries) {
    const entryWidth = 30 + textWidth(entry.text, STYLE.label) + 24;
    if (cursor + entryWidth > x + width) {
      cursor = x;
      y += 20;
    }
    entry.draw(cursor, y);
    svg.text(cursor + 30, y, entry.text, STYLE.label, { fill: INK.text });
    cursor += entryWidth;
  }
  y += 8;
  for (const note of notes) y += drawLabel(svg, x, y + 14, note, { maxWidth: width });
  return y;
}
