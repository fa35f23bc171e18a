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
    });
  });

  it('turns plain {code, message} rejections from the Electron bridge into the same shape', () => {
    expect(describeError({ code: 'OFFLINE', message: 'fetch failed' }).text).toBe(plainWordsFor('OFFLINE'));
    expect(describeError(new Error('boom')).code).toBe('INTERNAL');
  });
});
