/**
 * The `server` command's TLS and limit flags (docs/security.md: "TLS", "Limits"), and the
 * ServerOptions they make. Their defaults are the server's (session/limits.ts).
 */
import type { Command } from 'commander';
import type { ServerOptions } from '../server/options.ts';
import { LIMIT_DEFAULTS as D } from '../server/session/limits.ts';
import { number } from './number-option.ts';

export interface LimitFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsHandshakeTimeout: number;
  maxConnections: number;
  lineTimeout: number;
  maxPendingBytes: number;
  writeDeadline: number;
  maxDepth: number;
  maxKeys: number;
}

/** Adds the TLS and limit flags to `cmd`. */
export function addLimitOptions(cmd: Command): Command {
  return cmd
    .option('--tls-cert <file>', 'serve TLS on the task port with this PEM certificate (chain)')
    .option('--tls-key <file>', "the certificate's PEM private key (with --tls-cert)")
    .option(
      '--tls-ca <file>',
      'require client certificates signed by this PEM CA (mutual TLS; with --tls-cert)',
    )
    .option(
      '--tls-handshake-timeout <seconds>',
      'close a connection whose TLS handshake takes longer',
      number(0.01),
      D.tlsHandshakeTimeoutMs / 1000,
    )
    .option(
      '--max-connections <n>',
      'connections served at once; the next one is told TOO_MANY_CONNECTIONS and closed',
      number(1, true),
      D.maxConnections,
    )
    .option(
      '--line-timeout <seconds>',
      'close a connection that leaves a line unfinished this long (slowloris)',
      number(0.01),
      D.lineTimeoutMs / 1000,
    )
    .option(
      '--max-pending-bytes <n>',
      'bytes of answers that may wait for a client that does not read them (then it is closed)',
      number(1024, true),
      D.maxPendingBytes,
    )
    .option(
      '--write-deadline <seconds>',
      'close a client that takes none of its waiting answers this long',
      number(0.01),
      D.writeDeadlineMs / 1000,
    )
    .option(
      '--max-depth <n>',
      'deepest nesting of a request line (PAYLOAD_TOO_COMPLEX past it)',
      number(2, true),
      D.maxDepth,
    )
    .option(
      '--max-keys <n>',
      'distinct object key names in one request line (PAYLOAD_TOO_COMPLEX past it)',
      number(1, true),
      D.maxKeys,
    );
}

/**
 * The ServerOptions of the flags; a TLS certificate without its key (or the reverse, or a CA
 * without either) is a usage problem: the message says what is missing.
 */
export function limitOptions(flags: LimitFlags): Partial<ServerOptions> {
  const { tlsCert: cert, tlsKey: key, tlsCa: ca } = flags;
  if ((cert === undefined) !== (key === undefined)) {
    throw new Error(
      cert === undefined ? '--tls-key needs --tls-cert' : '--tls-cert needs --tls-key',
    );
  }
  if (ca !== undefined && cert === undefined) {
    throw new Error('--tls-ca (client certificates) needs --tls-cert and --tls-key');
  }
  return {
    ...(cert !== undefined &&
      key !== undefined && { tls: { cert, key, ...(ca !== undefined && { ca }) } }),
    tlsHandshakeTimeoutMs: flags.tlsHandshakeTimeout * 1000,
    maxConnections: flags.maxConnections,
    lineTimeoutMs: flags.lineTimeout * 1000,
    maxPendingBytes: flags.maxPendingBytes,
    writeDeadlineMs: flags.writeDeadline * 1000,
    maxDepth: flags.maxDepth,
    maxKeys: flags.maxKeys,
  };
}
