import type { TestServer } from '../../tests/support/server';
import type { BookingRow, ChangeRow, MailRow } from '../src/store/rows';

/**
 * What tests read back from a server's store, through the storage port — so every HTTP test runs
 * unchanged on both adapters and never depends on a table or collection layout.
 */

/** Every booking of the event, in list order. */
export async function bookingsOf(server: TestServer, eventId: string): Promise<BookingRow[]> {
  const rows: BookingRow[] = [];
  let after: { value: string; id: string } | undefined;
  for (;;) {
    const page = await server.ctx.store.bookings.listForEvent(eventId, {}, after, 500);
    rows.push(...page.slice(0, 500));
    if (page.length <= 500) return rows;
    const last = rows[rows.length - 1]!;
    after = { value: last.createdAt, id: last.id };
  }
}

/** Every change of a bucket, in seq order (no-ops left out). */
export async function changesOf(server: TestServer, bucket: string): Promise<ChangeRow[]> {
  const changes: ChangeRow[] = [];
  let from = 0;
  for (;;) {
    const page = await server.ctx.store.changes.read(bucket, from, 500);
    changes.push(...page.changes);
    if (page.upTo === from) return changes;
    from = page.upTo;
  }
}

/** Every message in the outbox, newest first. */
export async function mailRows(server: TestServer): Promise<MailRow[]> {
  const rows: MailRow[] = [];
  let after: { value: number; id: string } | undefined;
  for (;;) {
    const page = await server.ctx.store.mail.list({}, after, 500);
    rows.push(...page.slice(0, 500));
    if (page.length <= 500) return rows;
    const last = rows[rows.length - 1]!;
    after = { value: last.createdAtMs, id: last.id };
  }
}
