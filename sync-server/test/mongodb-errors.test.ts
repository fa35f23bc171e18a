import { MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { GatehouseError } from '@gatehouse/protocol';
import { DocumentRefused, WriteConcernFailed } from '../src/store/mongodb/batching';
import { isDatabaseUnavailable, isDuplicateKeyError, translateError } from '../src/store/mongodb/errors';

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

describe('translateError: one refused document of a bulk insert', () => {
  // The bulk error every refusal carries as its cause: its code is its first document's, 11000 here.
  const bulk = new MongoServerError({ message: 'E11000 duplicate key', code: 11000 });
  const refused = (code: number | undefined, message: string) => new DocumentRefused(code, message, bulk);
  const codeOf = (error: unknown) => (error instanceof GatehouseError ? error.code : 'not a GatehouseError');

  it("is 503 when the database fails over or is busy, by the document's own code or words", () => {
    // A primary stepping down mid-batch leaves the rest of an unordered insert with 10107 / 11602.
    expect(codeOf(translateError(refused(10107, 'insert refused (code 10107): not primary')))).toBe(
      'SERVICE_UNAVAILABLE',
    );
    expect(codeOf(translateError(refused(11602, 'interrupted due to repl state change')))).toBe('SERVICE_UNAVAILABLE');
    expect(codeOf(translateError(refused(1, 'database is locked (5) (SQLITE_BUSY)')))).toBe('SERVICE_UNAVAILABLE');
  });

  it('is 503 with the full-disk code when the disk is full', () => {
    const full = translateError(refused(14031, 'OutOfDiskSpace'));
    expect(codeOf(full)).toBe(codeOf(translateError(new MongoServerError({ message: 'x', code: 14031 }))));
    expect(codeOf(full)).not.toBe('SERVICE_UNAVAILABLE');
    expect(codeOf(translateError(refused(1, 'database or disk is full (13) (SQLITE_FULL)')))).toBe(codeOf(full));
  });

  it('stays an internal error (500) when it is neither, whatever the bulk error says', () => {
    const badId = refused(53, "insert refused (code 53): can't use an array for _id");
    expect(translateError(badId)).toBe(badId);
    expect(translateError(refused(undefined, 'insert refused'))).toBeInstanceOf(DocumentRefused);
  });
});

describe('translateError: a whole bulk command that failed', () => {
  const codeOf = (error: unknown) => (error instanceof GatehouseError ? error.code : 'not a GatehouseError');
  /** A bulk error as the driver raises it: its code and message are its first document's. */
  const bulkError = (writeErrors: Array<{ index: number; code: number; errmsg: string }>) => {
    const error = new MongoServerError({ message: writeErrors[0]!.errmsg, code: writeErrors[0]!.code });
    Object.assign(error, { writeErrors });
    return error;
  };

  it('is 503 when any of its documents says the primary stepped down, though the first was a duplicate', () => {
    const error = bulkError([
      { index: 0, code: 11000, errmsg: 'E11000 duplicate key' },
      { index: 1, code: 10107, errmsg: 'not primary' },
    ]);
    expect(codeOf(translateError(error))).toBe('SERVICE_UNAVAILABLE');
  });

  it('is the full-disk 503 when any of its documents says the disk is full', () => {
    const full = codeOf(translateError(new MongoServerError({ message: 'x', code: 14031 })));
    const error = bulkError([
      { index: 0, code: 11000, errmsg: 'E11000 duplicate key' },
      { index: 1, code: 14031, errmsg: 'OutOfDiskSpace' },
    ]);
    expect(codeOf(translateError(error))).toBe(full);
  });

  it('is 503 for a retryable code without its label, and for a failed write concern', () => {
    expect(codeOf(translateError(new MongoServerError({ message: 'interrupted', code: 11602 })))).toBe(
      'SERVICE_UNAVAILABLE',
    );
    expect(codeOf(translateError(new WriteConcernFailed(new Error('waiting for replication timed out'))))).toBe(
      'SERVICE_UNAVAILABLE',
    );
  });

  it('stays a 500 when every document is a duplicate or a bad document', () => {
    const error = bulkError([
      { index: 0, code: 11000, errmsg: 'E11000 duplicate key' },
      { index: 1, code: 53, errmsg: "can't use an array for _id" },
    ]);
    expect(translateError(error)).toBe(error);
  });
});
