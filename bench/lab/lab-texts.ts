// The evaluations' texts as the tagger labs read them (src/eval loaders): BEAM messages cut into
// paragraphs, LoCoMo turns.
import { loadBeamConversation } from '../../src/eval/beam-data.js';
import { loadLocomoFile } from '../../src/eval/locomo-data.js';

/** BEAM conversations `from`…`to` (500K), each message's paragraphs, blank ones left out. */
export async function beamTexts(from: number, to: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = from; i <= to; i++) {
    const { batches } = await loadBeamConversation(`../shared/data/beam/500K/${i}`);
    for (const batch of batches)
      for (const message of batch.messages) out.push(...message.content.split('\n\n'));
  }
  return out.filter((text) => text.trim() !== '');
}

/** The turns of the named LoCoMo conversations. */
export async function locomoTexts(names: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    const { sessions } = await loadLocomoFile(`../shared/data/locomo/${name}.json`);
    for (const session of sessions) for (const turn of session.turns) out.push(turn.content);
  }
  return out;
}
