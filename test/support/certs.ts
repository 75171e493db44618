/**
 * Test certificates made with openssl in a temp folder: a self-signed CA, a server certificate
 * for localhost and 127.0.0.1 signed by it, one for another name only (hostname mismatch), a
 * second server certificate (a SIGHUP reload), and a client certificate (mutual TLS).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './server.ts';

export interface TestCerts {
  dir: string;
  ca: string;
  /** For DNS:localhost and IP:127.0.0.1. */
  serverCert: string;
  serverKey: string;
  /** Also for localhost and 127.0.0.1, another serial: what a reload swaps in. */
  renewedCert: string;
  renewedKey: string;
  /** For DNS:elsewhere.example only. */
  otherCert: string;
  otherKey: string;
  clientCert: string;
  clientKey: string;
  remove(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Signs a new EC key's certificate for `subjectAltName` with the CA in `dir`. */
function issue(dir: string, name: string, cn: string, san: string, client = false): void {
  openssl(dir, 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`);
  openssl(dir, 'req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
  const ext = `${name}.ext`;
  writeFileSync(
    join(dir, ext),
    `subjectAltName=${san}\nextendedKeyUsage=${client ? 'clientAuth' : 'serverAuth'}\n`,
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    `${name}.pem`,
  );
}

/** Makes every certificate in a fresh temp folder (remove() deletes it). */
export function makeCerts(): TestCerts {
  const { dir, remove } = tempDir('taskwire-certs-');
  openssl(dir, 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  openssl(
    dir,
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=taskwire test CA',
    '-days',
    '2',
    '-out',
    'ca.pem',
  );
  issue(dir, 'server', 'localhost', 'DNS:localhost,IP:127.0.0.1');
  issue(dir, 'renewed', 'localhost', 'DNS:localhost,IP:127.0.0.1');
  issue(dir, 'other', 'elsewhere.example', 'DNS:elsewhere.example');
  issue(dir, 'client', 'test client', 'DNS:client.example', true);
  const f = (name: string) => join(dir, name);
  return {
    dir,
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    renewedCert: f('renewed.pem'),
    renewedKey: f('renewed.key'),
    otherCert: f('other.pem'),
    otherKey: f('other.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    remove,
  };
}
