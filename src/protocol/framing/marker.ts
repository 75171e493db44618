/**
 * Marker framing of the legacy tally protocol: every message is `crrrazy_msg_START`, a UTF-8
 * body, then `crrrazy_msg_END`, with nothing in between messages. A pure push parser: it
 * accepts input split at any byte, including inside a marker.
 */
import { decodeUtf8 } from './ndjson.ts';
import { PushParser } from './push-parser.ts';

const START = Buffer.from('crrrazy_msg_START', 'latin1');
const END = Buffer.from('crrrazy_msg_END', 'latin1');
/** Bytes of the body kept to find an END marker that straddles two chunks. */
const SEAM = END.length - 1;
const EMPTY = Buffer.alloc(0);

/** Options of a {@link MarkerFramer}. */
export interface MarkerFramerOptions {
  /** Largest body accepted, in bytes (markers not counted). */
  maxBodyBytes: number;
  /** Receives each message body, decoded as UTF-8. */
  onMessage: (body: string) => void;
  /** Called once on the first protocol error; the framer then ignores all input. */
  onError: (reason: string) => void;
}

/**
 * Push parser for `crrrazy_msg_START…crrrazy_msg_END` messages. Errors (bytes that do not
 * begin a START marker, a body over the cap, a body that is not UTF-8) are reported once.
 *
 * Callbacks: a `push` from inside `onMessage` is queued and framed after the current chunk.
 * If `onMessage` throws, the error propagates out of `push`; that message counts as
 * delivered, and the rest of the input is framed first by the next `push`.
 */
export class MarkerFramer extends PushParser {
  private readonly maxBodyBytes: number;
  private readonly onMessage: (body: string) => void;
  private readonly onError: (reason: string) => void;
  private inBody = false;
  /** Outside a body: how many bytes of the START marker have arrived. */
  private startSeen = 0;
  private body: Buffer[] = [];
  private bodyBytes = 0;
  /** The last (up to SEAM) bytes of the body so far. */
  private tail: Buffer = EMPTY;

  constructor(opts: MarkerFramerOptions) {
    super();
    if (!Number.isSafeInteger(opts.maxBodyBytes) || opts.maxBodyBytes < 0) {
      throw new RangeError(`maxBodyBytes must be a non-negative integer, got ${opts.maxBodyBytes}`);
    }
    this.maxBodyBytes = opts.maxBodyBytes;
    this.onMessage = opts.onMessage;
    this.onError = opts.onError;
  }

  protected feed(chunk: Buffer): void {
    let data = chunk;
    try {
      while (data.length > 0 && !this.stopped) {
        if (!this.inBody) {
          data = this.matchStart(data);
          continue;
        }
        const done = this.scanBody(data);
        if (done === undefined) return;
        const [text, rest] = done;
        data = rest;
        if (text !== undefined) this.onMessage(text);
      }
    } catch (err) {
      // onMessage threw: keep the rest of this chunk so the next push resumes there.
      if (!this.stopped && data.length > 0) this.backlog.unshift(data);
      throw err;
    }
  }

  /** Consumes the (rest of the) START marker from `data`; returns what follows it. */
  private matchStart(data: Buffer): Buffer {
    const n = Math.min(START.length - this.startSeen, data.length);
    if (START.compare(data, 0, n, this.startSeen, this.startSeen + n) !== 0) {
      this.fail('expected crrrazy_msg_START');
      return EMPTY;
    }
    this.startSeen += n;
    if (this.startSeen === START.length) {
      this.startSeen = 0;
      this.inBody = true;
    }
    return data.subarray(n);
  }

  /**
   * Looks for the END marker. Returns undefined if `data` was all body, else the decoded
   * body (undefined after an error) and the bytes after the marker.
   */
  private scanBody(data: Buffer): [string | undefined, Buffer] | undefined {
    if (this.tail.length > 0) {
      // An END that begins in earlier chunks ends within the first SEAM bytes of this one.
      const seam = Buffer.concat([this.tail, data.subarray(0, SEAM)]);
      const i = seam.indexOf(END);
      if (i !== -1 && i < this.tail.length) {
        const body = Buffer.concat(this.body, this.bodyBytes - this.tail.length + i);
        const rest = data.subarray(i + END.length - this.tail.length);
        return [this.finish(body), rest];
      }
    }
    const j = data.indexOf(END);
    if (j !== -1) {
      const body =
        this.bodyBytes === 0
          ? data.subarray(0, j)
          : Buffer.concat([...this.body, data.subarray(0, j)], this.bodyBytes + j);
      return [this.finish(body), data.subarray(j + END.length)];
    }
    this.body.push(data);
    this.bodyBytes += data.length;
    this.tail =
      data.length >= SEAM ? data.subarray(-SEAM) : Buffer.concat([this.tail, data]).subarray(-SEAM);
    // Up to SEAM held bytes may yet turn out to be the start of END, not body.
    if (this.bodyBytes > this.maxBodyBytes + SEAM) this.fail(this.tooLong());
    return undefined;
  }

  /** Ends the current message: the decoded body, or undefined after reporting an error. */
  private finish(body: Buffer): string | undefined {
    this.inBody = false;
    this.body = [];
    this.bodyBytes = 0;
    this.tail = EMPTY;
    if (body.length > this.maxBodyBytes) {
      this.fail(this.tooLong());
      return undefined;
    }
    const text = decodeUtf8(body);
    if (text === undefined) this.fail('message body is not valid UTF-8');
    return text;
  }

  private tooLong(): string {
    return `message body exceeds the limit of ${this.maxBodyBytes} bytes`;
  }

  private fail(reason: string): void {
    this.stopped = true;
    this.body = [];
    this.bodyBytes = 0;
    this.tail = EMPTY;
    this.backlog = [];
    this.onError(reason);
  }
}

/** Frames one message: START marker, the UTF-8 body, END marker. */
export function frameMarker(body: string): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  // The protocol has no escaping: such a body would end early on the receiving side.
  if (bytes.includes(END)) throw new RangeError('message body contains crrrazy_msg_END');
  return Buffer.concat([START, bytes, END]);
}
