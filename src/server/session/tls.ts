/**
 * The task port's TLS: the certificate and key (and, for mutual TLS, the CA that client
 * certificates must chain to) read from their files, at the start and again on `reload`
 * (SIGHUP), and the options of the `tls.Server` that serves them. node:tls does the work.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls';

/** Where the PEM files are; `ca` also makes the server require client certificates. */
export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string;
}

function read(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`cannot read ${flag} ${path} (${code})`);
  }
}

/**
 * Reads the files and checks that they make a context (PEM that parses, a key that matches the
 * certificate); throws an Error whose message names the file or the problem.
 */
export function readTlsFiles(files: TlsFiles): SecureContextOptions {
  const options: SecureContextOptions = {
    cert: read('--tls-cert', files.cert),
    key: read('--tls-key', files.key),
    ...(files.ca !== undefined && { ca: read('--tls-ca', files.ca) }),
  };
  try {
    createSecureContext(options);
  } catch (error) {
    throw new Error(
      `unusable TLS certificate or key (${files.cert}, ${files.key}${files.ca ? `, ${files.ca}` : ''}): ${(error as Error).message}`,
    );
  }
  return options;
}

/** The options of the task port's `tls.Server`. */
export function tlsServerOptions(files: TlsFiles, handshakeTimeoutMs: number): TlsOptions {
  const mutual = files.ca !== undefined;
  return {
    ...readTlsFiles(files),
    minVersion: 'TLSv1.2',
    // Node's default is 120 s: a peer that opens the port and says nothing holds a socket
    // that long. The `tlsClientError` it ends with is logged (listener.ts).
    handshakeTimeout: handshakeTimeoutMs,
    requestCert: mutual,
    rejectUnauthorized: mutual,
  };
}

/** One short phrase for a failed handshake, for the log line (`err.code` when it has one). */
export function handshakeProblem(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'handshake timed out';
  if (code === 'ERR_SSL_HTTP_REQUEST' || code === 'ERR_SSL_WRONG_VERSION_NUMBER')
    return 'not TLS (plain text on the TLS port)';
  if (code === 'ECONNRESET') return 'closed during the handshake';
  return code ?? error.message;
}
