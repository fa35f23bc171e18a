import { GatehouseError } from '@gatehouse/protocol';
import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { storeErrors } from '../errors';
import { DocumentRefused, WriteConcernFailed, writeErrorsOf } from './batching';

/** MongoDB's duplicate-key error (also FerretDB's, and GroupWriter's DuplicateKey): every unique claim relies on it. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 11000;
}

/** MongoDB's OutOfDiskSpace. */
const OUT_OF_DISK_SPACE = 14031;

/** A database's own words for "busy, try again": FerretDB's SQLite backend under write load. */
const LOCKED = /database is locked|SQLITE_BUSY/i;
/** The same for a full disk: MongoDB's, the OS's, or SQLite's under FerretDB. */
const FULL = /SQLITE_FULL|database or disk is full|no space left on device|ENOSPC|OutOfDiskSpace/i;

/**
 * Codes the retryable-writes specification calls retryable (the MongoDB Node driver 7's
 * RETRYABLE_WRITE_ERROR_CODES in lib/error.js, not exported): a primary stepping down, shutting
 * down or unreachable. A bulk insert cut by a step-down reports its unwritten documents with these
 * as per-document write errors, which carry no error label.
 */
const RETRYABLE_WRITE_CODES = new Set([6, 7, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * The database could not take the request now and the same request later may well succeed:
 * unreachable, failing over, closed under us, or (FerretDB's SQLite backend under write load)
 * "database is locked" — said by the whole command, by any document of a bulk one (its write
 * errors, or one DocumentRefused), or by a failed write concern. Answered 503 with Retry-After
 * rather than 500, so clients back off.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // A failed write concern: whether the write is durable is unknown, so it is retried.
  if (error instanceof WriteConcernFailed) return true;
  if (error instanceof DocumentRefused) return saysUnavailable(error.code, error.message);
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError
  ) {
    return true;
  }
  if (!(error instanceof MongoServerError)) return false;
  return (
    error.hasErrorLabel('RetryableWriteError') ||
    error.hasErrorLabel('TransientTransactionError') ||
    saysUnavailable(error.code, error.message) ||
    (writeErrorsOf(error) ?? []).some((failure) => saysUnavailable(failure.code, failure.errmsg))
  );
}

/** A code or message of MongoDB's or FerretDB's for "failing over, shutting down or busy". */
function saysUnavailable(code: unknown, message: string | undefined): boolean {
  return (typeof code === 'number' && RETRYABLE_WRITE_CODES.has(code)) || LOCKED.test(message ?? '');
}

/** A code or message for a full disk. */
function saysFull(code: unknown, message: string | undefined): boolean {
  return code === OUT_OF_DISK_SPACE || FULL.test(message ?? '');
}

/**
 * The database's disk is full: nothing was written, and retrying helps only once someone has made
 * room. MongoDB says OutOfDiskSpace (or passes on ENOSPC); FerretDB passes on SQLite's SQLITE_FULL.
 */
export function isStorageFull(error: unknown): boolean {
  if (error instanceof DocumentRefused) return saysFull(error.code, error.message);
  if (!(error instanceof MongoServerError)) return false;
  return (
    saysFull(error.code, error.message) ||
    (writeErrorsOf(error) ?? []).some((failure) => saysFull(failure.code, failure.errmsg))
  );
}

/**
 * The error a caller of the port sees: GatehouseErrors as they are, a busy or full database as 503
 * (storeErrors.unavailable / storeErrors.full) — whether the whole command said so or one document
 * of a bulk insert did (DocumentRefused) — and anything else as it is (a 500).
 */
export function translateError(error: unknown): unknown {
  if (error instanceof GatehouseError) return error;
  if (isStorageFull(error)) return storeErrors.full();
  if (isDatabaseUnavailable(error)) return storeErrors.unavailable();
  return error;
}

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * The repository as callers see it: every method's failure goes through translateError, so no
 * driver error about an unreachable or full database ever reaches a domain as a 500. Internal
 * calls between repositories use the unwrapped objects.
 */
export function guarded<T extends object>(target: T): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      const method = value as AnyFunction;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = method.apply(object, args);
        } catch (error) {
          throw translateError(error);
        }
        if (result instanceof Promise) {
          return result.catch((error: unknown) => {
            throw translateError(error);
          });
        }
        return result;
      };
    },
  });
}
