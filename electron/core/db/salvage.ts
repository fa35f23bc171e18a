import Database from 'better-sqlite3';

export type SalvagedMutation = {
  id: string;
  name: string;
  args: string;
  hlc: string;
  meta: string;
  target_table: string;
  target_id: string;
  created_at: string;
};

/**
 * Reads what it can of the outbox of a damaged database file. Best effort by nature: any error
 * means nothing more is readable, and the file itself is kept for a person to look at.
 */
export function salvageOutbox(file: string): SalvagedMutation[] {
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    return db
      .prepare('SELECT id, name, args, hlc, meta, target_table, target_id, created_at FROM outbox ORDER BY seq')
      .all() as SalvagedMutation[];
  } catch {
    return [];
  } finally {
    db?.close();
  }
}
