import { Command } from 'commander';

/** `taskwire server`: starts the task server (stub, filled in by the server work). */
export function serverCommand(): Command {
  return new Command('server').description('start the task server');
}
