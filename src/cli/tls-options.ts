/**
 * The TLS flags every client command (and `taskwire worker`) takes: `--tls`, `--ca FILE`, and
 * `--tls-insecure-skip-verify`, named for what it is. TASKWIRE_TLS=1 and TASKWIRE_CA=FILE set
 * the first two from the environment (a CA implies TLS).
 */
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import type { ClientTlsOptions } from '../client/index.ts';

export interface TlsFlags {
  tls?: boolean;
  ca?: string;
  tlsInsecureSkipVerify?: boolean;
}

/** Adds `--tls`, `--ca` and `--tls-insecure-skip-verify` to `cmd`. */
export function addTlsOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--tls',
        'connect over TLS, verifying the server certificate and name (env TASKWIRE_TLS=1)',
      ),
    )
    .addOption(
      new Option(
        '--ca <file>',
        'trust this PEM CA besides the system ones; implies --tls (env TASKWIRE_CA)',
      ),
    )
    .addOption(
      new Option(
        '--tls-insecure-skip-verify',
        'DANGEROUS: accept any server certificate (anyone on the path can read and change the traffic); tests only',
      ),
    );
}

/**
 * The client's `tls` option from the flags, else TASKWIRE_TLS / TASKWIRE_CA: undefined for
 * plain TCP. Reading the CA file can fail: the Error names it.
 */
export function tlsOption(
  flags: TlsFlags,
  env: NodeJS.ProcessEnv = process.env,
): ClientTlsOptions | undefined {
  const ca = flags.ca ?? (env.TASKWIRE_CA || undefined);
  const on = flags.tls || !['', '0', 'false', 'no', undefined].includes(env.TASKWIRE_TLS);
  if (!on && ca === undefined && !flags.tlsInsecureSkipVerify) return undefined;
  const options: ClientTlsOptions = {};
  if (ca !== undefined) {
    try {
      options.ca = readFileSync(ca);
    } catch (error) {
      throw new Error(`cannot read --ca ${ca} (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  if (flags.tlsInsecureSkipVerify) options.rejectUnauthorized = false;
  return options;
}
