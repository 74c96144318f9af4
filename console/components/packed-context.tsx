// A packed context as the model will see it: the text cut at token boundaries (from the answer's
// tokenOffsets), each token tinted with the colour of the recalled item it belongs to (every
// other token a shade darker, so boundaries show), the token count against the budget, and the
// token IDs in the same colours.
import type { PackedContext } from '../api-types';

const PALETTE_SIZE = 6;

/** The item index (position in `items`) of each token; -1 for separator tokens. */
function itemOfTokens(context: PackedContext): number[] {
  const owner = new Array<number>(context.tokenIds.length).fill(-1);
  context.items.forEach((item, index) => {
    for (let token = item.tokenStart; token < item.tokenEnd; token += 1) owner[token] = index;
  });
  return owner;
}

function tokenClass(owner: number, token: number): string {
  const shade = token % 2 === 0 ? 'even' : 'odd';
  return owner < 0 ? `token separator ${shade}` : `token item-${owner % PALETTE_SIZE} ${shade}`;
}

export function PackedContextView({
  context,
  maxTokens,
}: {
  context: PackedContext;
  maxTokens: number;
}) {
  const owner = itemOfTokens(context);
  const offsets = context.tokenOffsets ?? [];
  return (
    <div class="packed">
      <p>
        <meter
          id="token-budget"
          min={0}
          max={maxTokens}
          value={context.tokenCount}
          aria-label="Tokens used of the budget"
        />{' '}
        <span class="budget">
          {context.tokenCount} / {maxTokens} tokens
        </span>{' '}
        · {context.items.length} items · {context.tokenizer.id}
        {context.truncated ? ' · some recalled items did not fit' : ''}
      </p>
      <ol class="legend" aria-label="Packed items">
        {context.items.map((item, index) => (
          <li key={item.id} class={`item-${index % PALETTE_SIZE}`}>
            {item.id} · tokens {item.tokenStart}–{item.tokenEnd - 1}
          </li>
        ))}
      </ol>
      <pre class="packed-text" aria-label="Packed text, cut at token boundaries">
        {offsets.map((start, token) => (
          <span key={token} class={tokenClass(owner[token]!, token)} title={`token ${token}`}>
            {context.text.slice(start, offsets[token + 1] ?? context.text.length)}
          </span>
        ))}
      </pre>
      <h3>Token IDs</h3>
      <ol class="token-ids" aria-label="Token IDs">
        {context.tokenIds.map((id, token) => (
          <li key={token} class={tokenClass(owner[token]!, token)}>
            {id}
          </li>
        ))}
      </ol>
    </div>
  );
}
