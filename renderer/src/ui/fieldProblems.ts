import { describeDetails, type ErrorCode, type ErrorDetail } from '@gatehouse/protocol';
import type { UiError } from '../errors/messages';

/** What a field shows when it is at fault: outlined, with `text` beside it (null: the text sits beside another field). */
export type FieldProblem = { text: string | null };

/**
 * How a form's fields answer to the core's errors. `paths` maps a detail path (dot-joined, as
 * `zodIssuesToDetails` writes it, e.g. `attendee.email`) to a field; an entry also covers the paths
 * under it (`ticketTypes` covers `ticketTypes.0.quota`), the longest entry winning. A field given
 * with `text` shows those words instead of the schema's message. `codes` name errors that are
 * about fields as a whole, like INVALID_CREDENTIALS: every field listed is outlined, and the
 * error's words (or `text`) sit beside the last of them.
 */
export type FieldMap<F extends string> = {
  paths: Readonly<Record<string, F | { field: F; text: string }>>;
  codes?: Partial<Readonly<Record<ErrorCode, { fields: readonly F[]; text?: string }>>>;
};

/** Where a form's problems go: beside each field at fault, and whatever is left for the form's notice. */
export type PlacedProblems<F extends string> = {
  fields: Partial<Record<F, FieldProblem>>;
  /** What the form's notice still says: null when every problem sits beside its field. */
  notice: UiError | null;
};

const NOTHING_PLACED = { fields: {}, notice: null };

function fieldFor<F extends string>(path: string, paths: FieldMap<F>['paths']): { field: F; text?: string } | null {
  let best: string | null = null;
  for (const key of Object.keys(paths)) {
    const covers = path === key || path.startsWith(`${key}.`);
    if (covers && (best === null || key.length > best.length)) best = key;
  }
  if (best === null) return null;
  const entry = paths[best]!;
  return typeof entry === 'string' ? { field: entry } : entry;
}

/**
 * Places an error on a form's fields (source of the shape: `errorDetailSchema` in protocol). The
 * first detail naming a field is the one shown beside it. Details that name no field of this form
 * stay in the notice, in its detail line; any other error is left whole for the notice.
 */
export function placeProblems<F extends string>(error: UiError | null, map: FieldMap<F>): PlacedProblems<F> {
  if (!error) return NOTHING_PLACED;
  const byCode = map.codes?.[error.code as ErrorCode];
  if (byCode && byCode.fields.length > 0) {
    const fields: Partial<Record<F, FieldProblem>> = {};
    byCode.fields.forEach((field, index) => {
      fields[field] = { text: index === byCode.fields.length - 1 ? (byCode.text ?? error.text) : null };
    });
    return { fields, notice: null };
  }
  if (error.code !== 'VALIDATION_FAILED' || error.details.length === 0) return { fields: {}, notice: error };
  const fields: Partial<Record<F, FieldProblem>> = {};
  const unplaced: ErrorDetail[] = [];
  for (const detail of error.details) {
    const placed = detail.path === undefined ? null : fieldFor(detail.path, map.paths);
    if (!placed) unplaced.push(detail);
    else fields[placed.field] ??= { text: placed.text ?? detail.message };
  }
  if (unplaced.length === 0) return { fields, notice: null };
  return { fields, notice: { ...error, detail: describeDetails(unplaced), details: unplaced } };
}

/** One problem found by the form itself before anything was sent, placed like the core's. */
export function localProblem<F extends string>(field: F, text: string): PlacedProblems<F> {
  return { fields: { [field]: { text } } as Partial<Record<F, FieldProblem>>, notice: null };
}
