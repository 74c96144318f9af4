// Lab: on a kept BEAM store (BEAM_STORE, as left by beam-thread-diff.ts), recall every question
// with the clock moved from now by a minute up to a week, and count the answers that differ
// from now's (salience decay and time words read the clock).
//   BEAM_STORE=<dir> tsx bench/lab/beam-clock-diff.ts <conversation dirs…>
import { loadConfig } from '../../src/config/load-config.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createRuntime } from '../../src/runtime.js';
import { loadBeamConversation } from '../../src/eval/beam-data.js';
const dir = process.env.BEAM_STORE ?? '/work/lab/beamstore';
const convs = await Promise.all(process.argv.slice(2).map((d) => loadBeamConversation(d)));
const base = Date.now();
const orders: Record<string, string[]> = {};
for (const shift of [0, 60_000, 3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000]) {
  const clock = { now: () => base + shift };
  const rt = await createRuntime(loadConfig({ env: { ENGRAM_DATA_DIR: dir } }), {
    logger: createSilentLogger(),
    clock,
  });
  const out: string[] = [];
  for (const conv of convs)
    for (const q of conv.questions) {
      const r = await rt.recall.recall({
        tenantId: 'default',
        userId: conv.name,
        query: q.question,
        k: 25,
      });
      out.push(r.items.map((i) => i.id).join(','));
    }
  await rt.close();
  orders[shift] = out;
  const ref = orders[0]!;
  console.log(
    'shift',
    shift,
    'items',
    out.reduce((a, o) => a + o.split(',').length, 0),
    'questions differing from now:',
    out.filter((o, i) => o !== ref[i]).length,
    'of',
    out.length,
  );
}
