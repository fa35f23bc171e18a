/**
 * The little of PouchDB 9 and express-pouchdb 4 the peer uses (neither ships type declarations;
 * @types/pouchdb would add a dozen packages for these few calls).
 */
declare module 'pouchdb' {
  namespace PouchDB {
    type Doc = { _id: string; _rev?: string; [field: string]: unknown };
    type Info = { doc_count: number; update_seq: number | string };
    type ReplicationResult = { ok: boolean; docs_read: number; docs_written: number; doc_write_failures: number };
    type ReplicationOptions = {
      live?: boolean;
      retry?: boolean;
      since?: number | string;
      batch_size?: number;
      batches_limit?: number;
    };
    interface Replication extends PromiseLike<ReplicationResult> {
      on(
        event: 'change' | 'paused' | 'active' | 'denied' | 'complete' | 'error',
        listener: (info: unknown) => void,
      ): this;
      cancel(): void;
    }
    type Change = { id: string; seq: number | string; doc?: Doc };
    interface Changes {
      on(event: 'change', listener: (change: Change) => void): this;
      on(event: 'error' | 'complete', listener: (info: unknown) => void): this;
      cancel(): void;
    }
    interface Database {
      info(): Promise<Info>;
      get(id: string): Promise<Doc>;
      put(doc: Doc): Promise<{ ok: boolean; id: string; rev: string }>;
      bulkDocs(docs: Doc[]): Promise<Array<{ ok?: boolean; id?: string; error?: string }>>;
      changes(options: { live: true; since: number | string | 'now'; include_docs?: boolean }): Changes;
      replicate: {
        from(source: Database | string, options?: ReplicationOptions): Replication;
        to(target: Database | string, options?: ReplicationOptions): Replication;
      };
      close(): Promise<void>;
    }
    interface Static {
      new (name: string, options?: Record<string, unknown>): Database;
      defaults(options: Record<string, unknown>): Static;
      version: string;
    }
  }
  const PouchDB: PouchDB.Static;
  export default PouchDB;
}

declare module 'express-pouchdb' {
  import type { Server } from 'node:http';
  import type PouchDB from 'pouchdb';
  type App = { listen(port: number, host: string, callback: () => void): Server };
  function expressPouchdb(
    pouch: typeof PouchDB,
    options?: { mode?: 'fullCouchDB' | 'minimumForPouchDB' | 'custom'; logPath?: string; inMemoryConfig?: boolean },
  ): App;
  export default expressPouchdb;
}
