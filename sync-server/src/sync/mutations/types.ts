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
 * Checks that the user may make this mutation now and returns the store write it makes; throws (or
 * rejects with) a GatehouseError (→ `rejected` with its code and message) when they may not. A
 * planner whose check is already answered for this push (BatchAccess) may return the write at
 * once: a backlog of check-ins is planned without a turn of the event loop each.
 */
export type MutationApplier<N extends MutationName> = (
  args: MutationArgs<N>,
  input: ApplyInput,
) => StoreOp | Promise<StoreOp>;
