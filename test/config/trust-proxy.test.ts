import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('trust_proxy', () => {
  const load = (value: string) => loadConfig({ WHARF_DATA_DIR: '/tmp/wharf-config-test', WHARF_TRUST_PROXY: value });

  it('trusts no proxy by default', () => {
    expect(loadConfig({ WHARF_DATA_DIR: '/tmp/wharf-config-test' }).trustProxy).toEqual([]);
  });

  it('reads addresses, CIDR ranges and the named ranges, comma-separated', () => {
    expect(load(' 127.0.0.1, 10.0.0.0/8,::1, fd00::/8 ,loopback').trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback']);
    expect(load('').trustProxy).toEqual([]);
  });

  it.each(['*', 'proxy.internal', '10.0.0.0/33', '::1/129', '10.0.0.1/8/2', '10.0.0.0/x', '300.1.1.1'])('refuses `%s` with a clear message', (value) => {
    expect(() => load(value)).toThrow(ConfigError);
    expect(() => load(value)).toThrow(/WHARF_TRUST_PROXY: .* is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal/);
  });
});
