/**
 * `--netem-via relay`: a TCP relay that adds a round-trip delay where the kernel has no
 * netem. It runs inside `twbench-app`, listens on that namespace's 127.0.0.1 and forwards
 * each connection to PostgreSQL on the veth address, holding every chunk from the servers
 * for the whole round-trip delay before writing it on (the answers pass at once): a request
 * and its answer then take one delay longer, as with netem, but TCP's own packets (ACKs,
 * the handshake) are not delayed, and the relay's copying costs CPU (also at 0 ms, which
 * goes through it too, so the delays compare like with like).
 *
 * Usage: node --import tsx relay.ts '{"listenPort":P,"targetHost":H,"targetPort":T,"delayMs":D,
 *        "maxMs":M}'
 * Prints `listening` once bound; exits on SIGTERM, after maxMs in any case, and with its
 * namespace (the bench kills what runs in it when it tears it down).
 */
import net from 'node:net';

interface Config {
  listenPort: number;
  targetHost: string;
  targetPort: number;
  delayMs: number;
  maxMs: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as Config;

/** Writes what `from` sends to `to` after `delayMs`, in order. */
function forward(from: net.Socket, to: net.Socket, delayMs: number): void {
  if (delayMs <= 0) {
    from.pipe(to);
    return;
  }
  const queue: { due: number; chunk: Buffer | null }[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now) {
      const { chunk } = queue.shift()!;
      if (chunk === null) to.end();
      else to.write(chunk);
    }
    if (queue.length > 0) {
      scheduled = true;
      setTimeout(flush, queue[0]!.due - now);
    }
  };
  const push = (chunk: Buffer | null) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    if (!scheduled) {
      scheduled = true;
      setTimeout(flush, delayMs);
    }
  };
  from.on('data', (chunk: Buffer) => push(chunk));
  from.on('end', () => push(null));
}

const server = net.createServer((client) => {
  client.setNoDelay(true);
  const upstream = net.connect({ host: cfg.targetHost, port: cfg.targetPort });
  upstream.setNoDelay(true);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
  forward(client, upstream, cfg.delayMs);
  forward(upstream, client, 0);
});
server.on('error', (err) => {
  process.stderr.write(`relay: ${err.message}\n`);
  process.exit(1);
});
server.listen(cfg.listenPort, '127.0.0.1', () => process.stdout.write('listening\n'));
if (!(cfg.maxMs > 0)) throw new Error('relay: maxMs missing');
setTimeout(() => process.exit(2), cfg.maxMs).unref();
process.on('SIGTERM', () => process.exit(0));
