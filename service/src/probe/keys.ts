/**
 * The consistency probe's key space. Item ids and user ids starting with `probe-` belong to the
 * probe: business metrics (ItemsWritten, DailyActiveUsers) leave them out, and only the probe
 * identity of a region may write that region's marker, so users can neither write a marker
 * (which would fake freshness) nor can the probe's session write anything else.
 */
export const PROBE_PREFIX = 'probe-';

export function isProbeId(id: string): boolean {
  return id.startsWith(PROBE_PREFIX);
}

/** The marker item a region's probe writes; its id is also the probe's user id there. */
export function probeMarkerId(region: string): string {
  return `${PROBE_PREFIX}${region}`;
}

/** Whether `userId` may write item `id`: a probe identity writes its own marker and nothing else. */
export function writeAllowed(userId: string, id: string): boolean {
  if (!isProbeId(userId) && !isProbeId(id)) return true;
  return userId === id;
}
