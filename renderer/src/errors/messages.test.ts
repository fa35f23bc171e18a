import { ERROR_CODES } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { RpcError } from '../rpc/RpcError';
import { codesWithoutWords, describeError, plainWordsFor } from './messages';

describe('plain-word error messages', () => {
  it('has words for every error code in the protocol', () => {
    expect(codesWithoutWords(ERROR_CODES)).toEqual([]);
  });

  it('shows the plain words first and keeps the technical message as detail', () => {
    const shown = describeError(new RpcError('INVALID_CREDENTIALS', 'email or password is wrong'));
    expect(shown).toEqual({
      code: 'INVALID_CREDENTIALS',
      text: 'That email and password do not match.',
      detail: 'email or password is wrong',
      details: [],
    });
  });

  it('carries the inputs at fault from a plain rejection, naming them in the detail line', () => {
    const shown = describeError({
      code: 'VALIDATION_FAILED',
      message: 'Invalid params for bookings.walkIn: attendee.email: Invalid email address',
      details: [{ path: 'attendee.email', message: 'Invalid email address' }],
    });
    expect(shown).toEqual({
      code: 'VALIDATION_FAILED',
      text: 'Some of the details are not valid.',
      detail: 'attendee.email: Invalid email address',
      details: [{ path: 'attendee.email', message: 'Invalid email address' }],
    });
    // A list not of that shape is dropped whole; the core's message stands in for it.
    const garbled = describeError({ code: 'VALIDATION_FAILED', message: 'bad', details: [{ nonsense: true }] });
    expect(garbled).toMatchObject({ detail: 'bad', details: [] });
  });

  it('turns plain {code, message} rejections from the Electron bridge into the same shape', () => {
    expect(describeError({ code: 'OFFLINE', message: 'fetch failed' }).text).toBe(plainWordsFor('OFFLINE'));
    expect(describeError(new Error('boom')).code).toBe('INTERNAL');
  });
});
