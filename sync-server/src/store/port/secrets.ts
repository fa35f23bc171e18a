/**
 * Server secrets kept with the data (the JWT signing key, from which cursor keys derive too), so a
 * backup, a restore or a migration to MongoDB keeps every session and cursor valid, and several
 * server processes on one database share them.
 */
export interface SecretRepository {
  /** The stored value of `name`; stores `candidate` first if there is none (the first writer wins). */
  ensure(name: string, candidate: string): Promise<string>;
}
