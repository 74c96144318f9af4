// ENGRAM_TOKENIZERS ("name=path,…") parsing, kept apart from the registry so that validating
// the config does not load any vocabulary.
import { AppError } from '../../domain/errors.js';

/** Parses "name=path,name2=path2"; every problem names the entry that has it. */
export function parseTokenizerPaths(setting: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (setting === undefined || setting.trim() === '') return out;
  for (const entry of setting.split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const at = trimmed.indexOf('=');
    const name = at < 0 ? '' : trimmed.slice(0, at).trim();
    const path = at < 0 ? '' : trimmed.slice(at + 1).trim();
    if (name === '' || path === '' || !/^[\w.-]{1,64}$/.test(name)) {
      throw new AppError(
        'CONFIG_INVALID',
        `ENGRAM_TOKENIZERS entry "${trimmed}" must look like name=/path/to/tokenizer.json.`,
      );
    }
    if (name === 'o200k_base' || name === 'cl100k_base' || out.has(name)) {
      throw new AppError(
        'CONFIG_INVALID',
        `ENGRAM_TOKENIZERS names "${name}" twice or reuses a built-in name.`,
      );
    }
    out.set(name, path);
  }
  return out;
}
