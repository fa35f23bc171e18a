import { MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, isDuplicateKeyError } from '../src/store/mongodb/errors';

describe('isDatabaseUnavailable: which driver errors are answered 503 (retry) instead of 500', () => {
  it('a lost connection, a locked SQLite backend and a retryable write are transient', () => {
    expect(isDatabaseUnavailable(new MongoNetworkError('connection reset'))).toBe(true);
    expect(
      isDatabaseUnavailable(new MongoServerError({ message: 'database is locked (5) (SQLITE_BUSY)', code: 1 })),
    ).toBe(true);
    const retryable = new MongoServerError({ message: 'not primary', code: 10107 });
    retryable.addErrorLabel('RetryableWriteError');
    expect(isDatabaseUnavailable(retryable)).toBe(true);
  });

  it('a duplicate key, a bad query or a bug is not', () => {
    const duplicate = new MongoServerError({ message: 'E11000 duplicate key', code: 11000 });
    expect(isDuplicateKeyError(duplicate)).toBe(true);
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
    expect(isDatabaseUnavailable(new MongoServerError({ message: 'unknown operator: $foo', code: 2 }))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
