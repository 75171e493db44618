import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AddressError,
  formatAddress,
  formatAddressList,
  parseAddressList,
} from '../../src/client/address.ts';

describe('parseAddressList', () => {
  it('parses hosts with and without ports, IPv6 in brackets', () => {
    assert.deepEqual(parseAddressList('a:5000,b,[::1]:7000', 6000), [
      { host: 'a', port: 5000 },
      { host: 'b', port: 6000 },
      { host: '::1', port: 7000 },
    ]);
  });

  it('uses the default port, 5000 unless given', () => {
    assert.deepEqual(parseAddressList('127.0.0.1'), [{ host: '127.0.0.1', port: 5000 }]);
    assert.deepEqual(parseAddressList('[fe80::1%eth0]', 1), [{ host: 'fe80::1%eth0', port: 1 }]);
  });

  it('ignores blanks around items', () => {
    assert.deepEqual(parseAddressList(' db-1.example.com:1 , host_2 ', 2), [
      { host: 'db-1.example.com', port: 1 },
      { host: 'host_2', port: 2 },
    ]);
  });

  it('keeps a one-item list and the order given', () => {
    assert.deepEqual(parseAddressList('b:2,a:1', 9), [
      { host: 'b', port: 2 },
      { host: 'a', port: 1 },
    ]);
  });

  const bad: [input: string, message: string][] = [
    ['', 'empty server address list: expected host[:port][,host[:port]…]'],
    ['  ', 'empty server address list: expected host[:port][,host[:port]…]'],
    ['a,,b', "invalid server address list 'a,,b': item 2 is empty (expected host[:port])"],
    ['a,', "invalid server address list 'a,': item 2 is empty (expected host[:port])"],
    ['a:x', "invalid server address 'a:x': port 'x' is not a number"],
    ['a:50a', "invalid server address 'a:50a': port '50a' is not a number"],
    ['a:-1', "invalid server address 'a:-1': port '-1' is not a number"],
    ['a:0', "invalid server address 'a:0': port 0 is out of range (1-65535)"],
    ['a:65536', "invalid server address 'a:65536': port 65536 is out of range (1-65535)"],
    ['a:', "invalid server address 'a:': the port after ':' is empty"],
    [':5000', "invalid server address ':5000': the host is empty"],
    ['::1', "invalid server address '::1': an IPv6 address needs brackets, e.g. [::1]:5000"],
    ['[::1', "invalid server address '[::1': missing ']' after the IPv6 address"],
    ['[::1]5000', "invalid server address '[::1]5000': expected ':port' after ']'"],
    ['[a.b]:1', "invalid server address '[a.b]:1': 'a.b' is not an IPv6 address"],
    ['[::1]:', "invalid server address '[::1]:': the port after ':' is empty"],
    ['a b:1', "invalid server address 'a b:1': 'a b' is not a host name or IP address"],
    ['tcp://a:1', "invalid server address 'tcp://a:1': expected host[:port], not a URL"],
    ['-a', "invalid server address '-a': '-a' is not a host name or IP address"],
  ];
  for (const [input, message] of bad) {
    it(`rejects '${input}'`, () => {
      assert.throws(() => parseAddressList(input, 5000), { name: 'AddressError', message });
    });
  }

  it('rejects a bad default port', () => {
    assert.throws(() => parseAddressList('a', 0), AddressError);
  });
});

describe('formatAddress', () => {
  it('brackets IPv6 hosts', () => {
    assert.equal(formatAddress('::1', 7000), '[::1]:7000');
    assert.equal(formatAddress('a', 1), 'a:1');
    assert.equal(formatAddressList(parseAddressList('a:1,[::1]:2')), 'a:1, [::1]:2');
  });
});
