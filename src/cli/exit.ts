// How the CLI ends on failure: one clear line (or the config problem list), and an exit code.
import { isAppError } from '../domain/errors.js';

/** Exit codes: 2 for a bad configuration or usage, 1 for any other failure. */
export function reportAndExit(error: unknown): never {
  if (isAppError(error)) {
    console.error(`engram: ${error.message}`);
    process.exit(error.code === 'CONFIG_INVALID' || error.code === 'VALIDATION_FAILED' ? 2 : 1);
  }
  console.error(`engram: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
