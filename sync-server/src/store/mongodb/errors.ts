import { GatehouseError } from '@gatehouse/protocol';
import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { storeErrors } from '../errors';

/** MongoDB's duplicate-key error (also FerretDB's, and GroupWriter's DuplicateKey): every unique claim relies on it. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 11000;
}

/**
 * The database could not take the request now and the same request later may well succeed:
 * unreachable, failing over, closed under us, or (FerretDB's SQLite backend under write load)
 * "database is locked". Answered 503 with Retry-After rather than 500, so clients back off.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
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
    /database is locked|SQLITE_BUSY/i.test(error.message)
  );
}

/** MongoDB's OutOfDiskSpace. */
const OUT_OF_DISK_SPACE = 14031;

/**
 * The database's disk is full: nothing was written, and retrying helps only once someone has made
 * room. MongoDB says OutOfDiskSpace (or passes on ENOSPC); FerretDB passes on SQLite's SQLITE_FULL.
 */
export function isStorageFull(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  return (
    error.code === OUT_OF_DISK_SPACE ||
    /SQLITE_FULL|database or disk is full|no space left on device|ENOSPC|OutOfDiskSpace/i.test(error.message)
  );
}

/** The error a caller of the port sees: GatehouseErrors as they are, a busy or full database as 503. */
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
