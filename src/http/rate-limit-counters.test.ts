// The in-process windows the rate limiter counts in without Redis (or while it is down): a window
// per key from its first request, a fresh one after it ends, and a bounded number of keys however
// many addresses call (ended windows go first, then the one that started longest ago).
import { describe, expect, it } from 'vitest';
import { LocalWindows } from './rate-limit-counters.js';

describe('LocalWindows', () => {
  it('counts a key within its window and starts again after it', () => {
    let now = 1_000;
    const windows = new LocalWindows(() => now);
    expect(windows.incr('a', 60_000)).toEqual({ current: 1, ttl: 60_000 });
    now += 59_999;
    expect(windows.incr('a', 60_000)).toEqual({ current: 2, ttl: 1 });
    expect(windows.incr('b', 60_000)).toEqual({ current: 1, ttl: 60_000 });
    now += 1;
    expect(windows.incr('a', 60_000)).toEqual({ current: 1, ttl: 60_000 });
  });

  it('keeps at most 10,000 keys, dropping ended windows before open ones', () => {
    let now = 0;
    const windows = new LocalWindows(() => now);
    for (let i = 0; i < 10_000; i += 1) windows.incr(`old-${i}`, 1_000);
    now = 500;
    windows.incr('old-0', 1_000); // still open: counted twice
    now = 2_000; // every window above has ended
    for (let i = 0; i < 10_000; i += 1) windows.incr(`new-${i}`, 60_000);
    expect(windows.size).toBe(10_000);
    // Past the bound with every window open: the oldest key goes, the newest stays.
    windows.incr('newest', 60_000);
    expect(windows.size).toBe(10_000);
    expect(windows.incr('newest', 60_000).current).toBe(2);
    expect(windows.incr('new-0', 60_000).current).toBe(1);
  });

  it('evicts the window that started longest ago, not the key seen first', () => {
    let now = 0;
    const windows = new LocalWindows(() => now);
    windows.incr('busy', 1_000);
    now = 500;
    for (let i = 0; i < 9_999; i += 1) windows.incr(`other-${i}`, 1_000);
    now = 1_000; // busy's window ends and starts again; the others' are open until 1,500
    expect(windows.incr('busy', 1_000).current).toBe(1);
    now = 1_100;
    windows.incr('newcomer', 1_000); // full: the oldest open window goes (other-0's)
    expect(windows.size).toBe(10_000);
    expect(windows.incr('busy', 1_000).current).toBe(2);
    expect(windows.incr('other-1', 1_000).current).toBe(2);
    expect(windows.incr('other-0', 1_000).current).toBe(1);
  });
});
