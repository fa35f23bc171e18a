import { createHash } from 'node:crypto';
import { MAX_PUSH_BATCH, type MutationResult, type UnsentExport, type UnsentImportResult } from '@gatehouse/protocol';
import type { AppContext } from '../context';
import type { UserRow } from '../store/rows';
import type { PushProcessor } from '../sync/push';

/**
 * The id an imported change is applied under: derived from its own, so importing one file twice
 * applies it once (the ledger answers the second), and distinct from its own, which the ledger may
 * hold as refused for the device's user (ACCOUNT_DISABLED) — the same id under the admin would be
 * MUTATION_ID_REUSED. Shaped as a UUID (version nibble 8: custom, RFC 9562 §5.8).
 */
export function importedMutationId(originalId: string): string {
  const hex = createHash('sha256').update(`gatehouse-unsent-import:${originalId}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Applies a device's saved unsent changes with `admin`'s authority under the device's id, in the
 * order the device made them, in push-sized batches. A change the server already applied (the
 * device pushed it before it lost access, and never heard the answer) is skipped, so nothing is
 * applied twice.
 */
export async function importUnsent(
  ctx: AppContext,
  pusher: PushProcessor,
  admin: UserRow,
  file: UnsentExport,
): Promise<UnsentImportResult> {
  const results: MutationResult[] = [];
  let skipped = 0;
  const toApply: { originalId: string; envelope: { id: string; name: string; args: unknown; hlc: string } }[] = [];
  for (const change of file.changes) {
    const earlier = await ctx.store.mutations.find(change.id);
    if (earlier?.status === 'done' && earlier.result?.status === 'applied') {
      skipped += 1;
      results.push({ id: change.id, status: 'applied' });
      continue;
    }
    const envelope = { id: importedMutationId(change.id), name: change.name, args: change.args, hlc: change.hlc };
    toApply.push({ originalId: change.id, envelope });
  }
  for (let start = 0; start < toApply.length; start += MAX_PUSH_BATCH) {
    const batch = toApply.slice(start, start + MAX_PUSH_BATCH);
    const answer = await pusher.push(
      admin,
      file.deviceId,
      batch.map((item) => item.envelope),
    );
    answer.results.forEach((result, index) => results.push({ ...result, id: batch[index]!.originalId }));
  }
  const applied = results.filter((result) => result.status === 'applied').length - skipped;
  return { applied, rejected: results.length - applied - skipped, skipped, results };
}
