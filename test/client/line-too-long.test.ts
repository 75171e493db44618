/** A request line over the server's limit is refused with LINE_TOO_LONG, and the library says so. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionLostError, connect, RpcError } from '../../src/client/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { startServer } from '../support/server.ts';

describe('a line over the server limit', () => {
  it('rejects the submit with LINE_TOO_LONG, not as maybe accepted, and the client goes on', async () => {
    await using t = await startServer({ maxLineBytes: 1024 });
    const client = await connect({ port: t.port });
    try {
      const err = await client.submit('noop', 'x'.repeat(5000)).then(
        () => assert.fail('the submit was accepted'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof RpcError, `got ${String(err)}`);
      assert.ok(!(err instanceof ConnectionLostError));
      assert.equal(err.code, ErrorCode.LINE_TOO_LONG);
      assert.match(err.message, /longer than 1024 bytes/);
      // The client reconnects by itself and serves the next call.
      const done = await client.run('noop', 'small');
      assert.equal(done.status, 'done');
    } finally {
      await client.close();
    }
  });

  it('a call that was merely in flight is not said refused', async () => {
    await using t = await startServer({ maxLineBytes: 1024, local: false, types: ['slow'] });
    const client = await connect({ port: t.port, reconnect: false });
    try {
      const id = await client.submit('slow', 1);
      const waiting = client.wait(id);
      const big = client.submit('noop', 'y'.repeat(4000));
      const [w, b] = await Promise.allSettled([waiting, big]);
      assert.equal(b.status, 'rejected');
      assert.equal((b.reason as RpcError).code, ErrorCode.LINE_TOO_LONG);
      assert.equal(w.status, 'rejected');
      assert.ok((w as PromiseRejectedResult).reason instanceof ConnectionLostError);
    } finally {
      await client.close();
    }
  });
});
