// Entity resolution: a name becomes an existing entity when its normalised key matches an alias
// ("Neo4j Inc." → "neo4j"), when Jaro-Winkler similarity to an alias key reaches the fuzzy
// threshold ("Microsft" → "Microsoft"), or when its name embedding is close enough to an
// entity's (only with an embedder). Otherwise it becomes a new entity. Only names of one type
// class (person, place, thing, date, value) are ever merged; dates and values only by exact key.
import { newId } from '../domain/ids.js';
import type { Clock } from '../domain/clock.js';
import type { Embedder } from '../ports/embedder.js';
import type { EntityType } from '../ports/extractor.js';
import type { EntityRecord, GraphStore, ResolutionMethod } from '../ports/graph-store.js';
import { blockingPrefix, moreSpecificType, nameSimilarity, normalizeName, typeClassOf, type TypeClass } from './names.js';

export interface ResolverOptions {
  store: GraphStore;
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

const EXACT_ONLY: ReadonlySet<TypeClass> = new Set(['date', 'value']);

export function resolutionKey(name: NameToResolve): { typeClass: TypeClass; key: string } {
  return { typeClass: typeClassOf(name.type), key: normalizeName(name.surface, name.type) };
}

export function createEntityResolver(options: ResolverOptions) {
  const { store } = options;
  const maxCandidates = options.maxFuzzyCandidates ?? 200;

  async function byKey(tenantId: string, typeClass: TypeClass, key: string, surface: string): Promise<Resolution | undefined> {
    const found = await store.findEntitiesByKeys(tenantId, typeClass, [key]);
    const best = found.sort((a, b) => b.entity.mentionCount - a.entity.mentionCount)[0];
    if (best === undefined) return undefined;
    return { entity: best.entity, key, method: best.entity.name === surface ? 'exact' : 'normalized', score: 1 };
  }

  async function byFuzzy(tenantId: string, typeClass: TypeClass, key: string): Promise<Resolution | undefined> {
    const candidates = await store.findEntityCandidates(tenantId, typeClass, blockingPrefix(key), maxCandidates);
    let best: Resolution | undefined;
    for (const candidate of candidates) {
      for (const aliasKey of candidate.aliasKeys) {
        const score = nameSimilarity(key, aliasKey);
        if (score >= options.fuzzyThreshold && (best === undefined || score > best.score)) {
          best = { entity: candidate.entity, key, method: 'fuzzy', score };
        }
      }
    }
    return best;
  }

  async function byEmbedding(tenantId: string, typeClass: TypeClass, key: string, vector: Float32Array): Promise<Resolution | undefined> {
    const embedder = options.embedder;
    if (embedder === undefined) return undefined;
    const [nearest] = await store.nearestEntities(tenantId, { typeClass, embedderId: embedder.id, vector, limit: 1 });
    if (nearest === undefined || nearest.similarity < options.embeddingThreshold) return undefined;
    return { entity: nearest.entity, key, method: 'embedding', score: nearest.similarity };
  }

  /**
   * Resolves names in order, so a name created early in the batch is found by later ones. Names
   * unresolved by key and fuzzy match are embedded in one batch.
   */
  async function resolveAll(tenantId: string, names: NameToResolve[], signal?: AbortSignal): Promise<Map<string, Resolution>> {
    const resolved = new Map<string, Resolution>();
    const pending: { name: NameToResolve; typeClass: TypeClass; key: string; id: string }[] = [];
    for (const name of names) {
      const { typeClass, key } = resolutionKey(name);
      const id = `${typeClass}:${key}`;
      if (key === '' || resolved.has(id) || pending.some((p) => p.id === id)) continue;
      const match = (await byKey(tenantId, typeClass, key, name.surface)) ?? (EXACT_ONLY.has(typeClass) ? undefined : await byFuzzy(tenantId, typeClass, key));
      if (match !== undefined) resolved.set(id, match);
      else pending.push({ name, typeClass, key, id });
    }
    const embedder = options.embedder;
    const embeddable = pending.filter((p) => !EXACT_ONLY.has(p.typeClass));
    const vectors = new Map<string, Float32Array>();
    if (embedder !== undefined && embeddable.length > 0) {
      const embedded = await embedder.embed(
        embeddable.map((p) => p.name.surface),
        signal === undefined ? {} : { signal },
      );
      embeddable.forEach((p, i) => vectors.set(p.id, embedded[i]!));
    }
    for (const item of pending) {
      const vector = vectors.get(item.id);
      // Earlier names of this batch may have created what this one matches.
      const match =
        (await byKey(tenantId, item.typeClass, item.key, item.name.surface)) ??
        (EXACT_ONLY.has(item.typeClass) ? undefined : await byFuzzy(tenantId, item.typeClass, item.key)) ??
        (vector === undefined ? undefined : await byEmbedding(tenantId, item.typeClass, item.key, vector));
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
      if (vector !== undefined && embedder !== undefined) await store.setEntityEmbedding(tenantId, entity.id, embedder.id, vector);
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

  return { resolveAll };
}

export type EntityResolver = ReturnType<typeof createEntityResolver>;
