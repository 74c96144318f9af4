// The graph contract: one suite, run against every GraphStore adapter through the real
// GraphService and the offline extractor, on small real paragraphs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import type { Embedder } from '../../src/ports/embedder.js';
import type { GraphStore } from '../../src/ports/graph-store.js';
import { createGraphService, type GraphService } from '../../src/graph/graph-service.js';
import { createLocalExtractor } from '../../src/graph/create-local-extractor.js';
import { isAppError } from '../../src/domain/errors.js';

export interface GraphTables {
  entities: number;
  aliases: number;
  mentions: number;
  relations: number;
  sources: number;
  /** Rows nothing supports: entities without mentions, aliases without a mention of that surface, relations without a source. */
  orphans: number;
}

export interface GraphBackend {
  store: GraphStore;
  /** Row counts of one tenant, read with SQL behind the port's back. */
  tables(tenantId: string): Promise<GraphTables>;
  close(): Promise<void>;
}

const DAY = 86_400_000;

/**
 * A deterministic stand-in for a sentence embedder, for the embedding branch of resolution: the
 * names listed as synonyms get the same direction, every other name a direction of its own.
 */
function synonymEmbedder(groups: string[][]): Embedder {
  const dimension = 16;
  const groupOf = (text: string) => groups.findIndex((group) => group.includes(text));
  let next = groups.length;
  const own = new Map<string, number>();
  return {
    id: 'test:synonyms',
    dimension,
    async embed(texts) {
      return texts.map((text) => {
        let slot = groupOf(text);
        if (slot < 0) {
          if (!own.has(text)) own.set(text, next++);
          slot = own.get(text)!;
        }
        const vector = new Float32Array(dimension);
        vector[slot % dimension] = 1;
        return vector;
      });
    },
    async close() {},
  };
}

export function describeGraphStore(
  name: string,
  open: () => Promise<GraphBackend | undefined>,
): void {
  describe(`graph store contract: ${name}`, () => {
    let backend: GraphBackend | undefined;
    const clock = createManualClock(Date.UTC(2026, 5, 1));
    let graph: GraphService;
    let tenantNo = 0;
    const tenant = () => `tenant-${name}-${++tenantNo}`;

    beforeAll(async () => {
      backend = await open();
      if (backend === undefined) return;
      graph = createGraphService({
        store: backend.store,
        extractor: createLocalExtractor(),
        clock,
        logger: createSilentLogger(),
        entityFuzzyThreshold: 0.88,
        entityEmbeddingThreshold: 0.9,
        maxNeighborhoodEntities: 25,
      });
    });
    afterAll(async () => {
      await backend?.close();
    });

    const chunk = (id: string, text: string, ordinal = 0) => ({ id, ordinal, text });

    it('extracts the people, organisations, places and relations of a paragraph', async (ctx) => {
      if (backend === undefined) return ctx.skip('backend not reachable');
      const t = tenant();
      const result = await graph.extract({
        tenantId: t,
        documentId: 'doc-1',
        chunks: [
          chunk(
            'c1',
            'Alice Smith works at Acme Corp as an engineer. Emil Eifrem founded Neo4j in Sweden. ' +
              'Microsoft acquired GitHub for $7.5 billion on June 4, 2018.',
          ),
        ],
      });
      expect(result.relations).toBe(3);
      const alice = (await graph.searchEntities({ tenantId: t, query: 'alice smith' }))[0]!;
      expect(alice).toMatchObject({ name: 'Alice Smith', type: 'person' });
      expect((await graph.searchEntities({ tenantId: t, query: 'Sweden' }))[0]).toMatchObject({
        type: 'place',
      });
      expect((await graph.searchEntities({ tenantId: t, query: 'Acme' }))[0]).toMatchObject({
        name: 'Acme Corp',
        type: 'organization',
      });
      expect((await graph.searchEntities({ tenantId: t, query: 'June 4, 2018' }))[0]).toMatchObject(
        { type: 'date' },
      );
      expect((await graph.searchEntities({ tenantId: t, query: '$7.5 billion' }))[0]).toMatchObject(
        { type: 'value' },
      );

      const detail = await graph.getEntity(t, alice.id);
      expect(detail.facts.map((f) => `${f.subjectName}|${f.predicate}|${f.objectName}`)).toEqual([
        'Alice Smith|works at|Acme Corp',
      ]);
      expect(detail.mentions).toEqual([
        expect.objectContaining({ documentId: 'doc-1', chunkId: 'c1', surface: 'Alice Smith' }),
      ]);
      expect(detail.facts[0]!.sources).toEqual([
        {
          documentId: 'doc-1',
          chunkId: 'c1',
          sentence: 'Alice Smith works at Acme Corp as an engineer.',
        },
      ]);

      const facts = await graph.searchFacts({ tenantId: t, query: 'Who acquired GitHub?', k: 5 });
      expect(facts[0]).toMatchObject({
        text: 'Microsoft acquired GitHub (since 2018-06-04)',
        predicate: 'acquired',
      });
      expect(facts[0]!.id).toMatch(/^rel_/);
    });

    it('resolves "Neo4j", "neo4j" and "Neo4j Inc." to one entity that keeps every alias and its provenance', async (ctx) => {
      if (backend === undefined) return ctx.skip('backend not reachable');
      const t = tenant();
      await graph.extract({
        tenantId: t,
        documentId: 'doc-a',
        chunks: [chunk('a1', 'Neo4j Inc. hired Alice Smith in 2020.')],
      });
      await graph.extract({
        tenantId: t,
        documentId: 'doc-b',
        chunks: [
          chunk('b1', 'Many teams store their knowledge graph in neo4j today.'),
          chunk('b2', 'Emil Eifrem founded Neo4j in Sweden.', 1),
        ],
      });
      const found = await graph.searchEntities({ tenantId: t, query: 'neo4j' });
      expect(found).toHaveLength(1);
      const detail = await graph.getEntity(t, found[0]!.id);
      expect(detail.entity.type).toBe('organization');
      expect(detail.aliases.map((a) => a.alias).sort()).toEqual(['Neo4j', 'Neo4j Inc.', 'neo4j']);
      expect(detail.aliases.find((a) => a.alias === 'neo4j')).toMatchObject({
        method: 'normalized',
        documentId: 'doc-b',
        chunkId: 'b1',
      });
      expect(new Set(detail.mentions.map((m) => m.documentId))).toEqual(
        new Set(['doc-a', 'doc-b']),
      );
      expect(detail.facts.map((f) => f.predicate).sort()).toEqual(['founded', 'works at']);
    });

    it('merges a misspelling by fuzzy match and a synonym by embedding similarity', async (ctx) => {
      if (backend === undefined) return ctx.skip('backend not reachable');
      const t = tenant();
      const withEmbedder = createGraphService({
        store: backend.store,
        extractor: createLocalExtractor(),
        clock,
        logger: createSilentLogger(),
        embedder: synonymEmbedder([['International Business Machines', 'IBM']]),
        entityFuzzyThreshold: 0.88,
        entityEmbeddingThreshold: 0.9,
      });
      await withEmbedder.extract({
        tenantId: t,
        documentId: 'd1',
        chunks: [chunk('c1', 'Bob Jones works at Microsoft. Carol King works at IBM.')],
      });
      await withEmbedder.extract({
        tenantId: t,
        documentId: 'd2',
        chunks: [
          chunk(
            'c2',
            'Dan Brown works at Microsft. Erin Gray joined International Business Machines.',
          ),
        ],
      });
      const microsoft = await withEmbedder.searchEntities({ tenantId: t, query: 'Microsoft' });
      expect(microsoft).toHaveLength(1);
      const microsoftDetail = await withEmbedder.getEntity(t, microsoft[0]!.id);
      const typo = microsoftDetail.aliases.find((a) => a.alias === 'Microsft')!;
      expect(typo.method).toBe('fuzzy');
      expect(typo.score).toBeGreaterThanOrEqual(0.88);
      const ibm = await withEmbedder.getEntity(
        t,
        (await withEmbedder.searchEntities({ tenantId: t, query: 'IBM' }))[0]!.id,
      );
      expect(ibm.aliases.map((a) => [a.alias, a.method])).toEqual(
        expect.arrayContaining([
          ['IBM', 'new'],
          ['International Business Machines', 'embedding'],
        ]),
      );
      expect(ibm.facts).toHaveLength(2);
      // Different types never merge: a person named like a company stays a person.
      await withEmbedder.extract({
        tenantId: t,
        documentId: 'd3',
        chunks: [chunk('c3', 'Alice Smith met Bob Jones. Alice Smyth met Carol King.')],
      });
      expect(
        (await withEmbedder.searchEntities({ tenantId: t, query: 'Bob Jones' })).map((e) => e.type),
      ).toEqual(['person']);
      // People need a closer match than things: "Smyth" is not a typo of "Smith".
      expect(
        (await withEmbedder.searchEntities({ tenantId: t, query: 'Alice' }))
          .map((e) => e.name)
          .sort(),
      ).toEqual(['Alice Smith', 'Alice Smyth']);
    });

    it('re-extracting the same chunks never duplicates an entity, alias, mention or relation', async (ctx) => {
      if (backend === undefined) return ctx.skip('backend not reachable');
      const t = tenant();
      const input = {
        tenantId: t,
        documentId: 'doc-1',
        chunks: [
          chunk('c1', 'Alice Smith works at Acme Corp. Neo4j Inc. released Neo4j 5 in 2022.'),
          chunk('c2', 'Acme Corp is headquartered in Berlin.', 1),
        ],
      };
      await graph.extract(input);
      const before = await backend.tables(t);
      expect(before.relations).toBe(3);
      clock.advance(DAY);
      await graph.extract(input);
      await graph.extract(input);
      expect(await backend.tables(t)).toEqual(before);
      expect(await graph.countDocument(t, 'doc-1')).toEqual({
        entities: before.entities,
        relations: before.relations,
      });
      // Each entity's count is its mentions, however often they were written (and a second
      // chunk naming Acme Corp again counts once more).
      const acme = await graph.searchEntities({ tenantId: t, query: 'Acme Corp' });
      const detail = await graph.getEntity(t, acme[0]!.id);
      expect(detail.mentions).toHaveLength(2);
      expect(detail.entity.mentionCount).toBe(2);
    });

    it("lists a document's entities, most mentioned in it first, for its tenant only", async (ctx) => {
      if (backend === undefined) return ctx.skip('backend not reachable');
      const t = tenant();
      await graph.extract({
        tenantId: t,
        documentId: 'doc-a',
        chunks: [
          chunk('a1', 'Alice Smith works at Acme Corp. Acme Corp is headquartered in Berlin.'),
          chunk('a2', 'Bob Jones joined Acme Corp in 2021.', 1),
        ],
      });
      await graph.extract({
        tenantId: t,
        documentId: 'doc-b',
        chunks: [chunk('b1', 'Carol White works at Globex Corporation.')],
      });
      const names = (await backend.store.documentEntities(t, 'doc-a', 10)).map((e) => e.name);
      expect(names[0]).toMatch(/^Acme/);
      expect(names).toEqual(expect.arrayContaining(['Alice Smith', 'Bob Jones', 'Berlin']));
      expect(names.some((n) => n.startsWith('Globex'))).toBe(false);
      expect(await backend.store.documentEntities(t, 'doc-a', 1)).toHaveLength(1);
      expect(await backend.store.documentEntities(tenant(), 'doc-a', 10)).toEqual([]);
      expect(await backend.store.documentEntities(t, 'doc-none', 10)).toEqual([]);
    });

    it('concurrent extractions naming the same entities create each entity once', async (ctx) => {
      if (backend === undefined) return ctx.skip('backend not reachable');
      const t = tenant();
      const texts = [
        'Alice Smith works at Acme Corp.',
        'Acme Corp acquired Initech. Alice Smith knows Bob Jones.',
        'Bob Jones lives in Paris. Acme Corp. is headquartered in Paris.',
        'Neo4j Inc. hired Bob Jones. Alice Smith met the team at Acme Corp.',
      ];
      await Promise.all(
        texts.map((text, i) =>
          graph.extract({ tenantId: t, documentId: `doc-${i}`, chunks: [chunk(`c-${i}`, text)] }),
        ),
      );
      for (const name of ['Alice Smith', 'Acme Corp', 'Bob Jones', 'Paris']) {
        expect(
          (await graph.searchEntities({ tenantId: t, query: name })).filter((e) =>
            e.name.startsWith(name.split(' ')[0]!),
          ),
        ).toHaveLength(1);
      }
      expect((await backend.tables(t)).orphans).toBe(0);
    });

    it("a newer contradicting fact sets the older one's invalid_at; removing the newer one restores it", async (ctx) => {
      if (backend === undefined) return ctx.skip('backend not reachable');
      const t = tenant();
      await graph.extract({
        tenantId: t,
        documentId: 'd2019',
        chunks: [chunk('x1', 'In 2019, Alice Smith joined Acme Corp.')],
      });
      await graph.extract({
        tenantId: t,
        documentId: 'd2021',
        chunks: [chunk('x2', 'In 2021, Alice Smith joined Globex Corporation.')],
      });
      // Read out of order: a 2015 fact arrives last and is history at once.
      await graph.extract({
        tenantId: t,
        documentId: 'd2015',
        chunks: [chunk('x3', 'In 2015, Alice Smith worked at Initech.')],
      });
      // Multi-valued predicates never contradict.
      await graph.extract({
        tenantId: t,
        documentId: 'dk',
        chunks: [chunk('x4', 'Alice Smith knows Bob Jones. Alice Smith knows Carol King.')],
      });

      const alice = (await graph.searchEntities({ tenantId: t, query: 'Alice Smith' }))[0]!;
      const facts = (await graph.getEntity(t, alice.id)).facts;
      const byObject = (object: string) => facts.find((f) => f.objectName === object)!;
      const y = (year: number) => Date.UTC(year, 0, 1);
      expect(byObject('Globex Corporation')).toMatchObject({
        predicate: 'works at',
        validAt: y(2021),
        invalidAt: null,
      });
      expect(byObject('Acme Corp')).toMatchObject({
        validAt: y(2019),
        invalidAt: y(2021),
        invalidatedBy: byObject('Globex Corporation').id,
      });
      expect(byObject('Initech')).toMatchObject({
        validAt: y(2015),
        invalidAt: y(2019),
        invalidatedBy: byObject('Acme Corp').id,
      });
      expect(byObject('Bob Jones').invalidAt).toBeNull();
      expect(byObject('Carol King').invalidAt).toBeNull();

      const current = await graph.searchFacts({
        tenantId: t,
        query: 'Where does Alice Smith work?',
        k: 5,
      });
      expect(current[0]!.text).toBe('Alice Smith works at Globex Corporation (since 2021-01-01)');
      expect(current.map((f) => f.text)).toContain(
        'Alice Smith works at Acme Corp (from 2019-01-01 until 2021-01-01)',
      );

      await graph.removeDocument(t, 'd2021');
      const after = (await graph.getEntity(t, alice.id)).facts;
      expect(after.find((f) => f.objectName === 'Acme Corp')).toMatchObject({
        invalidAt: null,
        invalidatedBy: null,
      });
      expect(after.find((f) => f.objectName === 'Globex Corporation')).toBeUndefined();
      expect(after.find((f) => f.objectName === 'Initech')).toMatchObject({ invalidAt: y(2019) });

      // Asserted anew with a later date, a superseded fact becomes current again.
      await graph.extract({
        tenantId: t,
        documentId: 'd2024',
        chunks: [chunk('x5', 'In 2024, Alice Smith joined Initech.')],
      });
      const revived = (await graph.getEntity(t, alice.id)).facts;
      expect(revived.find((f) => f.objectName === 'Initech')).toMatchObject({
        validAt: y(2024),
        invalidAt: null,
      });
      expect(revived.find((f) => f.objectName === 'Acme Corp')).toMatchObject({
        invalidAt: y(2024),
      });
    });

    it('removeDocument removes what only that document supported and leaves no orphans', async (ctx) => {
      if (backend === undefined) return ctx.skip('backend not reachable');
      const t = tenant();
      const other = tenant();
      const one = 'Alice Smith works at Acme Corp. Acme Corp acquired Initech in 2020.';
      const two = 'Bob Jones works at Acme Inc. Bob Jones lives in Paris.';
      await graph.extract({ tenantId: t, documentId: 'one', chunks: [chunk('o1', one)] });
      await graph.extract({ tenantId: t, documentId: 'two', chunks: [chunk('t1', two)] });
      await graph.extract({ tenantId: other, documentId: 'one', chunks: [chunk('o1', one)] });
      const otherBefore = await backend.tables(other);

      const removed = await graph.removeDocument(t, 'one');
      expect(removed.relations).toBe(2);
      expect(await graph.searchEntities({ tenantId: t, query: 'Alice Smith' })).toEqual([]);
      expect(await graph.searchEntities({ tenantId: t, query: 'Initech' })).toEqual([]);
      const acme = await graph.searchEntities({ tenantId: t, query: 'Acme' });
      expect(acme).toHaveLength(1);
      const acmeDetail = await graph.getEntity(t, acme[0]!.id);
      expect(acmeDetail.entity.name).toBe('Acme Inc.');
      expect(acmeDetail.aliases.map((a) => a.alias)).toEqual(['Acme Inc.']);
      expect(acmeDetail.mentions.every((m) => m.documentId === 'two')).toBe(true);
      expect(acmeDetail.entity.mentionCount).toBe(acmeDetail.mentions.length);
      expect((await backend.tables(t)).orphans).toBe(0);

      await graph.removeDocument(t, 'two');
      expect(await backend.tables(t)).toEqual({
        entities: 0,
        aliases: 0,
        mentions: 0,
        relations: 0,
        sources: 0,
        orphans: 0,
      });
      // Another tenant's copy of the same document is untouched.
      expect(await backend.tables(other)).toEqual(otherBefore);
      expect(await graph.removeDocument(t, 'two')).toEqual({
        mentions: 0,
        relations: 0,
        entities: 0,
      });
    });

    it('neighbourhood follows relations both ways up to the depth asked, and caps its size', async (ctx) => {
      if (backend === undefined) return ctx.skip('backend not reachable');
      const t = tenant();
      // A chain Anna → Ben → Cara → Dave → Emma, and Anna with 30 colleagues.
      const chain =
        'Anna Lee knows Ben Moss. Ben Moss knows Cara Diaz. Cara Diaz knows Dave Hill. Dave Hill knows Emma Ford.';
      const first = ['Mark', 'Tom', 'Olivia', 'Grace', 'Henry', 'Laura'];
      const last = ['Young', 'Baker', 'Hart', 'Cole', 'Reed'];
      const colleagues = first
        .flatMap((f) => last.map((l) => `Anna Lee trusts ${f} ${l}.`))
        .join(' ');
      await graph.extract({ tenantId: t, documentId: 'chain', chunks: [chunk('k1', chain)] });
      const names = async (depth: number, entity = 'Ben Moss') =>
        (await graph.neighborhood({ tenantId: t, entity, depth })).entities
          .map((e) => `${e.name}@${e.depth}`)
          .sort();
      expect(await names(1)).toEqual(['Anna Lee@1', 'Ben Moss@0', 'Cara Diaz@1']);
      expect(await names(2)).toEqual(['Anna Lee@1', 'Ben Moss@0', 'Cara Diaz@1', 'Dave Hill@2']);
      expect(await names(3)).toEqual([
        'Anna Lee@1',
        'Ben Moss@0',
        'Cara Diaz@1',
        'Dave Hill@2',
        'Emma Ford@3',
      ]);
      const one = await graph.neighborhood({ tenantId: t, entity: 'Ben Moss', depth: 1 });
      expect(one.relations.map((r) => `${r.subjectName}>${r.objectName}`).sort()).toEqual([
        'Anna Lee>Ben Moss',
        'Ben Moss>Cara Diaz',
      ]);
      // Each relation carries its evidence sentence.
      expect(one.relations.map((r) => r.sources)).toEqual([
        [{ documentId: 'chain', chunkId: 'k1', sentence: expect.stringContaining('knows') }],
        [{ documentId: 'chain', chunkId: 'k1', sentence: expect.stringContaining('knows') }],
      ]);
      expect(one.truncated).toBe(false);

      await graph.extract({ tenantId: t, documentId: 'team', chunks: [chunk('k2', colleagues)] });
      const capped = await graph.neighborhood({ tenantId: t, entity: 'Anna Lee', depth: 1 });
      expect(capped.entities).toHaveLength(25);
      expect(capped.truncated).toBe(true);
      expect(capped.entities[0]).toMatchObject({ name: 'Anna Lee', depth: 0 });
      const capping = createGraphService({
        store: backend.store,
        extractor: createLocalExtractor(),
        clock,
        logger: createSilentLogger(),
        entityFuzzyThreshold: 0.88,
        entityEmbeddingThreshold: 0.9,
        maxFactsPerEntity: 10,
        maxMentionsPerEntity: 1,
      });
      const anna = await capping.getEntity(t, capped.center.id);
      expect(anna).toMatchObject({ factsTruncated: true, mentionsTruncated: true });
      expect(anna.facts).toHaveLength(10);
      expect(anna.mentions).toHaveLength(1);
      const small = await graph.neighborhood({
        tenantId: t,
        entity: capped.center.id,
        depth: 2,
        limit: 5,
      });
      expect(small.entities).toHaveLength(5);
      expect(small.relations.length).toBeLessThanOrEqual(20);

      for (const depth of [0, 4]) {
        const error = await graph
          .neighborhood({ tenantId: t, entity: 'Anna Lee', depth })
          .catch((e: unknown) => e);
        expect(isAppError(error) && error.code).toBe('VALIDATION_FAILED');
      }
      const missing = await graph
        .neighborhood({ tenantId: t, entity: 'Nobody Here', depth: 1 })
        .catch((e: unknown) => e);
      expect(isAppError(missing) && missing.code).toBe('ENTITY_NOT_FOUND');
      // Tenants see only their own graph.
      const stranger = await graph
        .neighborhood({ tenantId: tenant(), entity: capped.center.id, depth: 1 })
        .catch((e: unknown) => e);
      expect(isAppError(stranger) && stranger.code).toBe('ENTITY_NOT_FOUND');
    });
  });
}
