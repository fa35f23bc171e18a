import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { GatehouseError, routes, type ExportKind } from '@gatehouse/protocol';
import type { Account } from '../account';

/** Where a saved export is, and how big. */
export type SavedExport = { path: string; fileName: string; bytes: number };

const ROUTE_OF = { attendees: routes['exports.attendees'], checkins: routes['exports.checkins'] } as const;

/**
 * The file name the server gave (Content-Disposition's plain `filename`), kept to safe characters
 * — the server's own rule, checked again here because it names a file on this disk — or a
 * fallback. Never a path: no separators, no leading dot.
 */
export function fileNameOf(disposition: string | null, fallback: string): string {
  const match = /filename="([^"]+)"/.exec(disposition ?? '');
  const name = match?.[1] ?? '';
  return /^[a-z0-9][a-z0-9.-]{0,120}\.csv$/.test(name) ? name : fallback;
}

/** `name.csv`, or `name (2).csv`, … — the first that is not taken in `dir`. */
async function freeName(dir: string, name: string): Promise<string> {
  const stem = name.replace(/\.csv$/, '');
  for (let n = 1; n < 1000; n++) {
    const candidate = n === 1 ? name : `${stem} (${n}).csv`;
    try {
      await stat(path.join(dir, candidate));
    } catch {
      return candidate;
    }
  }
  throw new GatehouseError('CONFLICT', `Too many exports named ${name} in ${dir}`);
}

/**
 * Downloads one of the event's exports from the server into `dir` as it streams (the body is never
 * held in memory), under a free name (`name (2).csv`, …) — see `streamExport`. Needs the server
 * (OFFLINE otherwise): an export is the server's complete record, not this device's copy.
 * FORBIDDEN / NOT_FOUND as the server answers.
 */
export async function saveExport(
  account: Account,
  dir: string,
  eventId: string,
  kind: ExportKind,
): Promise<SavedExport> {
  await mkdir(dir, { recursive: true });
  return streamExport(account, eventId, kind, async (response) =>
    path.join(dir, await freeName(dir, fileNameOf(response.headers.get('content-disposition'), `${kind}.csv`))),
  );
}

/**
 * Downloads one of the event's exports into `file`, the file the user chose in the save dialog
 * (exports/save-targets.ts): replaced if it exists, as the dialog asked the user to confirm.
 */
export function saveExportAs(account: Account, file: string, eventId: string, kind: ExportKind): Promise<SavedExport> {
  return streamExport(account, eventId, kind, async () => file);
}

/**
 * Streams the export's body to `${target}.part` beside the target, renamed to it only once
 * complete — a cut-off download is never mistaken for the whole file, and a file chosen to be
 * replaced keeps its old content until then. The target is named once the server has answered.
 */
async function streamExport(
  account: Account,
  eventId: string,
  kind: ExportKind,
  targetOf: (response: Response) => Promise<string>,
): Promise<SavedExport> {
  const api = account.online().api;
  return api.download(ROUTE_OF[kind], { params: { id: eventId } }, async (response) => {
    if (!response.body) throw new GatehouseError('INTERNAL', 'The server sent an empty export');
    const target = await targetOf(response);
    const partial = `${target}.part`;
    try {
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(partial));
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      if (error instanceof GatehouseError) throw error;
      throw new GatehouseError('OFFLINE', `The export was cut off: ${(error as Error).message}`);
    }
    return { path: target, fileName: path.basename(target), bytes: (await stat(target)).size };
  });
}
