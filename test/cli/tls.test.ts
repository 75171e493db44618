/**
 * TLS through the real processes: `taskwire server --tls-cert/--tls-key`, the client commands'
 * `--tls`/`--ca` (a certificate error is one line and exit 3, not a reconnect loop), the
 * worker's, and SIGHUP reloading the certificate with a connection open across it.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { makeCerts, type TestCerts } from '../support/certs.ts';
import { type ServerProcess, spawnCli, spawnServer, taskwire } from '../support/process.ts';
import { tempDir } from '../support/server.ts';

let certs: TestCerts;
let tmp: { dir: string; remove(): void };
before(() => {
  certs = makeCerts();
  tmp = tempDir();
});
after(() => {
  certs.remove();
  tmp.remove();
});

/** Resolves with the server's next JSON log line that `match`es. */
function nextLog(server: ServerProcess, match: (line: Record<string, unknown>) => boolean) {
  return new Promise<Record<string, unknown>>((resolve) => {
    let buffer = '';
    const onData = (d: Buffer) => {
      buffer += d.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          if (match(line)) {
            server.child.stdout!.off('data', onData);
            resolve(line);
            return;
          }
        } catch {
          // not a log line
        }
      }
    };
    server.child.stdout!.on('data', onData);
  });
}

/** A TLS connection trusting the test CA; resolves once the handshake is done. */
async function tlsSocket(port: number): Promise<TLSSocket> {
  const socket = tlsConnect({ port, host: '127.0.0.1', ca: readFileSync(certs.ca) });
  await once(socket, 'secureConnect');
  return socket;
}

async function ping(socket: TLSSocket): Promise<unknown> {
  socket.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return JSON.parse(chunk.toString()).result;
}

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  assert.equal((await server.exited).code, 0);
}

describe('TLS from the command line', () => {
  it('serves --tls --ca commands, refuses a command that does not trust the CA in one line', async () => {
    const server = await spawnServer([
      '--db',
      join(tmp.dir, 'a.db'),
      '--delay-scale',
      '0.01',
      '--tls-cert',
      certs.serverCert,
      '--tls-key',
      certs.serverKey,
    ]);
    try {
      const done = await taskwire(
        server.port,
        'task',
        'flip',
        'hello',
        '--packet',
        '--tls',
        '--ca',
        certs.ca,
      );
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /olleh/);
      const refused = await taskwire(server.port, 'ping', '--tls');
      assert.equal(refused.code, 3);
      assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
      assert.match(
        refused.stderr,
        /^taskwire: TLS with 127\.0\.0\.1:\d+ failed: .*UNABLE_TO_VERIFY/,
      );
      const plain = await taskwire(server.port, 'ping');
      assert.equal(plain.code, 3, 'a plain client gets nothing from the TLS port');
      // The worker too: a certificate error ends it with one line, no reconnect loop.
      const worker = spawnCli(['worker', '-P', String(server.port), '--tls', '--types', 'flip']);
      let stderr = '';
      worker.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const [code] = await once(worker, 'exit');
      assert.equal(code, 3);
      assert.match(stderr, /TLS with .* failed/);
      const trusted = await taskwire(server.port, 'ping', '--tls-insecure-skip-verify');
      assert.equal(trusted.code, 0, 'verification off: the dangerous flag gets through');
    } finally {
      await stop(server);
    }
  });

  it('SIGHUP reloads the certificate; a connection open across it keeps working', async () => {
    const cert = join(tmp.dir, 'cert.pem');
    const key = join(tmp.dir, 'key.pem');
    copyFileSync(certs.serverCert, cert);
    copyFileSync(certs.serverKey, key);
    const server = await spawnServer([
      '--db',
      join(tmp.dir, 'b.db'),
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ]);
    try {
      const before = await tlsSocket(server.port);
      const first = before.getPeerCertificate().fingerprint256;
      copyFileSync(certs.renewedCert, cert);
      copyFileSync(certs.renewedKey, key);
      const reloaded = nextLog(server, (l) => l.msg === 'TLS certificate and key reloaded');
      server.child.kill('SIGHUP');
      await reloaded;
      const afterReload = await tlsSocket(server.port);
      const renewed = afterReload.getPeerCertificate().fingerprint256;
      assert.notEqual(renewed, first, 'new connections get the new certificate');
      assert.ok(await ping(before), 'the connection from before the reload still works');
      assert.ok(await ping(afterReload));
      // A broken file on reload keeps what was loaded, and says so.
      writeFileSync(key, 'not a key\n');
      const failed = nextLog(server, (l) => String(l.msg).startsWith('reload failed'));
      server.child.kill('SIGHUP');
      await failed;
      const later = await tlsSocket(server.port);
      assert.equal(later.getPeerCertificate().fingerprint256, renewed);
      assert.ok(await ping(later));
      for (const s of [before, afterReload, later]) s.destroy();
    } finally {
      await stop(server);
    }
  });

  it('refuses to start with a certificate and no key, or an unreadable file', async () => {
    const noKey = await taskwire(0, 'server', '--tls-cert', certs.serverCert);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /--tls-cert needs --tls-key/);
    const missing = await taskwire(
      0,
      'server',
      '--port',
      '0',
      '--db',
      join(tmp.dir, 'c.db'),
      '--tls-cert',
      join(tmp.dir, 'nope.pem'),
      '--tls-key',
      certs.serverKey,
    );
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read --tls-cert .*nope\.pem \(ENOENT\)/);
  });
});
