import type { Attendee, Booking, BookingRow, ExportKind } from '@gatehouse/protocol';
import { create } from 'zustand';
import { describeError, type UiError } from '../errors/messages';
import { invoke, saveFileChooser } from '../rpc/client';
import { exportFileName } from './exportFileName';

export const ATTENDEE_PAGE_SIZE = 100;

/** Who a ticket is for, as the badge prints it: name, ticket type, the short code under the QR. */
export type TicketHolder = { name: string; ticketTypeName: string; code: string };
type Ticket = { bookingId: string; token: string; qrSvg: string; revoked: boolean; holder: TicketHolder | null };

type AttendeesStore = {
  eventId: string | null;
  query: string;
  total: number;
  /** Sparse: page index → rows. Only the windows the table has scrolled near are ever fetched. */
  pages: Record<number, BookingRow[]>;
  loadedOnce: boolean;
  error: UiError | null;
  ticket: Ticket | null;
  open: (eventId: string) => void;
  setQuery: (query: string) => void;
  ensureRange: (firstIndex: number, lastIndex: number) => void;
  refresh: () => void;
  /** The booking made, or why not: the walk-in form shows that beside the field at fault. */
  walkIn: (input: { ticketTypeId: string; attendee: Attendee }) => Promise<{ booking: Booking } | { error: UiError }>;
  cancel: (bookingId: string) => Promise<boolean>;
  /** Erases the attendee's name and email on the server (online only), then shows the erased row. */
  erase: (bookingId: string) => Promise<boolean>;
  /** The export being saved now, if any. */
  exporting: ExportKind | null;
  /** Where the last export was saved, for the screen to say. */
  saved: { kind: ExportKind; path: string } | null;
  /**
   * Saves one of the event's CSV exports from the server; `saved` or `error` tells how it went. In
   * Electron the save dialog asks where first (suggesting a name from `eventTitle`); cancelled, it
   * writes nothing and says nothing. The browser host saves into the data folder's exports folder.
   */
  saveExport: (kind: ExportKind, eventTitle: string) => Promise<void>;
  /** Opens the ticket dialog; `holder` when the caller knows it better than the loaded pages do. */
  showTicket: (bookingId: string, holder?: TicketHolder) => Promise<void>;
  closeTicket: () => void;
  clearError: () => void;
};

export const useAttendeesStore = create<AttendeesStore>((set, get) => {
  /** Bumped whenever the query or data changes, so answers to older requests are dropped. */
  let generation = 0;
  let fresh = new Set<number>();
  const inFlight = new Set<string>();

  async function fetchPage(page: number): Promise<void> {
    const { eventId, query } = get();
    if (!eventId) return;
    const key = `${generation}:${page}`;
    if (inFlight.has(key) || fresh.has(page)) return;
    inFlight.add(key);
    const asked = generation;
    try {
      const q = query.trim();
      const result = await invoke('bookings.list', {
        eventId,
        offset: page * ATTENDEE_PAGE_SIZE,
        limit: ATTENDEE_PAGE_SIZE,
        ...(q ? { q } : {}),
      });
      if (asked !== generation) return;
      fresh.add(page);
      set((state) => ({ total: result.total, pages: { ...state.pages, [page]: result.rows }, loadedOnce: true }));
    } catch (error) {
      if (asked === generation) set({ error: describeError(error), loadedOnce: true });
    } finally {
      inFlight.delete(key);
    }
  }

  function restart(keepRows: boolean): void {
    generation += 1;
    fresh = new Set();
    if (!keepRows) set({ pages: {}, total: 0 });
    void fetchPage(0);
  }

  return {
    eventId: null,
    query: '',
    total: 0,
    pages: {},
    loadedOnce: false,
    error: null,
    ticket: null,
    exporting: null,
    saved: null,
    open: (eventId) => {
      if (get().eventId === eventId) return restart(true);
      set({ eventId, query: '', loadedOnce: false, error: null, saved: null });
      restart(false);
    },
    setQuery: (query) => {
      set({ query });
      restart(false);
    },
    ensureRange: (firstIndex, lastIndex) => {
      const firstPage = Math.floor(firstIndex / ATTENDEE_PAGE_SIZE);
      const lastPage = Math.floor(lastIndex / ATTENDEE_PAGE_SIZE);
      for (let page = firstPage; page <= lastPage; page++) void fetchPage(page);
    },
    // Rows stay on screen while the new versions load, so a sync landing does not blank the table.
    refresh: () => restart(true),
    walkIn: async ({ ticketTypeId, attendee }) => {
      const { eventId } = get();
      try {
        if (!eventId) throw new Error('No event is open');
        const booking = await invoke('bookings.walkIn', { eventId, ticketTypeId, attendee });
        restart(true);
        return { booking };
      } catch (error) {
        return { error: describeError(error) };
      }
    },
    cancel: async (bookingId) => {
      set({ error: null });
      try {
        await invoke('bookings.cancel', { bookingId });
        restart(true);
        return true;
      } catch (error) {
        set({ error: describeError(error) });
        return false;
      }
    },
    erase: async (bookingId) => {
      set({ error: null });
      try {
        await invoke('bookings.erase', { bookingId });
        restart(true);
        return true;
      } catch (error) {
        set({ error: describeError(error) });
        return false;
      }
    },
    saveExport: async (kind, eventTitle) => {
      const { eventId } = get();
      if (!eventId || get().exporting) return;
      set({ exporting: kind, saved: null, error: null });
      try {
        const choose = saveFileChooser();
        const chosen = choose ? await choose({ suggestedName: exportFileName(eventTitle, kind, new Date()) }) : null;
        if (choose && !chosen) return;
        const saved = await invoke('exports.save', { eventId, kind, ...(chosen ? { saveTo: chosen.token } : {}) });
        if (get().eventId === eventId) set({ saved: { kind, path: saved.path } });
      } catch (error) {
        if (get().eventId === eventId) set({ error: describeError(error) });
      } finally {
        set({ exporting: null });
      }
    },
    showTicket: async (bookingId, known) => {
      set({ error: null });
      try {
        const ticket = await invoke('bookings.ticket', { bookingId });
        const row = Object.values(get().pages)
          .flat()
          .find((booking) => booking.id === bookingId);
        const holder =
          known ?? (row ? { name: row.attendee.name, ticketTypeName: row.ticketTypeName, code: row.code } : null);
        set({ ticket: { bookingId, ...ticket, holder } });
      } catch (error) {
        set({ error: describeError(error) });
      }
    },
    closeTicket: () => set({ ticket: null }),
    clearError: () => set({ error: null }),
  };
});

export function rowAt(pages: Record<number, BookingRow[]>, index: number): BookingRow | undefined {
  return pages[Math.floor(index / ATTENDEE_PAGE_SIZE)]?.[index % ATTENDEE_PAGE_SIZE];
}
