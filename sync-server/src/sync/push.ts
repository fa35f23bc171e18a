import {
  GatehouseError,
  isMutationName,
  MAX_PUSH_BATCH,
  mutationArgsSchemas,
  parseHlc,
  pushMutationEnvelopeSchema,
  uuidSchema,
  zodIssuesToDetails,
  type MutationName,
  type PushMutationEnvelope,
  type PushResponse,
  type MutationResult,
} from '@gatehouse/protocol';
import pLimit from 'p-limit';
import type { AppContext } from '../context';
import { KeyedLock } from '../db/keyed-lock';
import type { UserDoc } from '../users/store';
import { BatchAccess } from './mutations/access';
import { APPLIERS } from './mutations';
import { hashMutation, type MutationStore, type StoredResult } from './mutations/store';
import type { ApplyInput } from './mutations/types';

/** Device clocks this far off are reported as such; nothing is refused for skew (DESIGN §4, P8). */
export const TOLERATED_SKEW_MS = 24 * 3600 * 1000;

/**
 * Mutations whose effects commute: a check-in is an append-only fact whose meaning comes from its
 * own HLC, not from when it was applied, so a run of them is applied side by side. Anything else
 * (a walk-in before its check-in, a cancel) is a barrier that waits for what precedes it.
 */
const COMMUTING_MUTATIONS: ReadonlySet<string> = new Set<MutationName>(['checkin.record']);
/** Side-by-side applies per push: enough for the change log to group-commit their appends. */
const APPLY_CONCURRENCY = 32;

/** The booking a check-in scans, or a key of its own for anything unreadable. */
function ticketOf(mutation: unknown, index: number): string {
  const bookingId = (mutation as { args?: { bookingId?: unknown } } | null)?.args?.bookingId;
  return typeof bookingId === 'string' ? `booking:${bookingId}` : `mutation:${index}`;
}

/** Splits a batch into runs that may each be applied concurrently, in batch order. */
export function commutingRuns(mutations: unknown[]): number[][] {
  const runs: number[][] = [];
  let open: number[] | null = null;
  mutations.forEach((mutation, index) => {
    const name = (mutation as { name?: unknown }).name;
    if (typeof name === 'string' && COMMUTING_MUTATIONS.has(name)) {
      if (!open) runs.push((open = []));
      open.push(index);
    } else {
      open = null;
      runs.push([index]);
    }
  });
  return runs;
}

/**
 * Checks the batch's shape before any mutation is touched. More than MAX_PUSH_BATCH mutations is
 * 413 BATCH_TOO_LARGE (the client splits its outbox); a mutation without a usable id cannot be
 * answered by id, so the request is refused as a whole. Everything else is answered per mutation.
 */
export function readBatch(body: unknown): unknown[] {
  const mutations = (body as { mutations?: unknown } | null)?.mutations;
  if (!body || typeof body !== 'object' || Array.isArray(body) || !Array.isArray(mutations)) {
    throw new GatehouseError('VALIDATION_FAILED', 'Send {"mutations": [...]}', [
      { path: 'body.mutations', message: 'must be an array' },
    ]);
  }
  const extra = Object.keys(body).filter((key) => key !== 'mutations');
  if (extra.length) {
    throw new GatehouseError('VALIDATION_FAILED', 'Unknown fields in the push body', [
      { path: `body.${extra[0]!.slice(0, 64)}`, message: 'unknown field' },
    ]);
  }
  if (mutations.length === 0) {
    throw new GatehouseError('VALIDATION_FAILED', 'Send at least one mutation', [
      { path: 'body.mutations', message: 'empty' },
    ]);
  }
  if (mutations.length > MAX_PUSH_BATCH) {
    throw new GatehouseError(
      'BATCH_TOO_LARGE',
      `At most ${MAX_PUSH_BATCH} mutations per push; this one had ${mutations.length}. Send the rest in further pushes`,
    );
  }
  const unnamed = mutations.findIndex((m) => !uuidSchema.safeParse((m as { id?: unknown } | null)?.id).success);
  if (unnamed !== -1) {
    throw new GatehouseError('VALIDATION_FAILED', 'Every mutation needs an id (a UUID)', [
      { path: `body.mutations.${unnamed}.id`, message: 'must be a UUID' },
    ]);
  }
  return mutations;
}

/** Device clock minus server clock, from the newest HLC in the batch (HLCs merge the server's, so this is a lower bound). */
export function clockOffsetOf(mutations: unknown[], nowMs: number): number | undefined {
  let newest: number | undefined;
  for (const mutation of mutations) {
    const hlc = parseHlc(String((mutation as { hlc?: unknown }).hlc ?? ''));
    if (hlc && (newest === undefined || hlc.wallMs > newest)) newest = hlc.wallMs;
  }
  return newest === undefined ? undefined : newest - nowMs;
}

type PushSource = { user: UserDoc; deviceId: string; access: BatchAccess };

function rejected(code: GatehouseError['code'], message: string): StoredResult {
  return { status: 'rejected', code, message };
}

function describeIssues(error: GatehouseError): string {
  const details = (error.details ?? []).map((d) => (d.path ? `${d.path}: ${d.message}` : d.message));
  return details.length ? `${error.message}: ${details.join('; ')}` : error.message;
}

export class PushProcessor {
  constructor(
    private readonly ctx: AppContext,
    private readonly store: MutationStore,
  ) {}

  /**
   * Applies a batch in order (a device's outbox is causal: a walk-in before its check-in), except
   * that a run of commuting mutations goes side by side. A rejection is an answer, not a stop. An
   * unexpected failure (database down) aborts the request; the claims it leaves are resumed when the
   * device retries.
   */
  async push(user: UserDoc, deviceId: string, mutations: unknown[]): Promise<PushResponse> {
    const from = { user, deviceId, access: new BatchAccess(this.ctx, user) };
    const results: MutationResult[] = [];
    const limit = pLimit(APPLY_CONCURRENCY);
    // Scans of one ticket keep their batch order: applied side by side, an entry could read its
    // booking's history before the exit just before it landed, and raise a false duplicate alert.
    const sameTicket = new KeyedLock();
    for (const run of commutingRuns(mutations)) {
      // allSettled: a failing apply must not leave its siblings running after the request has
      // answered; their claims are finished or released before the error propagates.
      const settled = await Promise.allSettled(
        run.map((index) =>
          sameTicket.run(ticketOf(mutations[index], index), () => limit(() => this.answer(mutations[index], from))),
        ),
      );
      for (const outcome of settled) {
        if (outcome.status === 'rejected') throw outcome.reason;
        results.push(outcome.value);
      }
    }
    return { results, serverHlc: this.ctx.events.clock.current() };
  }

  private async answer(raw: unknown, from: PushSource): Promise<MutationResult> {
    const id = (raw as { id: string }).id;
    const envelope = pushMutationEnvelopeSchema.safeParse(raw);
    if (!envelope.success) {
      const error = new GatehouseError(
        'VALIDATION_FAILED',
        'Invalid mutation',
        zodIssuesToDetails(envelope.error.issues),
      );
      return { id, ...rejected('VALIDATION_FAILED', describeIssues(error)) };
    }
    return { id, ...(await this.pushOne(envelope.data, from)) };
  }

  private async pushOne(mutation: PushMutationEnvelope, from: PushSource): Promise<StoredResult> {
    const claim = await this.store.claim({
      id: mutation.id,
      userId: from.user._id,
      deviceId: from.deviceId,
      name: mutation.name,
      argsHash: hashMutation(mutation.name, mutation.args),
      hlc: mutation.hlc,
    });
    if (claim.kind === 'reused') {
      return rejected('MUTATION_ID_REUSED', `Mutation id ${mutation.id} was already used for a different mutation`);
    }
    if (claim.kind === 'done') return claim.result;
    this.ctx.events.clock.receive(mutation.hlc);
    try {
      const result = await this.apply(mutation, from);
      return await this.store.finish(mutation.id, result, claim);
    } catch (error) {
      await this.store.release(mutation.id);
      throw error;
    }
  }

  private async apply(mutation: PushMutationEnvelope, from: PushSource): Promise<StoredResult> {
    if (from.user.disabled) {
      return rejected('ACCOUNT_DISABLED', 'This account was disabled; its pending changes were not applied');
    }
    if (!isMutationName(mutation.name)) {
      return rejected('UNKNOWN_MUTATION', `Unknown mutation "${mutation.name.slice(0, 64)}"`);
    }
    const name: MutationName = mutation.name;
    const args = mutationArgsSchemas[name].safeParse(mutation.args);
    if (!args.success) {
      const error = new GatehouseError(
        'VALIDATION_FAILED',
        `Invalid ${name} args`,
        zodIssuesToDetails(args.error.issues),
      );
      return rejected('VALIDATION_FAILED', describeIssues(error));
    }
    const input: ApplyInput = {
      ctx: this.ctx,
      user: from.user,
      deviceId: from.deviceId,
      hlc: mutation.hlc,
      access: from.access,
    };
    try {
      // The table's key and the args' schema are the same name, which TypeScript cannot correlate.
      await (APPLIERS[name] as (args: unknown, input: ApplyInput) => Promise<void>)(args.data, input);
      return { status: 'applied' };
    } catch (error) {
      // A 5xx is the server's trouble, not the mutation's: not remembered, so the retry applies it.
      if (error instanceof GatehouseError && error.status < 500) return rejected(error.code, error.message);
      throw error;
    }
  }
}
