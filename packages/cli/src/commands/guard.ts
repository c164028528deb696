import { spawn } from 'node:child_process';
import { onStopRequest } from '@tessera/grpc-runtime';
import type { Command } from 'commander';

/**
 * `tessera guard -- <command> [args…]` (hidden): runs a program that knows nothing of
 * `tessera start` (redis-server) so that it stops with the stack. The guard is started with
 * an IPC channel, as the services are; when the supervisor ends (even by SIGKILL) the channel
 * closes and the guard stops its program with SIGTERM. Stop signals are passed on the same way.
 */
export function registerGuardCommand(program: Command): void {
  program
    .command('guard', { hidden: true })
    .description('run a program that stops when the process that started the guard ends')
    .argument('<command>', 'the program')
    .argument('[args...]', 'its arguments')
    .allowUnknownOption()
    .action((command: string, args: string[]) => {
      const child = spawn(command, args, { stdio: 'inherit' });
      let stopped = false;
      onStopRequest(() => {
        if (stopped) return;
        stopped = true;
        child.kill('SIGTERM');
      });
      child.once('error', (error) => {
        process.stderr.write(`tessera guard: ${command}: ${error.message}\n`);
        process.exit(127);
      });
      child.once('exit', (code, signal) => {
        process.exit(code ?? (signal === 'SIGTERM' ? 0 : 1));
      });
    });
}
