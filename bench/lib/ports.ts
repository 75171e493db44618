/** Free TCP ports on 127.0.0.1 for the servers the benchmark starts. */
import { createServer } from 'node:net';

/**
 * A port that was free a moment ago: the OS picks one for a listener on port 0, which is
 * closed again. Another process could take it before the server binds; the server then
 * fails to start and the run reports it.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}
