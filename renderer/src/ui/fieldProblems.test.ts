import { describe, expect, it } from 'vitest';
import { describeError, plainWordsFor } from '../errors/messages';
import { RpcError } from '../rpc/RpcError';
import { localProblem, placeProblems, type FieldMap } from './fieldProblems';

type Field = 'name' | 'email' | 'ticketTypes';
const FIELDS: FieldMap<Field> = {
  paths: {
    'attendee.name': 'name',
    'attendee.email': { field: 'email', text: 'Enter an email like name@example.com.' },
    ticketTypes: 'ticketTypes',
  },
  codes: { INVALID_CREDENTIALS: { fields: ['name', 'email'] } },
};

/** As the core's bridge delivers a refusal: a plain `{code, message, details}` object. */
const refused = (code: string, details?: { path?: string; message: string }[]) =>
  describeError({ code, message: `refused (${code})`, ...(details ? { details } : {}) });

describe('placing what the core refused on the fields of a form', () => {
  it('puts each detail beside its field, in the form’s words where it has them, the schema’s otherwise', () => {
    const placed = placeProblems(
      refused('VALIDATION_FAILED', [
        { path: 'attendee.email', message: 'Invalid email address' },
        { path: 'attendee.name', message: 'Too small' },
        { path: 'ticketTypes.0.quota', message: 'Too big' },
        { path: 'attendee.name', message: 'A second complaint about the name' },
      ]),
      FIELDS,
    );
    expect(placed).toEqual({
      fields: {
        email: { text: 'Enter an email like name@example.com.' },
        name: { text: 'Too small' },
        ticketTypes: { text: 'Too big' },
      },
      notice: null,
    });
  });

  it('keeps details that name no field in the notice, without the words about highlighted fields', () => {
    const placed = placeProblems(
      refused('VALIDATION_FAILED', [
        { path: 'attendee.email', message: 'Invalid email address' },
        { path: 'eventId', message: 'Invalid id' },
        { message: 'Unrecognized key: "extra"' },
      ]),
      FIELDS,
    );
    expect(Object.keys(placed.fields)).toEqual(['email']);
    expect(placed.notice).toMatchObject({
      code: 'VALIDATION_FAILED',
      text: 'Some of the details are not valid.',
      detail: 'eventId: Invalid id; Unrecognized key: "extra"',
      details: [{ path: 'eventId', message: 'Invalid id' }, { message: 'Unrecognized key: "extra"' }],
    });
    expect(placed.notice!.text).not.toMatch(/highlighted/);
  });

  it('does not take a path for a field whose name it merely begins with', () => {
    const placed = placeProblems(refused('VALIDATION_FAILED', [{ path: 'attendee.emailX', message: 'x' }]), FIELDS);
    expect(placed.fields).toEqual({});
    expect(placed.notice?.detail).toBe('attendee.emailX: x');
  });

  it('marks every field an error code is about, with its words beside the last one', () => {
    const placed = placeProblems(refused('INVALID_CREDENTIALS'), FIELDS);
    expect(placed).toEqual({
      fields: { name: { text: null }, email: { text: plainWordsFor('INVALID_CREDENTIALS') } },
      notice: null,
    });
  });

  it('leaves any other error, or a refusal without details, whole for the notice', () => {
    const offline = refused('OFFLINE');
    expect(placeProblems(offline, FIELDS)).toEqual({ fields: {}, notice: offline });
    const vague = describeError(new RpcError('VALIDATION_FAILED', 'Malformed RPC request frame'));
    expect(placeProblems(vague, FIELDS)).toEqual({ fields: {}, notice: vague });
    expect(placeProblems(null, FIELDS)).toEqual({ fields: {}, notice: null });
  });

  it('places a problem the form found itself the same way', () => {
    expect(localProblem<Field>('name', 'Give a name.')).toEqual({
      fields: { name: { text: 'Give a name.' } },
      notice: null,
    });
  });
});
