import { randomBytes } from 'node:crypto';
import {
  bookingCodeFromBytes,
  columnIndex,
  GatehouseError,
  guessImportPreset,
  IMPORT_LIMITS,
  importMappingSchema,
  importMatchKey,
  isImportProblem,
  readImportRow,
  resolveImportMapping,
  ticketTypeResolver,
  truncateText,
  zodIssuesToDetails,
  type ImportEncoding,
  type ImportProgress,
  type ImportMapping,
  type ImportPreset,
  type ImportRowProblem,
  type ImportSummary,
} from '@gatehouse/protocol';
import { v7 as timeOrderedId } from 'uuid';
import type { EventService } from '../events/service';
import { storeErrors } from '../store/errors';
import { IMPORT_STATUSES } from '../store/imports';
import type { ImportProgressRow, ImportRowInput, Store } from '../store/port';
import type { EventRow, UserRow } from '../store/rows';
import { openCsv } from './csv';
import { orderDateReader } from './order-date';

/**
 * Rows per store call. Each chunk is one transaction on SQLite (port.ts `importRows`): large enough
 * that commits are a small share of the time, small enough that a chunk never holds the writer
 * long and an interrupted import loses at most one chunk — which the re-run then adds.
 */
export const IMPORT_CHUNK_ROWS = 1_000;

export type ImportRequest = {
  preset?: ImportPreset | undefined;
  /** The mapping's JSON, as the query carries it. */
  mapping?: string | undefined;
  encoding: ImportEncoding;
  dryRun: boolean;
  /** The client's name for this import: its progress is recorded under it (ImportProgressRepository). */
  importId?: string | undefined;
};

/** Rows read between two progress records while the file is checked. */
const CHECKING_RECORD_ROWS = 10_000;
/** Progress records are dropped a day after they were last written. */
const PROGRESS_KEPT_MS = 24 * 3_600_000;

function parseMapping(json: string | undefined): ImportMapping | undefined {
  if (json === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new GatehouseError('IMPORT_MAPPING_INVALID', 'mapping is not JSON', [
      { path: 'query.mapping', message: 'not JSON' },
    ]);
  }
  const parsed = importMappingSchema.safeParse(value);
  if (!parsed.success) {
    throw new GatehouseError(
      'IMPORT_MAPPING_INVALID',
      'mapping is not a column mapping',
      zodIssuesToDetails(parsed.error.issues).map((detail) => ({ ...detail, path: `mapping.${detail.path ?? ''}` })),
    );
  }
  return parsed.data;
}

/** What a progress record changes; null leaves a field as it was. */
type ProgressChange = Partial<{
  [K in 'phase' | 'rowsRead' | 'rowsTotal' | 'rowsWritten']: ImportProgressRow[K] | null;
}>;

/**
 * Fresh random booking codes (an imported booking's id is time-ordered and says nothing about its
 * code), drawn from a pool: one `randomBytes` call per 1,000 codes instead of one per row.
 */
function randomCodes(): () => string {
  let pool = randomBytes(0);
  let offset = 0;
  return () => {
    if (offset + 5 > pool.length) {
      pool = randomBytes(5 * 1_000);
      offset = 0;
    }
    offset += 5;
    return bookingCodeFromBytes(pool.subarray(offset - 5, offset));
  };
}

/**
 * CSV import of attendees (issue #20, part 1; protocol imports.ts). Two phases, so that a file
 * which cannot be read writes nothing: the stream is read and every row checked — mapping, name,
 * email, ticket type, duplicates within the file — with only the rows kept in memory (the file
 * never is); then the rows go to the store in chunks of IMPORT_CHUNK_ROWS, each atomic, which
 * match, update, add or refuse each row (capacity and quota as online). Every refused row is
 * reported with its line; a re-run of the same file finds what a first run made.
 */
export class ImportService {
  constructor(
    private readonly store: Store,
    private readonly events: EventService,
  ) {}

  /**
   * Imports `body` (the CSV bytes) into the event, for its organizer or an admin (FORBIDDEN for
   * others who see it, NOT_FOUND for the rest). Errors before any write: EVENT_NOT_BOOKABLE,
   * IMPORT_TOO_LARGE, IMPORT_EMPTY, IMPORT_MALFORMED, IMPORT_TOO_MANY_COLUMNS,
   * IMPORT_ENCODING_INVALID, IMPORT_MAPPING_INVALID.
   */
  async run(
    actor: UserRow,
    eventId: string,
    request: ImportRequest,
    body: AsyncIterable<Uint8Array>,
  ): Promise<ImportSummary> {
    const event = await this.events.assertCanManage(actor, eventId);
    if (!IMPORT_STATUSES.includes(event.status)) throw storeErrors.notBookable(event.status);
    const progress = this.progressOf(eventId, actor.id, request.importId);
    await progress.start();
    try {
      const summary = await this.checkAndWrite(actor, event, request, body, progress.record);
      await progress.record({ phase: 'done', rowsRead: summary.rows, rowsTotal: null, rowsWritten: null });
      return summary;
    } catch (error) {
      await progress.record({ phase: 'failed' }).catch(() => undefined);
      throw error;
    }
  }

  /**
   * How far the import is (`GET /events/:id/imports/:importId`), for whoever may manage the event.
   * NOT_FOUND when no import of the event was named so (or not within the last day).
   */
  async progress(actor: UserRow, eventId: string, importId: string): Promise<ImportProgress> {
    await this.events.assertCanManage(actor, eventId);
    const row = await this.store.importProgress.get(eventId, importId);
    if (!row) throw new GatehouseError('NOT_FOUND', 'No import of this event by that id (it may be over a day old)');
    return {
      importId: row.importId,
      eventId: row.eventId,
      phase: row.phase,
      rowsRead: row.rowsRead,
      rowsTotal: row.rowsTotal,
      rowsWritten: row.rowsWritten,
      updatedAt: new Date(row.updatedAtMs).toISOString(),
    };
  }

  /**
   * The import's progress records: `record` merges what changed into the last record and writes
   * it (a no-op without an import id). Each is one small write by `_id` / primary key.
   */
  private progressOf(eventId: string, userId: string, importId: string | undefined) {
    let last: ImportProgressRow = {
      eventId,
      importId: importId ?? '',
      userId,
      phase: 'checking',
      rowsRead: 0,
      rowsTotal: null,
      rowsWritten: 0,
      updatedAtMs: Date.now(),
    };
    const record = async (change: ProgressChange): Promise<void> => {
      if (importId === undefined) return;
      last = {
        ...last,
        ...Object.fromEntries(Object.entries(change).filter(([, value]) => value !== null)),
        updatedAtMs: Date.now(),
      };
      await this.store.importProgress.record(last);
    };
    return {
      record,
      start: async () => {
        if (importId === undefined) return;
        await this.store.importProgress.prune(Date.now() - PROGRESS_KEPT_MS);
        await record({ phase: 'checking' });
      },
    };
  }

  private async checkAndWrite(
    actor: UserRow,
    event: EventRow,
    request: ImportRequest,
    body: AsyncIterable<Uint8Array>,
    recordProgress: (change: ProgressChange) => Promise<void>,
  ): Promise<ImportSummary> {
    const eventId = event.id;
    const chosenMapping = parseMapping(request.mapping);
    const csv = await openCsv(body, { encoding: request.encoding });
    const mapping = resolveImportMapping(csv.headers, { preset: request.preset, mapping: chosenMapping });
    if (mapping.ticketType === undefined && event.ticketTypes.length !== 1) {
      throw new GatehouseError(
        'IMPORT_MAPPING_INVALID',
        'Map the ticket type column: this event has several ticket types',
        [{ path: 'mapping.ticketType', message: 'required when the event has several ticket types' }],
      );
    }
    const resolve = ticketTypeResolver(event.ticketTypes);
    const preset = request.preset ?? (chosenMapping ? null : guessImportPreset(csv.headers));
    const readOrderDate = orderDateReader(preset, event.timezone);
    const columnOf = columnIndex(csv.headers);
    const firstLineOf = new Map<string, number>();
    const rows: ImportRowInput[] = [];
    /** The photo file each row names (mapping.photo), by line: read back in the summary, never stored. */
    const photoOf = new Map<number, string>();
    const problems: ImportRowProblem[] = [];
    let read = 0;
    for await (const record of csv.records) {
      read += 1;
      if (read % CHECKING_RECORD_ROWS === 0) await recordProgress({ rowsRead: read });
      if (read > IMPORT_LIMITS.maxRows) {
        throw new GatehouseError(
          'IMPORT_TOO_LARGE',
          `The file has more than ${IMPORT_LIMITS.maxRows} rows; split it into several imports`,
        );
      }
      const candidate = readImportRow(record.fields, record.line, csv.headers, mapping, columnOf);
      if (isImportProblem(candidate)) {
        problems.push(candidate);
        continue;
      }
      const ticketTypeId = resolve(candidate.ticketType);
      if (ticketTypeId === null) {
        problems.push({
          line: candidate.line,
          ...(mapping.ticketType ? { column: mapping.ticketType } : {}),
          code: 'IMPORT_UNKNOWN_TICKET_TYPE',
          message: `The event has no ticket type "${truncateText(candidate.ticketType ?? '', 80)}"`,
        });
        continue;
      }
      let orderedAt: string | null = null;
      if (candidate.orderDate !== null) {
        const read = readOrderDate(candidate.orderDate);
        if ('problem' in read) {
          problems.push({
            line: candidate.line,
            column: mapping.orderDate!,
            code: 'IMPORT_DATE_INVALID',
            message: read.problem,
          });
          continue;
        }
        orderedAt = read.orderedAt;
      }
      const key = importMatchKey(candidate);
      const first = firstLineOf.get(key);
      if (first !== undefined) {
        problems.push({
          line: candidate.line,
          code: 'IMPORT_DUPLICATE_ROW',
          message: `The same attendee as line ${first} (${candidate.externalId !== null ? 'external id' : 'email and name'})`,
        });
        continue;
      }
      firstLineOf.set(key, candidate.line);
      if (candidate.photo) photoOf.set(candidate.line, candidate.photo);
      rows.push({
        line: candidate.line,
        // Time-ordered (UUIDv7): 100,000 bookings then land at the right edge of the id-keyed
        // b-trees instead of on random pages — with random v4 ids a 100,000-row import on this
        // machine took 146 s, its commits rewriting ever more pages as the trees outgrew the cache.
        id: timeOrderedId(),
        externalId: candidate.externalId,
        attendee:
          candidate.email === null ? { name: candidate.name } : { name: candidate.name, email: candidate.email },
        ticketTypeId,
        orderedAt,
      });
    }
    if (read === 0) throw new GatehouseError('IMPORT_EMPTY', 'The file has a header and no rows');

    const counts = { created: 0, updated: 0, unchanged: 0 };
    const photos: NonNullable<ImportSummary['photos']> = [];
    if (!request.dryRun) {
      await recordProgress({ phase: 'writing', rowsRead: read, rowsTotal: rows.length });
      const createdAt = new Date().toISOString();
      const codes = randomCodes();
      for (let start = 0; start < rows.length; start += IMPORT_CHUNK_ROWS) {
        const outcomes = await this.store.bookings.importRows({
          eventId,
          userId: actor.id,
          createdAt,
          rows: rows.slice(start, start + IMPORT_CHUNK_ROWS),
          codes,
        });
        for (const outcome of outcomes) {
          if (outcome.kind === 'refused') {
            problems.push({ line: outcome.line, code: outcome.code, message: outcome.message });
          } else {
            counts[outcome.kind] += 1;
            const photo = photoOf.get(outcome.line);
            if (photo !== undefined) photos.push({ line: outcome.line, bookingId: outcome.bookingId, photo });
          }
        }
        await recordProgress({ rowsWritten: Math.min(rows.length, start + IMPORT_CHUNK_ROWS) });
        // Back to the event loop between chunks: the SQLite store writes synchronously, so without
        // this a 100,000-row import would hold the process for seconds — no progress answered, no
        // door device's push or pull served — until its last chunk.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    problems.sort((a, b) => a.line - b.line);
    return {
      eventId,
      dryRun: request.dryRun,
      preset,
      mapping,
      encoding: csv.encoding(),
      delimiter: csv.delimiter,
      bytes: csv.bytes(),
      rows: read,
      ...counts,
      refused: problems.length,
      refusals: problems.slice(0, IMPORT_LIMITS.maxReportedRefusals),
      ...(mapping.photo !== undefined ? { photos } : {}),
    };
  }
}
