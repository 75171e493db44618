/**
 * The `auth+tls` variant of steady and latency: the server with `--auth-file` and
 * `--tls-cert/--tls-key` (a CA and a certificate for 127.0.0.1 made with openssl in the
 * run's temp folder, and an auth file of a client (and admin) token and a worker token), its clients and
 * workers verifying the certificate and authenticating. What the variant costs per task is
 * the difference with the plain rows: TLS on every byte, `auth` once per connection and the
 * role check per request.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientOptions } from '../../src/client/index.ts';
import type { RunScope } from '../lib/scope.ts';

export type Variant = 'plain' | 'auth+tls';

/** What servers, clients and workers of a secure run are given. */
export interface Secure {
  serverArgs: string[];
  client: Pick<ClientOptions, 'tls' | 'token'>;
  workerArgs: string[];
}

/** Clients and workers of the servers started with a Secure, by port (see `secureFor`). */
const byPort = new Map<number, Secure>();

/** Remembers that the server on `port` wants `secure`'s client options (until the run ends). */
export function registerSecure(scope: RunScope, port: number, secure: Secure): void {
  byPort.set(port, secure);
  scope.defer(() => byPort.delete(port));
}

/** The client options for the server on `port`: TLS and a token when it was started secure. */
export function clientOptionsFor(port: number): Pick<ClientOptions, 'tls' | 'token'> {
  return byPort.get(port)?.client ?? {};
}

/** The `taskwire worker` flags for the server on `port`. */
export function workerArgsFor(port: number): string[] {
  return byPort.get(port)?.workerArgs ?? [];
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes the CA, the server's certificate and the auth file in a temp folder of `scope`. */
export async function makeSecure(scope: RunScope): Promise<Secure> {
  const dir = await scope.tempDir('taskwire-bench-tls-');
  const ec = ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out'];
  openssl(dir, ...ec, 'ca.key');
  openssl(
    dir,
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=bench CA',
    '-days',
    '2',
    '-out',
    'ca.pem',
  );
  openssl(dir, ...ec, 'server.key');
  openssl(dir, 'req', '-new', '-key', 'server.key', '-subj', '/CN=127.0.0.1', '-out', 'server.csr');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server.pem',
  );
  const clientToken = randomBytes(24).toString('base64url');
  const workerToken = randomBytes(24).toString('base64url');
  const authFile = join(dir, 'auth');
  // The bench's clients also poll `workers` for the completion count: admin-only.
  writeFileSync(authFile, `${clientToken} client,admin\n${workerToken} worker\n`, {
    mode: 0o600,
  });
  const ca = join(dir, 'ca.pem');
  return {
    serverArgs: [
      '--auth-file',
      authFile,
      '--tls-cert',
      join(dir, 'server.pem'),
      '--tls-key',
      join(dir, 'server.key'),
    ],
    client: { tls: { ca: readFileSync(ca) }, token: clientToken },
    workerArgs: ['--tls', '--ca', ca, '--token', workerToken],
  };
}
