#!/usr/bin/env python3
"""tls-cut.py PORT CA CERT KEY MODE < HEX: a TLS DICOM requestor (Python's
ssl over a memory BIO, so that every byte of ciphertext is ours to send or
keep) that sends the A-ASSOCIATE-RQ and the PDUs of HEX (two lines: the
RQ, then the rest), reads the A-ASSOCIATE-AC and then ends as MODE says:
  plain-N    the rest but its last N bytes, then a TCP close (our side:
             shutdown) without a close_notify; plain-0: the rest whole,
             one PDU read back, then a TCP close (no release)
  record-N   the rest whole, but its last TLS record cut N bytes short,
             then a TCP close (our side: shutdown)
  notify-N   the rest but its last N bytes, then a close_notify
It prints what came back before the peer closed (the PDU types, hex),
one line.  Every read is bounded (10 s)."""
import socket
import ssl
import sys


def main():
    port, ca, cert, key, mode = sys.argv[1:6]
    rq_hex, rest_hex = sys.stdin.read().split()
    rq, rest = bytes.fromhex(rq_hex), bytes.fromhex(rest_hex)
    how, n = mode.rsplit('-', 1)
    n = int(n)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.load_cert_chain(cert, key)
    sock = socket.create_connection(('127.0.0.1', int(port)), timeout=10)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_hostname='localhost')

    def flush():
        data = out.read()
        if data:
            sock.sendall(data)

    def pump():
        data = sock.recv(65536)
        if not data:
            inc.write_eof()
        else:
            inc.write(data)
        return data

    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            flush()
            if not pump():
                sys.exit('closed in the handshake')
    flush()

    def read_pdu():
        buf = b''
        while len(buf) < 6 or len(buf) < 6 + int.from_bytes(buf[2:6], 'big'):
            try:
                buf += tls.read(65536)
            except ssl.SSLWantReadError:
                if not pump():
                    return buf
            except ssl.SSLError:
                return buf
        return buf

    tls.write(rq)
    flush()
    ac = read_pdu()
    if ac[:1] != b'\x02':
        sys.exit('no A-ASSOCIATE-AC: %s' % ac[:1].hex())
    if how == 'plain' and n == 0:
        # the whole C-STORE: its response, then a TCP close
        tls.write(rest)
        flush()
        print(read_pdu().hex())
        sock.close()
        return
    if how in ('plain', 'notify'):
        tls.write(rest[:len(rest) - n])
        flush()
        if how == 'plain':
            # our end closed at once (no close_notify): the peer sees it
            # now, not after a timeout of either side
            sock.shutdown(socket.SHUT_WR)
        if how == 'notify':
            try:
                tls.unwrap()
            except ssl.SSLWantReadError:
                pass
            flush()
    elif how == 'record':
        # each write of at most 16 KiB of plaintext is one record: the
        # last one's ciphertext leaves n bytes short
        tls.write(rest[:-1000])
        flush()
        tls.write(rest[-1000:])
        sock.sendall(out.read()[:-n])
        sock.shutdown(socket.SHUT_WR)
    else:
        sys.exit('mode: plain-N, record-N or notify-N')
    # what the peer says, until it closes
    got = []
    sock.settimeout(10)
    while True:
        try:
            data = tls.read(65536)
            if not data:
                break
            got.append(data.hex())
        except ssl.SSLWantReadError:
            try:
                if not pump():
                    break
            except OSError:
                break
        except ssl.SSLError:
            break
    print(''.join(got))
    sock.close()


main()
