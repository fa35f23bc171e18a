import type { AppContext } from '../../context';
import type { EventRow, UserRow } from '../../store/rows';

/**
 * Authorization at apply time, memoised for one push: the user and their assignments are read when
 * the batch is applied (not when the mutations were queued offline), and a batch of 500 check-ins at
 * one event asks the database once, not 500 times. A rejection is memoised too, as the same error.
 */
export class BatchAccess {
  private readonly checkIn = new Map<string, Promise<EventRow>>();
  /** The events whose check-in permission this push has already been granted. */
  private readonly checkInGranted = new Map<string, EventRow>();
  private readonly manage = new Map<string, Promise<unknown>>();
  private readonly walkIn = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ctx: AppContext,
    private readonly user: UserRow,
  ) {}

  /** The event as read for this push (its status decides the scan's alerts). */
  assertCanCheckIn(eventId: string): Promise<EventRow> {
    return this.memo(this.checkIn, eventId, async () => {
      const event = await this.ctx.events.assertCanCheckIn(this.user, eventId);
      this.checkInGranted.set(eventId, event);
      return event;
    });
  }

  /** The event, when this push was already granted check-in at it (assertCanCheckIn answered); else undefined. */
  grantedCheckIn(eventId: string): EventRow | undefined {
    return this.checkInGranted.get(eventId);
  }

  /** The event lets this user add walk-ins (its staff only when it has `staffWalkIns`). */
  async assertCanAddWalkIn(eventId: string): Promise<void> {
    await this.memo(this.walkIn, eventId, () => this.ctx.events.assertCanAddWalkIn(this.user, eventId));
  }

  async assertCanManage(eventId: string): Promise<void> {
    await this.memo(this.manage, eventId, () => this.ctx.events.assertCanManage(this.user, eventId));
  }

  private memo<T>(cache: Map<string, Promise<T>>, key: string, check: () => Promise<T>): Promise<T> {
    let pending = cache.get(key);
    if (!pending) {
      pending = check();
      cache.set(key, pending);
      // Unhandled-rejection safety: the awaiting caller handles it; this only marks it observed.
      pending.catch(() => undefined);
    }
    return pending;
  }
}
