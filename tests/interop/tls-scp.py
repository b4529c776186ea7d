#!/usr/bin/env python3
"""tls-scp.py PORTFILE CERT KEY [CUT]: a TLS DICOM acceptor for one
association, made with Python's ssl module, that answers C-ECHO and C-STORE
with Success and then says on stdout how the requestor ended the TLS
connection: 'close_notify' or 'no close_notify: ...'.  Binds 127.0.0.1 port
0 and writes its port to PORTFILE.  Every read is bounded (10 s).
With CUT, the first C-STORE's response is not given whole: 'half' sends
half of its PDU and closes the socket without a close_notify, 'notify'
sends a close_notify in its place and waits for the requestor to close;
it then prints 'cut'."""
import socket
import ssl
import struct
import sys


def item(t, b):
    return struct.pack('>BBH', t, 0, len(b)) + b


def read_pdu(s):
    def exact(n):
        b = b''
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                raise EOFError('closed')
            b += c
        return b
    h = exact(6)
    return h[0], exact(struct.unpack('>I', h[2:])[0])


def items(b):
    while b:
        n = struct.unpack('>H', b[2:4])[0]
        yield b[0], b[4:4 + n]
        b = b[4 + n:]


def ac_for(rq):
    body = struct.pack('>H', 1) + b'\0\0' + rq[4:68] + item(0x10, b'1.2.840.10008.3.1.1.1')
    for t, v in items(rq[68:]):
        if t == 0x20:
            ts = [x for tt, x in items(v[4:]) if tt == 0x40][0]
            body += item(0x21, bytes([v[0], 0, 0, 0]) + item(0x40, ts))
    body += item(0x50, item(0x51, struct.pack('>I', 16384)) + item(0x52, b'1.2.3.4'))
    return struct.pack('>BBI', 2, 0, len(body)) + body


def elements(b):
    while b:
        g, e, n = struct.unpack('<HHI', b[:8])
        yield (g, e), b[8:8 + n]
        b = b[8 + n:]


def rsp_for(cmd, pcid):
    c = dict(elements(cmd))
    field = struct.unpack('<H', c[(0, 0x100)])[0] | 0x8000
    body = b''
    for (g, e), v in [((0, 2), c[(0, 2)]), ((0, 0x100), struct.pack('<H', field)),
                      ((0, 0x120), c[(0, 0x110)]), ((0, 0x800), struct.pack('<H', 0x101)),
                      ((0, 0x900), b'\0\0')] + ([((0, 0x1000), c[(0, 0x1000)])] if (0, 0x1000) in c else []):
        body += struct.pack('<HHI', g, e, len(v)) + v
    cmd = struct.pack('<HHII', 0, 0, 4, len(body)) + body
    pdv = struct.pack('>IBB', len(cmd) + 2, pcid, 3) + cmd
    return struct.pack('>BBI', 4, 0, len(pdv)) + pdv


def cut(s, rsp, how):
    if how == 'half':
        s.sendall(rsp[:len(rsp) // 2])
        # the socket's own shutdown: no TLS alert
        s.shutdown(socket.SHUT_RDWR)
        s.close()
    else:
        raw = s.unwrap()
        while raw.recv(4096):
            pass
    print('cut')


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    ls = socket.socket()
    ls.bind(('127.0.0.1', 0))
    ls.listen(1)
    with open(sys.argv[1] + '.tmp', 'w') as f:
        f.write('%d\n' % ls.getsockname()[1])
    import os
    os.rename(sys.argv[1] + '.tmp', sys.argv[1])
    ls.settimeout(10)
    c, _ = ls.accept()
    c.settimeout(10)
    s = ctx.wrap_socket(c, server_side=True, suppress_ragged_eofs=False)
    t, rq = read_pdu(s)
    s.sendall(ac_for(rq))
    cmd = b''
    while True:
        t, b = read_pdu(s)
        if t == 5:
            s.sendall(bytes([6, 0, 0, 0, 0, 4, 0, 0, 0, 0]))
            break
        while b:
            n, pcid, ctl = struct.unpack('>IBB', b[:6])
            if ctl & 1:
                cmd += b[6:4 + n]
            if (ctl & 3) == 3 and (0, 0x800) in dict(elements(cmd)) and \
                    dict(elements(cmd))[(0, 0x800)] == b'\x01\x01':
                s.sendall(rsp_for(cmd, pcid))
                cmd = b''
            elif (ctl & 3) == 2 and len(sys.argv) > 4:
                cut(s, rsp_for(cmd, pcid), sys.argv[4])
                return
            elif (ctl & 3) == 2:
                s.sendall(rsp_for(cmd, pcid))
                cmd = b''
            b = b[4 + n:]
    try:
        rest = s.recv(1)
        print('close_notify' if rest == b'' else 'bytes after the release')
    except (ssl.SSLError, OSError) as e:
        print('no close_notify: %s' % e)


main()
