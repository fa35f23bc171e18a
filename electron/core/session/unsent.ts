import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_UNSENT_EXPORT, UNSENT_EXPORT_FORMAT, type UnsentExport } from '@gatehouse/protocol';
import type { Db } from '../db/open';

type ChangeRecord = {
  id: string;
  name: string;
  args: string;
  hlc: string | null;
  code: string | null;
  message: string | null;
};

/**
 * What the account's outbox still holds, and the changes the server refused (kept with their
 * codes), as a file of unsent changes (protocol/src/unsent.ts) — written when the device loses its
 * access for good, before its local data is wiped, so no scan is silently dropped. An admin imports
 * it (Admin › Devices); more than MAX_UNSENT_EXPORT changes go into further files. Pending changes first, in the order they were made. `freshHlc` stamps a
 * refused change recorded before refusals kept their HLC. Returns null when there is nothing to
 * save; throws when the file cannot be written (the caller then keeps the data).
 */
export function writeUnsentExport(
  db: Db,
  info: Omit<UnsentExport, 'format' | 'exportedAt' | 'changes'> & { dir: string; now: number },
  freshHlc: () => string,
): { files: string[]; changes: number } | null {
  const pending = db
    .prepare('SELECT id, name, args, hlc, NULL AS code, NULL AS message FROM outbox ORDER BY seq')
    .all() as ChangeRecord[];
  const rejected = db
    .prepare(
      // A superseded edit was applied: nothing of it is unsent.
      `SELECT id, name, args, hlc, code, message FROM rejected_mutations WHERE code <> 'SUPERSEDED' ORDER BY at`,
    )
    .all() as ChangeRecord[];
  if (pending.length + rejected.length === 0) return null;
  const change = (record: ChangeRecord, state: 'pending' | 'rejected') => ({
    id: record.id,
    name: record.name,
    args: JSON.parse(record.args) as unknown,
    hlc: record.hlc ?? freshHlc(),
    state,
    code: record.code,
    message: record.message,
  });
  const changes = [
    ...pending.map((record) => change(record, 'pending')),
    ...rejected.map((record) => change(record, 'rejected')),
  ];
  const { dir, now, ...about } = info;
  const exportedAt = new Date(now).toISOString();
  const stamp = `${exportedAt.replace(/[:.]/g, '-')}-${info.deviceId.slice(0, 8)}`;
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  // More than an import takes at once goes into further files, never dropped.
  for (let start = 0; start < changes.length; start += MAX_UNSENT_EXPORT) {
    const part = start === 0 ? '' : `-part${start / MAX_UNSENT_EXPORT + 1}`;
    const file = path.join(dir, `gatehouse-unsent-${stamp}${part}.json`);
    const exported: UnsentExport = {
      format: UNSENT_EXPORT_FORMAT,
      exportedAt,
      ...about,
      changes: changes.slice(start, start + MAX_UNSENT_EXPORT),
    };
    writeFileSync(file, JSON.stringify(exported, null, 2), { flag: 'wx' });
    files.push(file);
  }
  return { files, changes: changes.length };
}
