// Entity resolution: a name becomes an existing entity when its normalised key matches an alias
// ("Neo4j Inc." → "neo4j"), when Jaro-Winkler similarity to an alias key reaches the fuzzy
// threshold ("Microsft" → "Microsoft"), or when its name embedding is close enough to an
// entity's (only with an embedder). Otherwise it becomes a new entity. Only names of one type
// class (person, place, thing, date, value) are ever merged; dates and values only by exact key,
// people never by embedding.
import { newId } from '../domain/ids.js';
import type { Clock } from '../domain/clock.js';
import type { Embedder } from '../ports/embedder.js';
import type { EntityType } from '../ports/extractor.js';
import type {
  EntityCandidate,
  EntityRecord,
  GraphStore,
  ResolutionMethod,
} from '../ports/graph-store.js';
import {
  blockingPrefix,
  moreSpecificType,
  nameSimilarity,
  normalizeName,
  typeClassOf,
  type TypeClass,
} from './names.js';

export interface ResolverOptions {
  clock: Clock;
  fuzzyThreshold: number;
  embeddingThreshold: number;
  embedder?: Embedder;
  /** Fuzzy candidates read per name (they share the key's first two characters). */
  maxFuzzyCandidates?: number;
}

export interface NameToResolve {
  surface: string;
  type: EntityType;
}

export interface Resolution {
  entity: EntityRecord;
  key: string;
  method: ResolutionMethod;
  score: number;
}

const PERSON_FUZZY_THRESHOLD = 0.95;
const EXACT_ONLY: ReadonlySet<TypeClass> = new Set(['date', 'value']);
/**
 * Embeddings help with organisations, products and places ("IBM" / "International Business
 * Machines") but not with people: measured with the local USE-lite model, "Alice Smith" ~
 * "Alice Jones" scores 0.916 while "IBM" ~ "International Business Machines" scores 0.528.
 */
const EMBEDDABLE: ReadonlySet<TypeClass> = new Set(['thing', 'place']);

/** Name embeddings made before a resolution, keyed like resolutions (`typeClass:key`). */
export type NameVectors = ReadonlyMap<string, Float32Array>;

/** Keys made, by type and surface, up to this many (then forgotten at once). */
const MAX_KEYS_KEPT = 10_000;
const keysMade = new Map<string, { typeClass: TypeClass; key: string }>();

/**
 * A name's type class and key. Ingestion asks for a name's key several times (resolving, then
 * writing each mention and fact), so keys are kept: normalising each time took 110–174 ms of the
 * event loop's time in a 10 MB ingestion's profile, 8–18 ms kept.
 */
export function resolutionKey(name: NameToResolve): { typeClass: TypeClass; key: string } {
  const id = `${name.type}\u0000${name.surface}`;
  let made = keysMade.get(id);
  if (made === undefined) {
    made = { typeClass: typeClassOf(name.type), key: normalizeName(name.surface, name.type) };
    if (keysMade.size >= MAX_KEYS_KEPT) keysMade.clear();
    keysMade.set(id, made);
  }
  return made;
}

export function createEntityResolver(options: ResolverOptions) {
  const maxCandidates = options.maxFuzzyCandidates ?? 200;

  function bestFuzzy(
    candidates: EntityCandidate[],
    key: string,
    typeClass: TypeClass,
  ): Resolution | undefined {
    // One letter apart is often another person ("Smith" / "Smyth" scores 0.89): people need more.
    const threshold =
      typeClass === 'person'
        ? Math.max(options.fuzzyThreshold, PERSON_FUZZY_THRESHOLD)
        : options.fuzzyThreshold;
    let best: Resolution | undefined;
    for (const candidate of candidates) {
      for (const aliasKey of candidate.aliasKeys) {
        const score = nameSimilarity(key, aliasKey);
        if (score >= threshold && (best === undefined || score > best.score)) {
          best = { entity: candidate.entity, key, method: 'fuzzy', score };
        }
      }
    }
    return best;
  }

  interface Item {
    id: string;
    name: NameToResolve;
    typeClass: TypeClass;
    key: string;
  }

  function itemsOf(names: NameToResolve[]): Map<string, Item> {
    const items = new Map<string, Item>();
    for (const name of names) {
      const { typeClass, key } = resolutionKey(name);
      const id = `${typeClass}:${key}`;
      if (key !== '' && !items.has(id)) items.set(id, { id, name, typeClass, key });
    }
    return items;
  }

  /**
   * What the store already knows about a batch of names, read with few round trips: one
   * exact-key lookup per type class, one fuzzy-candidate read per blocking prefix (cached, and
   * told about entities this batch creates, so a later name finds an earlier one's).
   */
  async function matcherFor(store: GraphStore, tenantId: string, items: Map<string, Item>) {
    // Entities already holding one of the keys, per type class; the most mentioned wins a tie.
    const known = new Map<string, EntityRecord>();
    const classes = new Set([...items.values()].map((item) => item.typeClass));
    for (const typeClass of classes) {
      const keys = [...items.values()]
        .filter((item) => item.typeClass === typeClass)
        .map((item) => item.key);
      const found = await store.findEntitiesByKeys(tenantId, typeClass, keys);
      for (const candidate of found.sort((a, b) => a.entity.mentionCount - b.entity.mentionCount)) {
        for (const aliasKey of candidate.aliasKeys)
          known.set(`${typeClass}:${aliasKey}`, candidate.entity);
      }
    }
    const prefixCache = new Map<string, EntityCandidate[]>();
    const fuzzyCandidates = async (item: Item): Promise<EntityCandidate[]> => {
      const cacheKey = `${item.typeClass}:${blockingPrefix(item.key)}`;
      let candidates = prefixCache.get(cacheKey);
      if (candidates === undefined) {
        candidates = await store.findEntityCandidates(
          tenantId,
          item.typeClass,
          blockingPrefix(item.key),
          maxCandidates,
        );
        prefixCache.set(cacheKey, candidates);
      }
      return candidates;
    };
    return {
      async byKeyOrFuzzy(item: Item): Promise<Resolution | undefined> {
        const entity = known.get(item.id);
        if (entity !== undefined)
          return {
            entity,
            key: item.key,
            method: entity.name === item.name.surface ? 'exact' : 'normalized',
            score: 1,
          };
        if (EXACT_ONLY.has(item.typeClass)) return undefined;
        return bestFuzzy(await fuzzyCandidates(item), item.key, item.typeClass);
      },
      created(item: Item, entity: EntityRecord): void {
        known.set(item.id, entity);
        prefixCache
          .get(`${item.typeClass}:${blockingPrefix(item.key)}`)
          ?.push({ entity, aliasKeys: [item.key] });
      },
    };
  }

  /**
   * Embeds the names that neither a key nor a fuzzy match settles, in one embedder call; nothing
   * without an embedder. Kept apart from resolveAll so the embedder (a remote call) never runs
   * inside the transaction that writes a document's graph.
   */
  async function embedNames(
    store: GraphStore,
    tenantId: string,
    names: NameToResolve[],
    signal?: AbortSignal,
  ): Promise<NameVectors> {
    const vectors = new Map<string, Float32Array>();
    const embedder = options.embedder;
    if (embedder === undefined) return vectors;
    const items = itemsOf(names);
    const matcher = await matcherFor(store, tenantId, items);
    const embeddable: Item[] = [];
    for (const item of items.values())
      if (EMBEDDABLE.has(item.typeClass) && (await matcher.byKeyOrFuzzy(item)) === undefined)
        embeddable.push(item);
    if (embeddable.length === 0) return vectors;
    const embedded = await embedder.embed(
      embeddable.map((item) => item.name.surface),
      signal === undefined ? {} : { signal },
    );
    embeddable.forEach((item, i) => vectors.set(item.id, embedded[i]!));
    return vectors;
  }

  /**
   * Resolves a batch of names against `store`, creating entities for what nothing matches. Names
   * are settled in order, so an entity created for an early name is found by a later one. A name
   * embedding comes from `vectors` (see embedNames); a name without one is matched by key and
   * similarity only.
   */
  async function resolveAll(
    store: GraphStore,
    tenantId: string,
    names: NameToResolve[],
    vectors: NameVectors,
  ): Promise<Map<string, Resolution>> {
    const items = itemsOf(names);
    const matcher = await matcherFor(store, tenantId, items);
    const embedder = options.embedder;
    const resolved = new Map<string, Resolution>();
    const pending: Item[] = [];
    for (const item of items.values()) {
      const match = await matcher.byKeyOrFuzzy(item);
      if (match !== undefined) resolved.set(item.id, match);
      else pending.push(item);
    }
    for (const item of pending) {
      // Earlier names of this batch may have created what this one matches.
      let match = await matcher.byKeyOrFuzzy(item);
      const vector = vectors.get(item.id);
      if (match === undefined && vector !== undefined && embedder !== undefined) {
        const [nearest] = await store.nearestEntities(tenantId, {
          typeClass: item.typeClass,
          embedderId: embedder.id,
          vector,
          limit: 1,
        });
        if (nearest !== undefined && nearest.similarity >= options.embeddingThreshold) {
          match = {
            entity: nearest.entity,
            key: item.key,
            method: 'embedding',
            score: nearest.similarity,
          };
        }
      }
      if (match !== undefined) {
        resolved.set(item.id, match);
        continue;
      }
      const now = options.clock.now();
      const entity = await store.createEntity(tenantId, {
        id: newId('ent', now),
        name: item.name.surface,
        type: item.name.type,
        typeClass: item.typeClass,
        key: item.key,
        createdAt: now,
      });
      if (vector !== undefined && embedder !== undefined)
        await store.setEntityEmbedding(tenantId, entity.id, embedder.id, vector);
      matcher.created(item, entity);
      resolved.set(item.id, { entity, key: item.key, method: 'new', score: 1 });
    }

    // A more specific label seen for a known entity wins: a "topic" later named as an organisation.
    for (const name of names) {
      const { typeClass, key } = resolutionKey(name);
      const resolution = resolved.get(`${typeClass}:${key}`);
      if (resolution === undefined) continue;
      const type = moreSpecificType(resolution.entity.type, name.type);
      if (type !== resolution.entity.type) {
        await store.setEntityType(tenantId, resolution.entity.id, type);
        resolution.entity = { ...resolution.entity, type };
      }
    }
    return resolved;
  }

  return { embedNames, resolveAll };
}

export type EntityResolver = ReturnType<typeof createEntityResolver>;
