import type { Role } from './roles';

/** Who adds the walk-in: their account id and current role. */
export type WalkInActor = { id: string; role: Role };

/**
 * What the rule reads of an event: its organizer, its assigned check-in staff, and its setting
 * (missing, on an event doc from before the setting, reads as not allowed).
 */
export type WalkInEvent = {
  organizerId: string;
  staffIds: readonly string[];
  staffWalkIns?: boolean | undefined;
};

/**
 * Whether `actor` may add a walk-in at `event`: admins and the event's own organizer always;
 * anyone else assigned to it as check-in staff (an organizer of other events too) only when the
 * event has `staffWalkIns`; nobody else. The server enforces it (FORBIDDEN), the device checks it
 * first and shows the walk-in form only where it holds — one rule, so the two never disagree.
 */
export function mayAddWalkIn(actor: WalkInActor, event: WalkInEvent): boolean {
  if (actor.role === 'admin') return true;
  if (actor.role === 'organizer' && event.organizerId === actor.id) return true;
  if (actor.role === 'attendee' || !event.staffIds.includes(actor.id)) return false;
  return event.staffWalkIns === true;
}

/** The FORBIDDEN message both ends give an assigned staff member at an event that does not allow it. */
export const STAFF_WALK_INS_OFF_MESSAGE = 'This event does not allow walk-ins by check-in staff';
