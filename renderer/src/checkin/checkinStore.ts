import type { BookingRow, RpcResult, ScanResult } from '@gatehouse/protocol';
import { create } from 'zustand';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';
import { mergeLastScans, type LastScan } from './lastScans';
import { playVerdictSound } from './verdictSound';

/** The longest text the device's guest search takes (`checkin.search`'s `q`, protocol/src/rpc/checkin.ts). */
const MAX_SEARCH_LENGTH = 200;

export type Counters = RpcResult<'events.counters'>;

/** How many scans Last scans lists. */
const LAST_SCANS = 12;
const GATE_KEY = 'gatehouse.gate';
const DIRECTION_KEY = 'gatehouse.gateDirection';
export type GateDirection = 'in' | 'out';

function saved(key: string, fallback: string): string {
  try {
    return window.localStorage.getItem(key) || fallback;
  } catch {
    return fallback;
  }
}

function save(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // A kiosk profile without storage just forgets the gate on reload.
  }
}

type CheckinStore = {
  gate: string;
  /** Whether this gate lets people in (entry) or out (exit); kept per device like the gate's name. */
  direction: GateDirection;
  result: ScanResult | null;
  /** Increments with every verdict, so the panel re-announces even when two verdicts read alike. */
  resultSerial: number;
  /** Last scans: every verdict any door of the event gave, newest first. */
  recent: LastScan[];
  /** The admission shown in the verdict panel that was undone from it, if any. */
  undone: string | null;
  counters: Counters | null;
  matches: BookingRow[];
  /**
   * What `matches` answer: the event and the trimmed search text (searchKey), so Enter never checks
   * in a match of older text or of the event chosen before. '' until a search has answered.
   */
  matchesFor: string;
  busy: boolean;
  error: UiError | null;
  setGate: (gate: string) => void;
  setDirection: (direction: GateDirection) => void;
  scan: (eventId: string, text: string) => Promise<void>;
  manual: (eventId: string, bookingId: string) => Promise<void>;
  /** Undoes an admission (checkin.undo): the one the verdict panel shows, or one from Last scans. */
  undo: (eventId: string, checkinId?: string) => Promise<void>;
  search: (eventId: string, q: string) => Promise<void>;
  refresh: (eventId: string) => Promise<void>;
  clearError: () => void;
};

/** The most matches the guest search shows (`checkin.search`'s limit). */
export const SEARCH_MATCHES = 8;

/**
 * The guest Enter checks in for `q`: the only match, or, when the list is complete (fewer than
 * SEARCH_MATCHES), the only one whose name or code is exactly what was typed (any case) — "Ann Lee"
 * among "Ann Lee", "Ann Leeds" and "Ann Leeson". Undefined when Enter would have to guess.
 */
export function matchForEnter(matches: readonly BookingRow[], q: string): BookingRow | undefined {
  if (matches.length === 1) return matches[0];
  if (matches.length === 0 || matches.length >= SEARCH_MATCHES) return undefined;
  const typed = q.trim().toLowerCase();
  const exact = matches.filter(
    (row) => row.attendee.name.trim().toLowerCase() === typed || row.code.toLowerCase() === typed,
  );
  return exact.length === 1 ? exact[0] : undefined;
}

/** What a search asked (CheckinStore.matchesFor): the event and the trimmed text, in one comparable string. */
export function searchKey(eventId: string, q: string): string {
  return `${eventId}\n${q.trim()}`;
}

export const useCheckinStore = create<CheckinStore>((set, get) => {
  let searches = 0;
  async function record(eventId: string, action: () => Promise<ScanResult>): Promise<void> {
    set({ busy: true, error: null });
    try {
      const result = await action();
      playVerdictSound(result.verdict);
      set((state) => ({ result, resultSerial: state.resultSerial + 1, busy: false, undone: null }));
    } catch (error) {
      set({ busy: false, error: describeError(error) });
    }
    void get().refresh(eventId);
  }
  return {
    gate: saved(GATE_KEY, 'Main gate'),
    direction: saved(DIRECTION_KEY, 'in') === 'out' ? 'out' : 'in',
    result: null,
    resultSerial: 0,
    recent: [],
    undone: null,
    counters: null,
    matches: [],
    matchesFor: '',
    busy: false,
    error: null,
    setGate: (gate) => {
      set({ gate });
      save(GATE_KEY, gate);
    },
    setDirection: (direction) => {
      set({ direction });
      save(DIRECTION_KEY, direction);
    },
    scan: (eventId, text) =>
      record(eventId, () =>
        invoke('checkin.scan', { eventId, gate: get().gate, scan: text, direction: get().direction }),
      ),
    manual: (eventId, bookingId) =>
      record(eventId, () =>
        invoke('checkin.manual', { eventId, gate: get().gate, bookingId, direction: get().direction }),
      ),
    undo: async (eventId, listed) => {
      const checkinId = listed ?? get().result?.checkinId;
      if (!checkinId) return;
      set({ error: null });
      try {
        await invoke('checkin.undo', { eventId, checkinId, gate: get().gate });
        // Undone from Last scans, the verdict panel still says so when it shows that admission.
        if (checkinId === get().result?.checkinId) set({ undone: checkinId });
      } catch (error) {
        set({ error: describeError(error) });
      }
      void get().refresh(eventId);
    },
    search: async (eventId, q) => {
      const query = q.trim();
      const asked = ++searches;
      // Longer than any name, email or code the search takes: a scanner's burst caught mid-way in
      // the field (the wedge hook then takes it as a scan), not something to search for.
      if (!query || query.length > MAX_SEARCH_LENGTH)
        return set({ matches: [], matchesFor: searchKey(eventId, query) });
      try {
        const matches = await invoke('checkin.search', { eventId, q: query, limit: SEARCH_MATCHES });
        // Answers can overtake each other; only the newest search's is shown.
        if (asked === searches) set({ matches, matchesFor: searchKey(eventId, query) });
      } catch (error) {
        set({ error: describeError(error) });
      }
    },
    refresh: async (eventId) => {
      const gate = get().gate.trim();
      try {
        const [counters, checkins, refusals] = await Promise.all([
          invoke('events.counters', gate ? { eventId, gate } : { eventId }),
          invoke('checkin.recent', { eventId, limit: LAST_SCANS }),
          invoke('checkin.refusals', { eventId, limit: LAST_SCANS }),
        ]);
        set({ counters, recent: mergeLastScans(checkins, refusals, LAST_SCANS) });
      } catch (error) {
        set({ error: describeError(error) });
      }
    },
    clearError: () => set({ error: null }),
  };
});
