// Lab: on a kept BEAM store (BEAM_STORE), how many questions' recalls hold equal fused scores
// among their top 25, and how many such ties there are.
//   BEAM_STORE=<dir> tsx bench/lab/beam-ties.ts <conversation dirs…>
import { loadConfig } from '../../src/config/load-config.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createRuntime } from '../../src/runtime.js';
import { loadBeamConversation } from '../../src/eval/beam-data.js';

const dir = process.env.BEAM_STORE ?? '/work/lab/beamstore';
const conversations = await Promise.all(process.argv.slice(2).map((d) => loadBeamConversation(d)));
const runtime = await createRuntime(loadConfig({ env: { ENGRAM_DATA_DIR: dir } }), {
  logger: createSilentLogger(),
});
let questions = 0;
let withTie = 0;
let ties = 0;
for (const conv of conversations)
  for (const q of conv.questions) {
    const { items } = await runtime.recall.recall({
      tenantId: 'default',
      userId: conv.name,
      query: q.question,
      k: 25,
    });
    let here = 0;
    for (let i = 1; i < items.length; i++)
      if (items[i - 1]!.score.fused === items[i]!.score.fused) here++;
    questions++;
    ties += here;
    if (here > 0) withTie++;
  }
console.log('questions', questions, 'with a tie in the top 25', withTie, 'ties', ties);
await runtime.close();
