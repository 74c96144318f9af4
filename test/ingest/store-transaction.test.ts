// A transaction across the document and graph stores, on SQLite and on PostgreSQL: what the body
// wrote lands together or not at all; a read outside it never sees its writes before it commits;
// and on SQLite, where the transaction shares the process's one connection, a body that waits on
// the event loop (where another request's statement could slip in) is refused and rolled back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreTransaction } from '../../src/ports/stores.js';
import { newDocument } from './document-store-contract.js';
import { freshLocation, openBackend, type Backend, type BackendLocation } from './harness.js';

const TENANT = 'tx';
const LIMITS = { mentions: 0, facts: 0 };

for (const kind of ['sqlite', 'postgres'] as const satisfies BackendLocation['kind'][]) {
  describe(`store transaction: ${kind}`, () => {
    let place: Awaited<ReturnType<typeof freshLocation>>;
    let backend: Backend;
    let documentId: string;

    beforeAll(async () => {
      place = await freshLocation(kind);
      if (place === undefined) return;
      backend = await openBackend(place.location);
      const { document } = await backend.store.createDocument(
        newDocument(TENANT, 'Ada Lovelace wrote the first program.', {
          id: 'doc-tx',
          mimeType: 'text/plain',
          now: 1,
        }),
      );
      documentId = document.id;
    });

    afterAll(async () => {
      await backend?.close();
      await place?.destroy();
    });

    const test = (title: string, body: () => Promise<void>) =>
      it(title, async (context) => {
        if (place === undefined) {
          context.skip('PostgreSQL is not available');
          return;
        }
        await body();
      });

    let n = 0;
    /** Writes one entity and the document's title through the transaction's stores. */
    async function write(tx: StoreTransaction): Promise<string> {
      n += 1;
      const name = `ent-${kind}-${n}`;
      await tx.graphStore.createEntity(TENANT, {
        id: name,
        name,
        type: 'person',
        typeClass: 'person',
        key: name.toLowerCase(),
        createdAt: n,
      });
      await tx.documentStore.updateDocument(TENANT, documentId, { title: name, now: n + 1 });
      return name;
    }
    const visible = async (name: string) => ({
      entity: (await backend.graphStore.getEntity(TENANT, name, LIMITS)) === null ? 0 : 1,
      titled: (await backend.store.getDocument(TENANT, documentId))?.title === name,
    });

    test('a body that returns commits both stores’ writes', async () => {
      const name = await backend.transaction(write);
      expect(await visible(name)).toEqual({ entity: 1, titled: true });
    });

    test('a body that throws leaves nothing of what it wrote, in either store', async () => {
      let name = '';
      await expect(
        backend.transaction(async (tx) => {
          name = await write(tx);
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(name).not.toBe('');
      expect(await visible(name)).toEqual({ entity: 0, titled: false });
    });

    test('a read from outside the transaction does not see its writes before the commit', async () => {
      let during: Awaited<ReturnType<typeof visible>> | undefined;
      let queued: Promise<Awaited<ReturnType<typeof visible>>> | undefined;
      const name = await backend.transaction(async (tx) => {
        const written = await write(tx);
        expect(await tx.graphStore.getEntity(TENANT, written, LIMITS)).not.toBeNull();
        // PostgreSQL: another pooled connection reads now. SQLite: a read queued for the next turn
        // of the loop, which comes only after the commit.
        if (kind === 'postgres') during = await visible(written);
        else queued = new Promise((resolve) => setImmediate(() => resolve(visible(written))));
        return written;
      });
      if (kind === 'sqlite') during = await queued;
      expect(during).toEqual(
        kind === 'postgres' ? { entity: 0, titled: false } : { entity: 1, titled: true },
      );
      expect(await visible(name)).toEqual({ entity: 1, titled: true });
    });

    if (kind === 'sqlite')
      test('a body that waits on the event loop is refused and rolled back', async () => {
        let name = '';
        await expect(
          backend.transaction(async (tx) => {
            name = await write(tx);
            await new Promise((resolve) => setTimeout(resolve, 5));
          }),
        ).rejects.toThrow('waited on the event loop');
        expect(await visible(name)).toEqual({ entity: 0, titled: false });
        // The connection is usable again: the next transaction commits.
        const next = await backend.transaction(write);
        expect(await visible(next)).toEqual({ entity: 1, titled: true });
      });
  });
}
