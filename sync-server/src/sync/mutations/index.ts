import type { MutationName } from '@gatehouse/protocol';
import { applyAlertAcknowledge } from './alertAcknowledge';
import { applyBookingCancel } from './bookingCancel';
import { applyBookingWalkIn } from './bookingWalkIn';
import { applyCheckinRecord } from './checkinRecord';
import { applyCheckinVoid } from './checkinVoid';
import { applyEventUpdate } from './eventUpdate';
import { applyScanRefuse } from './scanRefuse';
import type { MutationApplier } from './types';

/** One apply function per mutation name; the protocol's `mutationArgsSchemas` has the same keys. */
export const APPLIERS: { [N in MutationName]: MutationApplier<N> } = {
  'checkin.record': applyCheckinRecord,
  'checkin.void': applyCheckinVoid,
  'scan.refuse': applyScanRefuse,
  'booking.walkIn': applyBookingWalkIn,
  'booking.cancel': applyBookingCancel,
  'event.update': applyEventUpdate,
  'alert.acknowledge': applyAlertAcknowledge,
};
