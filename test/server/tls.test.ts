/**
 * TLS on the task port, with certificates made by openssl for the test: verification on by
 * default (a CA to trust, the host name), mutual TLS, and the connections that are not TLS, or
 * not only TLS, closed cleanly while the server keeps serving everyone else.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { type ClientTlsOptions, connect, TlsError } from '../../src/client/index.ts';
import { makeCerts, type TestCerts } from '../support/certs.ts';
import { capturingLogger } from '../support/logs.ts';
import { startServer } from '../support/server.ts';

let certs: TestCerts;
before(() => {
  certs = makeCerts();
});
after(() => certs.remove());

const trusted = (): ClientTlsOptions => ({ ca: readFileSync(certs.ca) });

/** Another client on the same server still gets a task done. */
async function stillServes(port: number, tls: ClientTlsOptions | false = trusted()) {
  const client = await connect({ port, reconnect: false, ...(tls && { tls }) });
  try {
    const task = await client.run('flip', 'abc');
    assert.equal(task.result, 'cba');
  } finally {
    await client.close();
  }
}

/** Sends `bytes` on a raw TCP socket and resolves with what came back before the close. */
async function rawExchange(port: number, bytes: string | Buffer): Promise<Buffer> {
  const socket = netConnect(port, '127.0.0.1');
  const got: Buffer[] = [];
  socket.on('data', (d: Buffer) => got.push(d));
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(bytes);
  await once(socket, 'close');
  return Buffer.concat(got);
}

function tlsServer(extra: { ca?: string; cert?: string; key?: string } = {}) {
  const { logger, lines } = capturingLogger('info');
  return startServer({
    tls: { cert: extra.cert ?? certs.serverCert, key: extra.key ?? certs.serverKey, ...extra },
    logger,
  }).then((s) => ({ s, lines }));
}

describe('TLS', () => {
  it('serves a client that trusts the CA, and refuses one that does not with a TlsError', async () => {
    const { s } = await tlsServer();
    await using _ = s;
    await stillServes(s.port);
    const refused = await connect({ port: s.port, tls: true, reconnect: false }).then(
      () => assert.fail('connected without trusting the CA'),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof TlsError, String(refused));
    assert.equal(refused.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    await stillServes(s.port);
  });

  it('checks the host name: a certificate for another name is refused', async () => {
    const { s } = await tlsServer({ cert: certs.otherCert, key: certs.otherKey });
    await using _ = s;
    const refused = await connect({ port: s.port, tls: trusted(), reconnect: false }).then(
      () => assert.fail('accepted a certificate for elsewhere.example'),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof TlsError);
    assert.equal(refused.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    // Verification off is the dangerous, explicit way past it.
    await stillServes(s.port, { rejectUnauthorized: false });
  });

  it('mutual TLS: a client without a certificate is refused, one with a signed one served', async () => {
    const { s, lines } = await tlsServer({ ca: certs.ca });
    await using _ = s;
    // TLS 1.3: the handshake ends on the client's side before the server refuses: the first
    // call fails with the TlsError and the client does not reconnect.
    const anonymous = await connect({ port: s.port, tls: trusted() }).then(
      async (client) => {
        try {
          return await client.ping().then(
            () => assert.fail('served without a client certificate'),
            (e: unknown) => e,
          );
        } finally {
          await client.close();
        }
      },
      (e: unknown) => e,
    );
    assert.ok(anonymous instanceof TlsError, String(anonymous));
    assert.match(anonymous.code, /CERTIFICATE_REQUIRED|ERR_SSL/);
    assert.ok(lines.some((l) => String(l.msg).startsWith('TLS handshake failed')));
    await stillServes(s.port, {
      ...trusted(),
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
    });
  });

  it('closes plain text on the TLS port, sending nothing, and keeps serving', async () => {
    const { s, lines } = await tlsServer();
    await using _ = s;
    const got = await rawExchange(s.port, '{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    assert.equal(got.length, 0, `sent ${got.toString('hex')}`);
    assert.ok(lines.some((l) => String(l.msg).includes('plain text on the TLS port')));
    assert.equal((await rawExchange(s.port, 'flip hello\n')).length, 0);
    await stillServes(s.port);
  });

  it('closes a handshake with bytes that are not TLS in it, and keeps serving', async () => {
    const { s } = await tlsServer();
    await using _ = s;
    // A record header that claims a handshake, then garbage: at most a TLS alert comes back.
    const got = await rawExchange(s.port, Buffer.from('160301000568656c6c6f', 'hex'));
    assert.ok(got.length === 0 || got[0] === 0x15, `not an alert: ${got.toString('hex')}`);
    // A real ClientHello with bytes written under it before the handshake ends.
    const raw = netConnect(s.port, '127.0.0.1');
    raw.on('error', () => undefined);
    await once(raw, 'connect');
    const client = tlsConnect({ socket: raw, ca: readFileSync(certs.ca), servername: 'localhost' });
    client.on('error', () => undefined);
    raw.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    await once(raw, 'close');
    await stillServes(s.port);
  });

  it('times out a connection that never finishes its handshake', async () => {
    const { logger, lines } = capturingLogger('info');
    await using s = await startServer({
      tls: { cert: certs.serverCert, key: certs.serverKey },
      tlsHandshakeTimeoutMs: 200,
      logger,
    });
    const socket: Socket = netConnect(s.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    socket.write(Buffer.from('16030100', 'hex')); // half a record header, then nothing
    await once(socket, 'close');
    assert.ok(lines.some((l) => String(l.msg).includes('handshake timed out')));
    await stillServes(s.port);
  });

  it('closes a TLS handshake on the plain port with a log line, and keeps serving', async () => {
    const { logger, lines } = capturingLogger('info');
    await using s = await startServer({ logger });
    const refused = await connect({ port: s.port, tls: trusted(), reconnect: false }).then(
      () => assert.fail('a TLS client was served on the plain port'),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof Error);
    assert.ok(lines.some((l) => l.msg === 'TLS handshake on the plain port; closing'));
    await stillServes(s.port, false);
  });
});
