/**
 * Demo data for `npm start` and manual testing: one account per role. Later parts add a demo event
 * with bookings here. Idempotent: running it twice changes nothing.
 */
import type { Role } from '@gatehouse/protocol';
import type { AppContext } from '@gatehouse/sync-server';
import { seedDemoEvent } from '../sync-server/src/events/demo-seed';
import { ensureUser } from '../sync-server/src/users/seed';

export const DEMO_ACCOUNTS: Array<{ role: Role; email: string; password: string; name: string }> = [
  { role: 'admin', email: 'admin@gatehouse.local', password: 'gatehouse-admin', name: 'Ada Admin' },
  { role: 'organizer', email: 'organizer@gatehouse.local', password: 'gatehouse-organizer', name: 'Olu Organizer' },
  { role: 'staff', email: 'staff@gatehouse.local', password: 'gatehouse-staff', name: 'Sam Steward' },
  { role: 'attendee', email: 'attendee@gatehouse.local', password: 'gatehouse-attendee', name: 'Alex Attendee' },
];

export async function seedDemo(ctx: AppContext, options: { log: (line: string) => void }): Promise<void> {
  for (const account of DEMO_ACCOUNTS) {
    const result = await ensureUser(ctx.store.users, account, { scryptCost: ctx.config.scryptCost });
    if (result.created) options.log(`[seed] created ${account.role} ${account.email}`);
  }
  const email = (role: Role) => DEMO_ACCOUNTS.find((account) => account.role === role)!.email;
  await seedDemoEvent(ctx, { organizerEmail: email('organizer'), staffEmail: email('staff') }, options.log);
}
