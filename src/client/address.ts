/**
 * Server addresses: the `host[:port][,host[:port]…]` list syntax that clients, workers and the
 * CLI's `-H`/`TASKWIRE_HOST` accept, parsed in one place.
 */
import { isIPv6 } from 'node:net';

/** One server to connect to. */
export interface ServerAddress {
  host: string;
  port: number;
}

/** The address list could not be parsed; the message says which item and why. */
export class AddressError extends Error {
  override readonly name = 'AddressError';
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A port number from its decimal text, or undefined unless it is 1-65535. */
export function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Host names and IPv4 addresses: letters, digits, `.`, `-`, `_`. */
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;

/**
 * Parses `"a:5000,b,[::1]:7000"`: comma-separated items, each `host`, `host:port`, `[ipv6]` or
 * `[ipv6]:port`; an item without a port gets `defaultPort`. Blanks around items are ignored.
 * Throws AddressError on an empty list or item, a bad port, a bad host or an IPv6 address
 * without brackets (`::1:5000` would be ambiguous).
 */
export function parseAddressList(text: string, defaultPort = 5000): ServerAddress[] {
  if (parsePort(String(defaultPort)) === undefined) {
    throw new AddressError(`invalid default port ${defaultPort}: expected 1-65535`);
  }
  const items = text.split(',').map((item) => item.trim());
  if (items.length === 1 && items[0] === '') {
    throw new AddressError('empty server address list: expected host[:port][,host[:port]…]');
  }
  return items.map((item, i) => {
    if (item === '') {
      throw new AddressError(
        `invalid server address list '${text}': item ${i + 1} is empty (expected host[:port])`,
      );
    }
    return parseAddress(item, defaultPort);
  });
}

/** One item of an address list. */
export function parseAddress(item: string, defaultPort = 5000): ServerAddress {
  const bad = (why: string) => new AddressError(`invalid server address '${item}': ${why}`);
  if (item.includes('/')) throw bad('expected host[:port], not a URL');
  let host: string;
  let portText: string | undefined;
  if (item.startsWith('[')) {
    const close = item.indexOf(']');
    if (close === -1) throw bad("missing ']' after the IPv6 address");
    host = item.slice(1, close);
    const rest = item.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw bad("expected ':port' after ']'");
      portText = rest.slice(1);
    }
    if (!isIPv6(host)) throw bad(`'${host}' is not an IPv6 address`);
  } else {
    const colons = item.split(':').length - 1;
    if (colons > 1) {
      throw bad('an IPv6 address needs brackets, e.g. [::1]:5000');
    }
    const colon = item.indexOf(':');
    host = colon === -1 ? item : item.slice(0, colon);
    portText = colon === -1 ? undefined : item.slice(colon + 1);
    if (host === '') throw bad('the host is empty');
    if (!HOST_NAME.test(host)) throw bad(`'${host}' is not a host name or IP address`);
  }
  if (portText === undefined) return { host, port: defaultPort };
  if (portText === '') throw bad("the port after ':' is empty");
  const port = parsePort(portText);
  if (port === undefined) {
    throw bad(
      /^[0-9]+$/.test(portText)
        ? `port ${portText} is out of range (1-65535)`
        : `port '${portText}' is not a number`,
    );
  }
  return { host, port };
}

/** The formatted list, e.g. for messages: `a:5000, b:5000`. */
export function formatAddressList(addresses: readonly ServerAddress[]): string {
  return addresses.map((a) => formatAddress(a.host, a.port)).join(', ');
}
