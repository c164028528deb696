import { isTesseraError } from '@tessera/errors';
import { Command, CommanderError } from 'commander';
import { registerGuardCommand } from './commands/guard.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerRealmCommands } from './commands/realm.js';
import { registerStartCommand } from './commands/start.js';
import { registerTokenCommands } from './commands/tokens.js';
import { describeCliError } from './describe-error.js';

// Entry point of `npx tessera` / `npm run cli --`.
const out = (line: string) => process.stdout.write(`${line}\n`);
const program = new Command('tessera')
  .description('tessera: issue, refresh, revoke and validate JWTs for a fleet of services')
  .showHelpAfterError()
  .exitOverride();

registerStartCommand(program, out);
registerKeyCommands(program, out);
registerRealmCommands(program, out);
registerTokenCommands(program, out);
registerGuardCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`tessera: ${describeCliError(error)}\n`);
    process.exitCode = isTesseraError(error) ? 2 : 1;
  }
}
