import { COMPUTE_METERS } from './compute';
import { DATA_METERS } from './data';
import { EDGE_METERS } from './edge';
import { Meter } from './kit';
import { NETWORK_METERS } from './network';
import { OBSERVABILITY_METERS } from './observability';
import { SCHEDULED_METERS } from './scheduled';

export { FREE_TYPES } from './free';
export { GLOBAL, MeterContext } from './kit';
export type { Meter, MeterInput, Usage } from './kit';

/** Every billed CloudFormation type and its meter, one module per tier. */
export const METERS: Readonly<Record<string, Meter>> = {
  ...NETWORK_METERS,
  ...COMPUTE_METERS,
  ...DATA_METERS,
  ...OBSERVABILITY_METERS,
  ...EDGE_METERS,
  ...SCHEDULED_METERS,
};
