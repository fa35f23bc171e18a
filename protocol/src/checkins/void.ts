import { parseHlc } from '../hlc';

/**
 * How long after an admission the steward who made it may undo it from the same device: long
 * enough to notice a wrong person or a double tap, short enough that an undo is a correction at the
 * door and not a rewrite of the night. Organizers and admins may undo any admission, at any time.
 */
export const VOID_WINDOW_MS = 5 * 60_000;

/** Why an undo is refused (stable codes for the device and the server). */
export type VoidRefusal = 'notAnAdmission' | 'alreadyVoided' | 'notYours' | 'tooLate';

/**
 * Whether `by` may void `admission`, judged the same on the device (before queuing) and on the
 * server (when applying): only an entry, once; by an organizer or admin of the event at any time;
 * by anyone else only from the device that admitted, within VOID_WINDOW_MS of the admission — by
 * HLC wall times, the one clock every party shares.
 */
export function voidRefusal(
  admission: { direction: 'in' | 'out' | 'void'; deviceId: string; hlc: string },
  by: { manager: boolean; deviceId: string; hlc: string },
  alreadyVoided: boolean,
): VoidRefusal | null {
  if (admission.direction !== 'in') return 'notAnAdmission';
  if (alreadyVoided) return 'alreadyVoided';
  if (by.manager) return null;
  if (admission.deviceId !== by.deviceId) return 'notYours';
  const admittedAt = parseHlc(admission.hlc)?.wallMs ?? 0;
  const voidedAt = parseHlc(by.hlc)?.wallMs ?? Infinity;
  return voidedAt - admittedAt > VOID_WINDOW_MS ? 'tooLate' : null;
}

/** Plain words for each refusal, shown to the steward and carried in the server's rejection. */
export const VOID_REFUSAL_TEXT: Record<VoidRefusal, string> = {
  notAnAdmission: 'Only an admission can be undone',
  alreadyVoided: 'This admission was already undone',
  notYours: 'Only the device that admitted, or an organizer, can undo this admission',
  tooLate: `An admission can be undone from its device for ${VOID_WINDOW_MS / 60_000} minutes; ask an organizer`,
};
