import { z } from 'zod';

export const ROLES = ['admin', 'organizer', 'staff', 'attendee'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/**
 * Staff-side roles form a ladder (admin > organizer > staff); attendees stand beside it, not below it,
 * so "at least staff" never includes them.
 */
const STAFF_RANK: Record<Role, number> = { admin: 3, organizer: 2, staff: 1, attendee: 0 };

export function hasRoleAtLeast(role: Role, minimum: Exclude<Role, 'attendee'>): boolean {
  return STAFF_RANK[role] >= STAFF_RANK[minimum];
}

export const PERMISSIONS = {
  'users.manage': ['admin'],
  'devices.manage': ['admin'],
  'mail.manage': ['admin'],
  'events.create': ['admin', 'organizer'],
  'events.readAll': ['admin'],
  'events.book': ['admin', 'organizer', 'staff', 'attendee'],
  'checkins.record': ['admin', 'organizer', 'staff'],
  'sync.use': ['admin', 'organizer', 'staff'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}
