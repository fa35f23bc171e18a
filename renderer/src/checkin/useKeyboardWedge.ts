import { decodeTicket } from '@gatehouse/protocol';
import { useEffect, useRef } from 'react';

/** Scanners type a whole code in well under this per key; people rarely keep it up for 8+ keys. */
const MAX_KEY_GAP_MS = 120;
/**
 * Inside a text field or a picker the bar is higher: a person typing a name there may be quick, a
 * scanner is quicker still (a few ms a key). A burst this fast throughout is a scan there, whatever
 * it reads; a slower one only when it reads as a ticket (looksLikeTicket).
 */
const MAX_KEY_GAP_IN_FIELD_MS = 30;
const MIN_SCAN_LENGTH = 8;
const MAX_SCAN_LENGTH = 4096;

/**
 * Whether a burst typed into a field reads as a Gatehouse ticket (protocol decodeTicket: its form
 * and claims, the signature unchecked; nobody types that into a field by hand). Scanners do not always keep
 * MAX_KEY_GAP_IN_FIELD_MS between keys: a Bluetooth scanner's keys come in groups, some are set to
 * pause between characters, and a burst broken there used to leave its first part in the field (a
 * gate renamed `Main gGH1.WyJ…`) and its rest judged as a scan of its own, refused as no ticket.
 * Pauses up to MAX_KEY_GAP_MS are bridged; a longer one still splits the scan.
 */
function looksLikeTicket(text: string): boolean {
  return decodeTicket(text) !== null;
}

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

function isTextEntry(element: Element | null): element is Control {
  if (!element) return false;
  if (element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement) return true;
  if (element instanceof HTMLInputElement) {
    return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file'].includes(element.type);
  }
  return false;
}

/** What a control held when a burst began, to put back once the burst turns out to be a scan. */
type Snapshot = { control: Control; value: string; selectedIndex: number };

/** Keys typed in one rhythm, and the control as it was before the first of them. */
type Run = { text: string; before: Snapshot | null };

function emptyRun(): Run {
  return { text: '', before: null };
}

function snapshotOf(element: Element | null): Snapshot | null {
  if (!isTextEntry(element)) return null;
  return {
    control: element,
    value: element.value,
    selectedIndex: element instanceof HTMLSelectElement ? element.selectedIndex : -1,
  };
}

/**
 * Puts a control back as it was, through the native setter and the events React listens to, so a
 * controlled field's state (the gate's name, the search text, the chosen event) follows.
 */
function restore(snapshot: Snapshot): void {
  const { control } = snapshot;
  if (control instanceof HTMLSelectElement) {
    if (control.selectedIndex === snapshot.selectedIndex) return;
    control.selectedIndex = snapshot.selectedIndex;
    control.dispatchEvent(new Event('change', { bubbles: true }));
    return;
  }
  if (control.value === snapshot.value) return;
  const prototype = control instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(prototype, 'value')?.set?.call(control, snapshot.value);
  control.dispatchEvent(new Event('input', { bubbles: true }));
}

/**
 * A USB keyboard-wedge scanner "types" the QR content and presses Enter. This listens on the whole
 * document, so staff never have to click into a field first: a fast burst of keys ending in Enter is
 * a scan, wherever focus is. With focus in a text field or a picker the burst has to be faster still,
 * or read as a ticket (a person typing there is left alone), and once it is a scan the control is put back as it was
 * before the burst — the gate keeps its name, the search its text, the picker its event — and the
 * scan goes to the door after that, so it is judged for the event the steward had chosen.
 */
export function useKeyboardWedge(onScan: (text: string) => void, enabled = true): void {
  const onScanRef = useRef(onScan);
  onScanRef.current = onScan;

  useEffect(() => {
    if (!enabled) return;
    /** Keys at most MAX_KEY_GAP_MS apart: a scan outside a field, or in one when it reads as a ticket. */
    let burst = emptyRun();
    /** Keys at most MAX_KEY_GAP_IN_FIELD_MS apart: a scan in a field, whatever it reads. */
    let fast = emptyRun();
    let lastKeyAt = 0;
    function onKeyDown(event: KeyboardEvent): void {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const inField = isTextEntry(document.activeElement);
      // When the key was pressed, not when a busy page got round to it: a re-render in the middle of
      // a scan delays dispatch of the queued keys, but their timestamps keep the scanner's rhythm.
      const now = event.timeStamp;
      const gap = now - lastKeyAt;
      // A stamp before the last one (a clock stepped back) starts afresh, as a pause does.
      if (gap < 0 || gap > MAX_KEY_GAP_MS) burst = emptyRun();
      if (gap < 0 || gap > MAX_KEY_GAP_IN_FIELD_MS) fast = emptyRun();
      lastKeyAt = now;
      if (event.key === 'Enter') {
        const run = !inField
          ? burst
          : fast.text.length >= MIN_SCAN_LENGTH
            ? fast
            : looksLikeTicket(burst.text)
              ? burst
              : null;
        burst = emptyRun();
        fast = emptyRun();
        if (!run || run.text.length < MIN_SCAN_LENGTH) return;
        // Without this, Enter would also press whichever button has focus, or open the picker.
        event.preventDefault();
        event.stopPropagation();
        const { text, before } = run;
        if (before) {
          restore(before);
          // After React has taken the restored value, so the scan is judged with the chosen event and gate.
          setTimeout(() => onScanRef.current(text), 0);
        } else {
          onScanRef.current(text);
        }
        return;
      }
      if (event.key.length !== 1) return;
      for (const run of [burst, fast]) {
        if (run.text.length >= MAX_SCAN_LENGTH) continue;
        // What the control held before the run's first key, to put back if the run is a scan.
        if (run.text === '') run.before = snapshotOf(document.activeElement);
        run.text += event.key;
      }
    }
    document.addEventListener('keydown', onKeyDown, true);
    return () => document.removeEventListener('keydown', onKeyDown, true);
  }, [enabled]);
}
