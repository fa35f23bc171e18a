import { useEffect, useRef } from 'react';

/** Scanners type a whole code in well under this per key; people rarely keep it up for 8+ keys. */
const MAX_KEY_GAP_MS = 120;
const MIN_SCAN_LENGTH = 8;
const MAX_SCAN_LENGTH = 4096;

function isTextEntry(element: Element | null): boolean {
  if (!element) return false;
  if (element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement) return true;
  if (element instanceof HTMLInputElement) {
    return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file'].includes(element.type);
  }
  return element instanceof HTMLElement && element.isContentEditable;
}

/**
 * A USB keyboard-wedge scanner "types" the QR content and presses Enter. This listens on the whole
 * document, so staff never have to click into a field first: a fast burst of keys ending in Enter,
 * while no text field has focus, is a scan. Typing into fields is left alone.
 */
export function useKeyboardWedge(onScan: (text: string) => void, enabled = true): void {
  const onScanRef = useRef(onScan);
  onScanRef.current = onScan;

  useEffect(() => {
    if (!enabled) return;
    let buffer = '';
    let lastKeyAt = 0;
    function onKeyDown(event: KeyboardEvent): void {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTextEntry(document.activeElement)) return;
      // When the key was pressed, not when a busy page got round to it: a re-render in the middle of
      // a scan delays dispatch of the queued keys, but their timestamps keep the scanner's rhythm.
      const now = event.timeStamp;
      if (now - lastKeyAt > MAX_KEY_GAP_MS) buffer = '';
      lastKeyAt = now;
      if (event.key === 'Enter') {
        if (buffer.length >= MIN_SCAN_LENGTH) {
          // Without this, Enter would also press whichever button happens to have focus.
          event.preventDefault();
          const text = buffer;
          buffer = '';
          onScanRef.current(text);
        }
        buffer = '';
        return;
      }
      if (event.key.length === 1 && buffer.length < MAX_SCAN_LENGTH) buffer += event.key;
    }
    document.addEventListener('keydown', onKeyDown, true);
    return () => document.removeEventListener('keydown', onKeyDown, true);
  }, [enabled]);
}
