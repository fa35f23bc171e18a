import { describe, expect, it } from 'vitest';
import { mayAddWalkIn, type WalkInActor, type WalkInEvent } from '../src/walk-ins';

const event = (staffWalkIns?: boolean): WalkInEvent => ({
  organizerId: 'org-1',
  staffIds: ['staff-1', 'org-2'],
  ...(staffWalkIns === undefined ? {} : { staffWalkIns }),
});
const as = (id: string, role: WalkInActor['role']): WalkInActor => ({ id, role });

describe('mayAddWalkIn: who adds walk-ins at an event (device and server alike)', () => {
  it.each([
    ['an admin', as('admin-1', 'admin'), [true, true, true]],
    ["the event's organizer", as('org-1', 'organizer'), [true, true, true]],
    ['assigned staff', as('staff-1', 'staff'), [false, false, true]],
    ['an organizer assigned as staff to another’s event', as('org-2', 'organizer'), [false, false, true]],
    ['unassigned staff', as('staff-9', 'staff'), [false, false, false]],
    ['another organizer', as('org-9', 'organizer'), [false, false, false]],
    ['an attendee listed in staffIds', as('staff-1', 'attendee'), [false, false, false]],
  ] as const)('%s: setting missing, off, on', (_who, actor, expected) => {
    expect([mayAddWalkIn(actor, event()), mayAddWalkIn(actor, event(false)), mayAddWalkIn(actor, event(true))]).toEqual(
      expected,
    );
  });
});
