// The project-wide errno table and Node-shaped errors (src/socket/errno.ts).
import { describe, expect, it } from 'vitest';
import { Errno as IpErrno, SocketError as IpSocketError } from '../../src/ip/errors.js';
import { TcpErrno } from '../../src/tcp/tcb.js';
import { Errno, errnoMessage, errnoName, SocketError, toNodeError } from '../../src/socket/errno.js';

describe('errno table', () => {
  it('errno_table_merges_ip_and_tcp_values_without_forking_numbers', () => {
    for (const [k, v] of Object.entries(IpErrno)) expect((Errno as Record<string, number>)[k]).toBe(v);
    for (const [k, v] of Object.entries(TcpErrno)) expect((Errno as Record<string, number>)[k]).toBe(v);
  });

  it('errno_values_are_negative_linux_numbers_and_unique', () => {
    expect(Errno.EBADF).toBe(-9);
    expect(Errno.ECONNREFUSED).toBe(-111);
    expect(Errno.ECONNRESET).toBe(-104);
    expect(Errno.ETIMEDOUT).toBe(-110);
    expect(Errno.EPIPE).toBe(-32);
    expect(Errno.ENOTSOCK).toBe(-88);
    const values = Object.values(Errno);
    expect(new Set(values).size).toBe(values.length);
    for (const v of values) expect(v).toBeLessThan(0);
  });

  it('every_errno_has_a_name_and_a_libuv_message', () => {
    for (const [k, v] of Object.entries(Errno)) {
      expect(errnoName(v)).toBe(k);
      expect(errnoName(-v)).toBe(k);
      expect(errnoMessage(v)).not.toBe('unknown error');
    }
    expect(errnoMessage(Errno.ECONNREFUSED)).toBe('connection refused');
    expect(errnoName(-9999)).toBe('E9999');
    expect(errnoMessage(-9999)).toBe('unknown error');
  });
});

describe('toNodeError', () => {
  it('node_error_has_code_errno_syscall_address_port_and_node_message', () => {
    const e = toNodeError(Errno.ECONNREFUSED, 'connect', '10.0.0.2', 80);
    expect(e).toBeInstanceOf(SocketError);
    expect(e).toBeInstanceOf(IpSocketError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('ECONNREFUSED');
    expect(e.errno).toBe(-111);
    expect(e.syscall).toBe('connect');
    expect(e.address).toBe('10.0.0.2');
    expect(e.port).toBe(80);
    expect(e.message).toBe('connect ECONNREFUSED 10.0.0.2:80');
    expect(e.description).toBe('connection refused');
  });

  it('node_error_takes_tcp_codes_the_ip_table_lacks', () => {
    const e = toNodeError(Errno.ECONNRESET, 'read');
    expect(e.code).toBe('ECONNRESET');
    expect(e.message).toBe('read ECONNRESET');
  });

  it('node_error_accepts_numeric_addresses_and_positive_errno', () => {
    const e = toNodeError(98, 'bind', 0, 5000);
    expect(e.errno).toBe(-98);
    expect(e.message).toBe('bind EADDRINUSE 0.0.0.0:5000');
    expect(toNodeError(Errno.EADDRNOTAVAIL, 'bind', '1.2.3.4', 0).message).toBe('bind EADDRNOTAVAIL 1.2.3.4');
  });

  it('node_error_rejects_zero_errno_with_typeerror', () => {
    expect(() => toNodeError(0, 'x')).toThrow(TypeError);
  });
});

describe('public entry', () => {
  it('socket_index_exports_the_core_table_and_constants', async () => {
    const m = await import('../../src/socket/index.js');
    expect(typeof m.SocketCore).toBe('function');
    expect(m.Errno.ECONNRESET).toBe(-104);
    expect(m.POLLIN).toBe(1);
    expect(m.TCP_USER_TIMEOUT).toBe(18);
    expect(m.SHUT_WR).toBe(1);
    expect(typeof m.toNodeError).toBe('function');
  });
});
