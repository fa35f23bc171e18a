import type { Role } from '@gatehouse/protocol';

/** Who is asking, for queries that carry authorization inside them. */
export type Viewer = { id: string; role: Role };

/**
 * A keyset position: the creation time (as the row stores it) and id of the last row of the
 * previous page. Lists page only on keys a row never changes (http/pagination.ts), so a walk lists
 * every row that exists for the whole walk exactly once.
 */
export type After<V extends string | number = string | number> = { value: V; id: string };
