import { useAdminStore } from '../admin/adminStore';
import { useAttendeesStore } from '../attendees/attendeesStore';
import { useCheckinStore } from '../checkin/checkinStore';
import { useEventsStore } from '../events/eventsStore';
import { useStaffStore } from '../events/staffStore';
import { useSyncStore } from '../sync/syncStore';
import { useNavigationStore } from './navigationStore';

/**
 * What one person left on the screens is not shown to the next: when the signed-in user changes
 * (sign-out, another person unlocking), every screen's store goes back to how it started — the last
 * verdict, the guest search, the attendee pages, the admin lists — and the navigation takes the new
 * user's own remembered event. The gate's name and mode stay: they belong to the device's place.
 */
export function resetScreensFor(userId: string | null): void {
  const { gate, direction } = useCheckinStore.getState();
  useCheckinStore.setState({ ...useCheckinStore.getInitialState(), gate, direction }, true);
  useAttendeesStore.setState(useAttendeesStore.getInitialState(), true);
  useEventsStore.setState(useEventsStore.getInitialState(), true);
  useStaffStore.setState(useStaffStore.getInitialState(), true);
  useAdminStore.setState(useAdminStore.getInitialState(), true);
  useSyncStore.setState({ alerts: [], error: null });
  useNavigationStore.getState().startSession(userId);
}
