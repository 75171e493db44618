/**
 * The progress line on stderr: on a terminal one line rewritten in place (with the time the
 * current step has been running); otherwise plain log lines, at most one every few seconds.
 */

/** Without a terminal, progress lines are printed at most this often (new steps always). */
const PLAIN_EVERY_MS = 5000;
const REDRAW_MS = 250;

export class ProgressLine {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  #step = '';
  #detail = '';
  #stepStarted = performance.now();
  #lastPlain = 0;
  #timer: NodeJS.Timeout | undefined;
  #drawn = false;

  constructor(out: NodeJS.WriteStream = process.stderr) {
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  /** Starts a new step, e.g. "[3/24] taskwire/default/drain-w4 run 1/3". */
  step(text: string): void {
    this.#step = text;
    this.#detail = '';
    this.#stepStarted = performance.now();
    if (this.#tty) {
      this.#timer ??= setInterval(() => this.#draw(), REDRAW_MS).unref();
      this.#draw();
    } else {
      this.#plain(true);
    }
  }

  /** What the current step is doing now. */
  detail(text: string): void {
    this.#detail = text;
    if (this.#tty) this.#draw();
    else this.#plain(false);
  }

  /** Prints a line above the progress line. */
  log(line: string): void {
    this.#clear();
    this.#out.write(`${line}\n`);
    if (this.#tty && this.#step) this.#draw();
  }

  /** Removes the progress line for good. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clear();
    this.#step = '';
  }

  #text(): string {
    const seconds = ((performance.now() - this.#stepStarted) / 1000).toFixed(1);
    return `${this.#step} · ${seconds} s${this.#detail ? ` · ${this.#detail}` : ''}`;
  }

  #draw(): void {
    if (!this.#step) return;
    const width = Math.max(20, (this.#out.columns ?? 100) - 1);
    const text = this.#text();
    this.#out.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.#drawn = true;
  }

  #clear(): void {
    if (this.#tty && this.#drawn) {
      this.#out.write('\r\x1b[2K');
      this.#drawn = false;
    }
  }

  #plain(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#lastPlain < PLAIN_EVERY_MS) return;
    this.#lastPlain = now;
    this.#out.write(`${force ? this.#step : this.#text()}\n`);
  }
}
