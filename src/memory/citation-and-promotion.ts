// Salience in use: citations raise the (decayed) salience of the memories an agent used, and the
// promotion pass copies items still above the threshold into semantic memory. Faded candidates get
// their decayed value stored so they leave the candidate list.
import type { Clock } from '../domain/clock.js';
import { AppError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { MemoryStore, NewMemory } from '../ports/memory-store.js';
import type { MemoryMetrics } from './memory-metrics.js';
import type { MemoryService, MemorySettings } from './memory-service.js';
import { citedSalience, decayedSalience } from './salience.js';

export const MAX_CITED_IDS = 1_000;

export interface CitationAndPromotionOptions {
  store: MemoryStore;
  settings: MemorySettings;
  clock: Clock;
  metrics: MemoryMetrics;
}

export type CitationAndPromotion = Pick<MemoryService, 'cite' | 'salienceOf' | 'promoteDue'>;

export function createCitationAndPromotion(
  options: CitationAndPromotionOptions,
): CitationAndPromotion {
  const { store, settings, clock, metrics } = options;
  const halfLifeMs = settings.salienceHalfLifeHours * 3_600_000;

  return {
    async cite(tenantId, ids) {
      const unique = [...new Set(ids)];
      if (unique.length > MAX_CITED_IDS) {
        throw new AppError('INPUT_TOO_LARGE', `At most ${MAX_CITED_IDS} ids per call.`);
      }
      const now = clock.now();
      const found = await store.getByIds(tenantId, unique);
      const updates = found.map((memory) => ({
        id: memory.id,
        // Citing the same id twice in one call counts once: one use of a memory, one raise.
        salience: citedSalience(
          decayedSalience(memory.salience, memory.salienceUpdatedAt, now, halfLifeMs),
          1,
        ),
      }));
      const updatedIds = new Set(await store.setSalience(tenantId, updates, now));
      metrics.citations(updatedIds.size);
      return {
        updated: updates.filter((update) => updatedIds.has(update.id)),
        unknownIds: unique.filter((id) => !updatedIds.has(id)),
      };
    },

    salienceOf(memory) {
      return decayedSalience(memory.salience, memory.salienceUpdatedAt, clock.now(), halfLifeMs);
    },

    async promoteDue(limit = 500) {
      const now = clock.now();
      const threshold = settings.promotionSalienceThreshold;
      // Stored salience only falls with time, so stored ≥ threshold is a cheap pre-filter.
      const candidates = await store.promotionCandidates(threshold, limit);
      let promoted = 0;
      const faded = new Map<string, Array<{ id: string; salience: number }>>();
      for (const memory of candidates) {
        const current = decayedSalience(memory.salience, memory.salienceUpdatedAt, now, halfLifeMs);
        if (current < threshold) {
          // Store the decayed value so faded items leave the candidate list for good.
          const list = faded.get(memory.tenantId) ?? [];
          list.push({ id: memory.id, salience: current });
          faded.set(memory.tenantId, list);
          continue;
        }
        const copy: NewMemory = {
          id: newId('mem', now),
          kind: 'promoted',
          tier: 'semantic',
          userId: memory.userId,
          sessionId: memory.sessionId,
          agentId: memory.agentId,
          speaker: memory.speaker,
          text: memory.text,
          seq: memory.seq,
          occurredAt: memory.occurredAt,
          salience: current,
          source: {
            memoryId: memory.id,
            turnIds: memory.kind === 'turn' ? [memory.id] : (memory.source.turnIds ?? []),
          },
          metadata: { ...memory.metadata, promotedFrom: memory.kind, promotedAt: now },
        };
        if (await store.recordPromotion(memory.tenantId, memory.id, copy, now)) promoted += 1;
      }
      for (const [tenantId, updates] of faded) await store.setSalience(tenantId, updates, now);
      metrics.promotions(promoted);
      return promoted;
    },
  };
}
