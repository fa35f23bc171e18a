import { useEffect, useRef } from 'react';

/**
 * A `<dialog>` (give it the returned ref) shown as a modal while `open` is true and closed once it
 * turns false; its `onClose` (Escape, or this closing it) is where the caller's state follows.
 */
export function useModalDialog(open: boolean) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return dialogRef;
}
