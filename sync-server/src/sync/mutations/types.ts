import type { MutationArgs, MutationName } from '@gatehouse/protocol';
import type { AppContext } from '../../context';
import type { UserDoc } from '../../users/store';
import type { BatchAccess } from './access';

/** What one mutation's apply function gets: the pushing user as of now, and where it came from. */
export type ApplyInput = {
  ctx: AppContext;
  user: UserDoc;
  deviceId: string;
  /** The mutation's HLC, as stamped by the device. */
  hlc: string;
  access: BatchAccess;
};

/** Applies one mutation or throws a GatehouseError (→ `rejected` with its code and message). */
export type MutationApplier<N extends MutationName> = (args: MutationArgs<N>, input: ApplyInput) => Promise<void>;
