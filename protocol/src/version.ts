/**
 * Protocol versions. Every request of a device carries the version it speaks
 * (`x-gatehouse-protocol`); every answer of the server says the range it accepts
 * (`x-gatehouse-protocol-range: min-max`, also in `/health`). A device outside the range is
 * answered 426 PROTOCOL_UNSUPPORTED before anything else, and itself refuses to sync with a server
 * whose range leaves it out; either way it keeps its outbox and says which side to update.
 *
 * Raise PROTOCOL_VERSION when what a device sends or expects changes incompatibly. A mutation
 * whose args change gets a new name (`checkin.record.v2`) beside the old one in
 * `mutationArgsSchemas`, so a server keeps applying what older devices queued; raise the server's
 * minimum only once it drops a name older devices still send.
 */
export const PROTOCOL_VERSION = 3;
/**
 * What each version added, for a server that still answers older devices:
 * - 2: `checkin.void` and void check-in rows (`direction: 'void'`), `scan.refuse` and refusal rows
 *   (change type `refusal`), which a version-1 device cannot read and is never sent; a device whose
 *   version grew pulls its buckets again to get them.
 */
export const PROTOCOL_DOOR_RECORDS = 2;
/**
 * - 3: `alert.acknowledge` and the alert's `acknowledgement`. A version-3 device does not push to a
 *   server whose range ends below 3 (it would answer UNKNOWN_MUTATION): it keeps the acknowledgement
 *   queued and says the server needs an update. Older devices are sent alerts with the field, which
 *   their schema drops; updated, they pull again and read it.
 */
export const PROTOCOL_ALERT_ACKNOWLEDGEMENTS = 3;
/** Request header: the protocol version the device speaks (a positive integer). */
export const PROTOCOL_VERSION_HEADER = 'x-gatehouse-protocol';
/** Answer header: the versions the server accepts, `min-max`. */
export const PROTOCOL_RANGE_HEADER = 'x-gatehouse-protocol-range';

/** Versions accepted, inclusive. */
export type ProtocolRange = { min: number; max: number };

/** What this server code accepts: every version since the first. */
export const SUPPORTED_PROTOCOL_RANGE: ProtocolRange = { min: 1, max: PROTOCOL_VERSION };

/**
 * The version a request says it speaks; a request without the header is version 1 (devices from
 * before versions existed). Null for a value that is not a positive integer.
 */
export function requestProtocolVersion(header: string | string[] | undefined): number | null {
  if (header === undefined) return 1;
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || !/^[1-9][0-9]{0,5}$/.test(text)) return null;
  return Number(text);
}

export function formatProtocolRange(range: ProtocolRange): string {
  return `${range.min}-${range.max}`;
}

/** The range of an answer; a server from before versions sends none, and speaks version 1. */
export function parseProtocolRange(header: string | null): ProtocolRange | null {
  if (header === null) return { min: 1, max: 1 };
  const match = /^([1-9][0-9]{0,5})-([1-9][0-9]{0,5})$/.exec(header.trim());
  if (!match) return null;
  const range = { min: Number(match[1]), max: Number(match[2]) };
  return range.min <= range.max ? range : null;
}

/** Which side must be updated for `version` to talk with a server accepting `range`, or null when they can. */
export function protocolMismatch(version: number, range: ProtocolRange): 'updateDevice' | 'updateServer' | null {
  if (version < range.min) return 'updateDevice';
  if (version > range.max) return 'updateServer';
  return null;
}

/** Plain words for the person at the device: what to update, and that nothing queued is lost. */
export function protocolMismatchMessage(
  side: 'updateDevice' | 'updateServer',
  version: number,
  range: ProtocolRange,
): string {
  const versions = `this device speaks protocol ${version}, the server ${range.min === range.max ? range.min : `${range.min}–${range.max}`}`;
  return side === 'updateDevice'
    ? `Update Gatehouse on this device: the server no longer accepts this version (${versions}). ` +
        'Changes not yet sent stay on this device and are sent after the update.'
    : `The server runs an older Gatehouse than this device (${versions}). Ask your administrator to update ` +
        'the server. Changes not yet sent stay on this device and are sent once it is updated.';
}
