// `engram config check`: validates the configuration and prints the effective values, secrets masked.
import type { Command } from 'commander';
import { describeConfig } from '../../config/load-config.js';
import { loadCommandConfig, type Env } from '../load.js';

export function registerConfigCommand(program: Command, env: Env): void {
  const config = program.command('config').description('Inspect the configuration');
  config
    .command('check')
    .description('Validate the configuration and print the effective settings (secrets masked)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }, command: Command) => {
      const effective = describeConfig(loadCommandConfig(command, env));
      if (options.json === true) {
        console.log(JSON.stringify(effective, null, 2));
        return;
      }
      const width = Math.max(...Object.keys(effective).map((name) => name.length));
      for (const [name, value] of Object.entries(effective)) {
        console.log(
          `${name.padEnd(width)}  ${typeof value === 'string' ? value : JSON.stringify(value)}`,
        );
      }
      console.log('\nConfiguration is valid.');
    });
}
