import { Command, CommanderError } from 'commander';
import cliPackage from '../package.json' with { type: 'json' };
import { registerGuardCommand } from './commands/guard.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerRealmCommands } from './commands/realm.js';
import { registerStartCommand } from './commands/start.js';
import { registerTokenCommands } from './commands/tokens.js';
import { describeCliError } from './describe-error.js';
import { EXIT_CODES_HELP, exitCodeFor } from './exit-codes.js';

// Entry point of `npx tessera` / `npm run cli --`.
const out = (line: string) => process.stdout.write(`${line}\n`);
const program = new Command('tessera')
  .description('tessera: issue, refresh, revoke and validate JWTs for a fleet of services')
  .version(cliPackage.version, '-V, --version', 'print the version and exit')
  .showHelpAfterError()
  .addHelpText('after', EXIT_CODES_HELP)
  .exitOverride();

registerStartCommand(program, out);
registerKeyCommands(program, out);
registerRealmCommands(program, out);
registerTokenCommands(program, out);
registerGuardCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has already written its own message (usage errors) or the help and version.
  if (!(error instanceof CommanderError))
    process.stderr.write(`tessera: ${describeCliError(error)}\n`);
  process.exitCode = exitCodeFor(error);
}
