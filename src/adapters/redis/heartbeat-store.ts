// HeartbeatStore on Redis: a set of loop names (hb:names) and per loop a sorted set of node ids
// scored by their last beat (hb:loop:<name>). Reading takes the newest member of each loop and
// drops members of nodes that stopped beating long ago (crashed nodes leave them behind).
import type { Redis } from 'ioredis';
import type { HeartbeatStore } from '../../ports/heartbeat-store.js';

const NAMES = 'hb:names';
const loopKey = (name: string) => `hb:loop:${name}`;

export function createRedisHeartbeatStore(redis: Redis): HeartbeatStore {
  return {
    async publish(nodeId, beats) {
      if (beats.length === 0) return;
      const pipeline = redis.pipeline();
      pipeline.sadd(NAMES, ...beats.map((beat) => beat.name));
      for (const beat of beats) pipeline.zadd(loopKey(beat.name), beat.lastBeatMs, nodeId);
      await pipeline.exec();
    },

    async withdraw(nodeId, names) {
      if (names.length === 0) return;
      const pipeline = redis.pipeline();
      for (const name of names) pipeline.zrem(loopKey(name), nodeId);
      await pipeline.exec();
    },

    async latest(forgetBeforeMs) {
      const names = await redis.smembers(NAMES);
      if (names.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const name of names) {
        pipeline.zremrangebyscore(loopKey(name), '-inf', `(${forgetBeforeMs}`);
        pipeline.zrevrange(loopKey(name), 0, 0, 'WITHSCORES');
      }
      const results = (await pipeline.exec()) ?? [];
      const beats = [];
      for (const [index, name] of names.entries()) {
        const [error, newest] = results[index * 2 + 1] ?? [];
        if (error) throw error;
        const score = (newest as string[] | undefined)?.[1];
        if (score !== undefined) beats.push({ name, lastBeatMs: Number(score) });
      }
      return beats;
    },
  };
}
