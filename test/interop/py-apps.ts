/**
 * Kernel-side applications both interop suites run in the namespace
 * (KernelPeer.python): small python3 programs that print a line at each step,
 * so the tests wait on events (output lines) instead of sleeping.
 */

/** Accept one connection, read to EOF, print "done <bytes> <sha256>". argv: ip port. `timeoutS`: socket timeouts. */
export function pySink(timeoutS: number): string {
  return `
import socket, sys, hashlib
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(${timeoutS}); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); print('ready')
c, _ = s.accept(); c.settimeout(${timeoutS}); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 20)
    if not b: break
    h.update(b); n += len(b)
print('done', n, h.hexdigest()); c.close()
`;
}

/** Accept one connection, read 5 bytes (printed as "got …"), then close abortively (SO_LINGER 0: RST) and print "reset". argv: ip port */
export const PY_RESET = `
import socket, sys, struct
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(15); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); print('ready')
c, _ = s.accept(); c.settimeout(15); got = b''
while len(got) < 5:
    b = c.recv(5 - len(got))
    if not b: break
    got += b
print('got', got.decode())
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close(); print('reset')
`;
