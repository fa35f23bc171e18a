import type { MutationArgs, MutationName } from '@gatehouse/protocol';
import type { AppContext } from '../../context';
import type { StoreOp } from '../../store/port';
import type { UserRow } from '../../store/rows';
import type { BatchAccess } from './access';

/** What one mutation's planner gets: the pushing user as of now, and where it came from. */
export type ApplyInput = {
  ctx: AppContext;
  user: UserRow;
  deviceId: string;
  /** The mutation's HLC, as stamped by the device. */
  hlc: string;
  access: BatchAccess;
};

/**
 * Checks that the user may make this mutation now and returns the store write it makes; throws a
 * GatehouseError (→ `rejected` with its code and message) when they may not.
 */
export type MutationApplier<N extends MutationName> = (args: MutationArgs<N>, input: ApplyInput) => Promise<StoreOp>;
