// Reads ENGRAM_* variables (and an optional engram.config.json), validates once, and reports
// every bad setting in one message: its name, the value given, and the rule it broke.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError } from '../domain/errors.js';
import { CONFIG_KEYS, configSchema, envNameOf, type Config } from './schema.js';

const SECRET_KEY = /apikey|password|secret|token$/i;

export interface ConfigSources {
  env: Record<string, string | undefined>;
  /** Path of a JSON file with camelCase keys; environment variables win over it. */
  filePath?: string | undefined;
}

export interface ConfigProblem {
  setting: string;
  value: unknown;
  rule: string;
}

export function loadConfig(sources: ConfigSources): Config {
  const fromFile = readConfigFile(sources.filePath);
  const raw: Record<string, unknown> = { ...fromFile };
  for (const key of CONFIG_KEYS) {
    const value = sources.env[envNameOf(key)];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const problems: ConfigProblem[] = [];
  for (const name of Object.keys(sources.env)) {
    if (name.startsWith('ENGRAM_') && !CONFIG_KEYS.some((key) => envNameOf(key) === name)) {
      problems.push({ setting: name, value: sources.env[name], rule: 'is not a known setting' });
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      problems.push({
        setting: key === '' ? '(config)' : envNameOf(key),
        // A rejected secret is still a secret: the message names the setting, never its value.
        value: key === '' ? undefined : SECRET_KEY.test(key) ? '***' : raw[key],
        rule:
          issue.code === 'unrecognized_keys'
            ? `unknown keys ${issue.keys.join(', ')} in the config file`
            : issue.message,
      });
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw new AppError('CONFIG_INVALID', formatProblems(problems), { details: { problems } });
  }
  return parsed.data;
}

function readConfigFile(filePath: string | undefined): Record<string, unknown> {
  const path = resolve(filePath ?? 'engram.config.json');
  if (!existsSync(path)) {
    if (filePath !== undefined)
      throw new AppError('CONFIG_INVALID', `Config file ${path} does not exist.`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new AppError('CONFIG_INVALID', `Config file ${path} is not valid JSON.`, { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AppError('CONFIG_INVALID', `Config file ${path} must hold one JSON object.`);
  }
  return parsed as Record<string, unknown>;
}

function formatProblems(problems: ConfigProblem[]): string {
  const lines = problems.map(
    (problem) =>
      `  ${problem.setting}${problem.value === undefined ? '' : `=${JSON.stringify(problem.value)}`}: ${problem.rule}`,
  );
  return `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
}

/** The effective config with secrets masked, for `engram config check`. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = config[key];
    if (value === undefined) continue;
    if (SECRET_KEY.test(key)) out[envNameOf(key)] = '***';
    else if (typeof value === 'string' && /^\w+:\/\//.test(value))
      out[envNameOf(key)] = maskUrlPassword(value);
    else out[envNameOf(key)] = value;
  }
  return out;
}

function maskUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
