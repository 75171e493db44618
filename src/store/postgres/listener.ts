/**
 * The store's LISTEN connection: one dedicated client (a pooled one could be handed to a
 * query and would miss notifications meanwhile) that reconnects by itself, with backoff,
 * whenever the connection drops or stops answering.
 */
import pg from 'pg';

export interface ListenerOptions {
  config: pg.ClientConfig;
  channel: string;
  /** Each payload received on the channel. */
  onPayload: (payload: string) => void;
  /**
   * The connection listens (again): notifications sent before may have been missed, both
   * the first time and after a reconnect.
   */
  onListening: () => void;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;
/** A silent connection (a vanished host sends no reset) is noticed by this ping. */
const PING_EVERY_MS = 30_000;

export class Listener {
  private readonly opts: ListenerOptions;
  private client: pg.Client | undefined;
  private retryMs = FIRST_RETRY_MS;
  private timer: NodeJS.Timeout | undefined;
  private ping: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(opts: ListenerOptions) {
    this.opts = opts;
  }

  start(): void {
    void this.connect();
  }

  /** Stops listening and closes the connection; no callback is called afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.ping);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { config, channel } = this.opts;
    const client = new pg.Client(config);
    this.client = client;
    // Without an 'error' listener, a dropped connection would crash the process.
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (client === this.client && msg.channel === channel && msg.payload !== undefined) {
        this.opts.onPayload(msg.payload);
      }
    });
    try {
      await client.connect();
      // LISTEN takes no parameters: the channel goes in as a quoted identifier.
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch {
      this.lost(client);
      return;
    }
    if (client !== this.client) return; // stopped, or lost while connecting
    this.retryMs = FIRST_RETRY_MS;
    clearInterval(this.ping);
    this.ping = setInterval(() => {
      client.query('SELECT 1').catch(() => this.lost(client));
    }, PING_EVERY_MS);
    this.ping.unref();
    this.opts.onListening();
  }

  /** Drops `client` (once) and connects again after a backoff. */
  private lost(client: pg.Client): void {
    if (client !== this.client || this.stopped) return;
    this.client = undefined;
    clearInterval(this.ping);
    client.end().catch(() => {});
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    // Not unref'd: an open store keeps listening, as its connection would keep the process.
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
