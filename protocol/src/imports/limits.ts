/**
 * What one import may hold. 32 MiB is ~3× a 100,000-row Eventbrite report (≈120 bytes a row
 * with the columns this reads; its full export is wider); a 50 MB file is refused before any row is
 * read. 200 columns is above the widest export we know (Eventbrite with custom questions, ~80).
 */
export const IMPORT_LIMITS = {
  maxBytes: 32 * 1024 * 1024,
  maxColumns: 200,
  maxRows: 200_000,
  /** One record, in characters: far above any real row; a broken quote that swallows the file stops here. */
  maxRecordChars: 1_000_000,
  /** Refused rows listed in the answer at most (all are counted). */
  maxReportedRefusals: 5_000,
} as const;
