// Forgetting: a memory with everything derived from it, or everything a user has. The store
// deletes rows, vectors and index rows in one transaction (ports/memory-store.ts); nothing read
// afterwards (search, recall, context, working memory, citations) can return any part of it.
import { AppError } from '../domain/errors.js';
import type { MemoryStore } from '../ports/memory-store.js';
import type { MemoryMetrics } from './memory-metrics.js';

export interface Forgetting {
  /** Deletes the memory and the episodes and promoted copies derived from it; returns their ids. */
  forget(tenantId: string, memoryId: string): Promise<{ forgotten: string[] }>;
  /** Deletes every memory and session of the user; returns how many (none: USER_NOT_FOUND). */
  forgetUser(tenantId: string, userId: string): Promise<{ memories: number; sessions: number }>;
}

export function createForgetting(store: MemoryStore, metrics: MemoryMetrics): Forgetting {
  return {
    async forget(tenantId, memoryId) {
      const forgotten = await store.forgetMemory(tenantId, memoryId);
      if (forgotten.length === 0)
        throw new AppError('MEMORY_NOT_FOUND', `Memory ${memoryId} does not exist.`);
      metrics.forgotten(forgotten.length);
      return { forgotten };
    },
    async forgetUser(tenantId, userId) {
      const result = await store.forgetUser(tenantId, userId);
      if (result.memories === 0 && result.sessions === 0)
        throw new AppError('USER_NOT_FOUND', `User ${userId} has no memories or sessions.`);
      metrics.forgotten(result.memories);
      return result;
    },
  };
}
