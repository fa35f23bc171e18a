import type { Collection } from 'mongodb';
import type { SecretRepository } from '../port';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';
import { isDuplicateKeyError } from './errors';

type SecretDoc = { _id: string; value: string; createdAt: Date };

/** Server secrets kept with the data, so every server process on the database shares them. */
export class MongoSecrets implements SecretRepository {
  private readonly secrets: Collection<SecretDoc>;

  constructor(context: StoreContext) {
    this.secrets = context.db.collection<SecretDoc>(COLLECTIONS.secrets);
  }

  /** The first writer wins by unique `_id`; everyone else reads what it stored. */
  async ensure(name: string, candidate: string): Promise<string> {
    const existing = await this.secrets.findOne({ _id: name });
    if (existing) return existing.value;
    try {
      await this.secrets.insertOne({ _id: name, value: candidate, createdAt: new Date() });
      return candidate;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const winner = await this.secrets.findOne({ _id: name });
    if (!winner) throw new Error(`secret ${name} vanished after a duplicate-key insert`);
    return winner.value;
  }
}
