/** What the peer's processes (server-main.ts, client-main.ts) are asked over IPC, apart from PouchDB's types. */

export type PeerServerCommand =
  | { kind: 'ping' }
  | { kind: 'listen'; db: string }
  | { kind: 'seed'; db: string; file: string }
  | { kind: 'docCount'; db: string }
  | { kind: 'close' };

export type PeerClientCommand =
  | { kind: 'ping' }
  /** One-shot pull of the whole server database. */
  | { kind: 'replicateFrom'; url: string; batchSize: number }
  /** Live replication: pull from the last checkpoint, push only what is written from now on. */
  | { kind: 'startLive'; url: string; push: boolean; pull: boolean; batchSize: number }
  /** Cancels live replication: the client is offline. */
  | { kind: 'stopLive' }
  /** Find the booking by id and put a check-in doc, for each id; timed per scan. */
  | { kind: 'scanMany'; eventId: string; gate: string; bookingIds: string[] }
  /** One-shot push of everything written since `since` (an update_seq; `live`: since live push started). */
  | { kind: 'pushOnce'; url: string; since: number | string | 'live'; batchSize: number }
  | { kind: 'updateSeq' }
  /** Resolves with the wall-clock time (epoch ms) each doc first reached this database. */
  | { kind: 'waitForDocs'; ids: string[]; timeoutMs: number }
  | { kind: 'docCount' }
  | { kind: 'close' };

export type PeerScanResult = { wallMicros: number[]; checkinIds: string[]; missing: number };
