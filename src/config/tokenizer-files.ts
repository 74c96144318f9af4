// ENGRAM_TOKENIZERS files are checked when the configuration is loaded (exit code 2 naming the
// file), not when the first request asks for that tokenizer. The vocabulary is still read only
// on first use; this checks that each file is there, is a file and can be read.
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';

/** Throws an Error naming the first tokenizer whose file is missing or unreadable. */
export function checkTokenizerFiles(paths: Map<string, string>): void {
  for (const [name, path] of paths) {
    const full = resolve(path);
    let isFile: boolean;
    try {
      isFile = statSync(full).isFile();
      accessSync(full, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'ENOENT'
          ? `tokenizer "${name}": file ${full} does not exist`
          : `tokenizer "${name}": cannot read ${full} (${code ?? 'unknown error'})`,
      );
    }
    if (!isFile) throw new Error(`tokenizer "${name}": ${full} is not a file`);
  }
}
