#!/usr/bin/python3
"""odil-peer.py: Odil (Debian python3-odil, its own C++ DICOM network
stack and file reader/writer) as the other side of our tools, for
tests/interop/odil.bats.  Runs as /usr/bin/python3 (Debian's packages).

  send HOST PORT REFDIR [--max-length N] [--abort] [--propose TS,...]
       FILE... [+ FILE...]...
      An association from Odil's StoreSCU for each group of files (a "+"
      starts the next); each file on a presentation context of its own,
      proposing only the file's transfer syntax, or the --propose list.
      The data set of each C-STORE is written to REFDIR/<SOPInstanceUID>
      as Odil's writer encodes it in the accepted transfer syntax: what
      Odil puts on the wire (it re-encodes what it read, e.g. sequences
      with explicit lengths).  Prints the negotiated parameters, then
      "stored UID" per C-STORE; --abort aborts the last association
      instead of releasing it.
  echo HOST PORT [USER PASSCODE]
      One C-ECHO from Odil's EchoSCU (with a user identity), released.
  listen PORT DIR [COUNT [FAILUID [ABORTUID]]]
      Accepts COUNT (1) associations, one after the other, on every
      interface (Odil binds neither port 0 nor one address), answers
      C-ECHO and C-STORE (A700 for the instance FAILUID; an A-ABORT, on
      the first association only, for the instance ABORTUID, which is not
      kept), and writes each
      received data set as Odil's JSON, DIR/<SOPInstanceUID>.json, and
      unless large as Odil's writer encodes it, DIR/<SOPInstanceUID>@<TS>
      for each transfer syntax accepted for its SOP class (a message
      does not say its context); and the negotiated
      parameters to DIR/assoc-N.txt.  Prints "waiting N" before it listens
      for association N.  Exits 0 when the last association
      was released, 3 when it was aborted.
  write SRC OUT TS [--undefined] [--group-length]
      SRC rewritten as a Part 10 file by Odil's writer in syntax TS
      (items and sequences of undefined length, group lengths: on ask).
  encode DIR SRC...
      What listen writes when each SRC arrives whole (its own syntax).
  reread DIR < LINES
      For each stored (0000) line of dcmsend's output on stdin, Odil's
      reader on DIR/<SOPInstanceUID>.dcm: the data set it reads from the
      source, the meta header's SOP Instance and Class UIDs those of the
      line, its transfer syntax the source's.  Prints "N read, M different".
  big OUT BYTES
      A Secondary Capture image of BYTES pixel bytes, written by Odil.
"""
import os
import sys

import odil

PC = odil.AssociationParameters.PresentationContext


def tag_str(ds, tag):
    return text(ds.as_string(tag)[0])


def text(v):
    return v.decode() if isinstance(v, bytes) else v


def write_encoded(path, ds, ts):
    """The data set into path as Odil's writer encodes it in syntax ts."""
    with odil.open(path, "wb") as stream:
        odil.Writer(stream, ts).write_data_set(ds)


def describe(params):
    lines = ["calling %s called %s max-length %d" % (
        params.get_calling_ae_title(), params.get_called_ae_title(),
        params.get_maximum_length())]
    for pc in params.get_presentation_contexts():
        lines.append("pc %d %s %s %s %s" % (
            pc.id, pc.abstract_syntax,
            ",".join(text(t) for t in pc.transfer_syntaxes),
            pc.result, pc.role))
    return "\n".join(lines) + "\n"


def big_dataset(nbytes):
    ds = odil.DataSet()
    uid = odil.generate_uid()
    for tag, value in (
            (odil.registry.SOPClassUID, "1.2.840.10008.5.1.4.1.1.7"),
            (odil.registry.SOPInstanceUID, uid),
            (odil.registry.StudyInstanceUID, odil.generate_uid()),
            (odil.registry.SeriesInstanceUID, odil.generate_uid()),
            (odil.registry.PatientName, "Odil^Big"),
            (odil.registry.Modality, "OT"),
            (odil.registry.PhotometricInterpretation, "MONOCHROME2")):
        ds.add(tag, [value])
    rows = 512
    cols = nbytes // (2 * rows)
    for tag, value in (
            (odil.registry.SamplesPerPixel, 1), (odil.registry.Rows, rows),
            (odil.registry.Columns, cols), (odil.registry.BitsAllocated, 16),
            (odil.registry.BitsStored, 16), (odil.registry.HighBit, 15),
            (odil.registry.PixelRepresentation, 0)):
        ds.add(tag, [value])
    pixels = (bytes(range(251)) * (2 * rows * cols // 251 + 1))[:2 * rows * cols]
    ds.add(odil.registry.PixelData,
           odil.Value.Binary([odil.Value.BinaryItem(pixels)]), odil.VR.OW)
    return ds


def send(argv):
    host, port, refdir = argv[0], int(argv[1]), argv[2]
    rest = argv[3:]
    maxlen, abort, propose, groups = None, False, None, [[]]
    while rest:
        a = rest.pop(0)
        if a == "--max-length":
            maxlen = int(rest.pop(0))
        elif a == "--propose":
            propose = rest.pop(0).split(",")
        elif a == "--abort":
            abort = True
        elif a == "+":
            groups.append([])
        else:
            groups[-1].append(a)
    for n, files in enumerate(groups):
        send_one(host, port, refdir, maxlen,
                 abort and n == len(groups) - 1, propose, files)


def send_one(host, port, refdir, maxlen, abort, propose, files):
    items = []
    for f in files:
        with odil.open(f) as stream:
            meta, ds = odil.Reader.read_file(stream)
        items.append((tag_str(meta, odil.registry.TransferSyntaxUID), ds))
    params = odil.AssociationParameters()
    params.set_called_ae_title("ANY-SCP").set_calling_ae_title("ODIL")
    if maxlen is not None:
        params.set_maximum_length(maxlen)
    params.set_presentation_contexts([
        PC(2 * i + 1, tag_str(ds, odil.registry.SOPClassUID), propose or [ts],
           PC.Role.SCU)
        for i, (ts, ds) in enumerate(items)])
    assoc = odil.Association()
    assoc.set_peer_host(host)
    assoc.set_peer_port(port)
    assoc.set_parameters(params)
    assoc.associate()
    neg = assoc.get_negotiated_parameters()
    sys.stdout.write(describe(neg))
    accepted = accepted_syntaxes(neg)
    for ts, ds in items:
        cls = tag_str(ds, odil.registry.SOPClassUID)
        uid = tag_str(ds, odil.registry.SOPInstanceUID)
        # Odil's StoreSCU picks a context by SOP class alone, not by the
        # data set's transfer syntax: only one syntax per class is sound
        # (and Odil converts none but the uncompressed ones)
        if len(accepted.get(cls, ())) != 1 or (not propose and accepted[cls] != {ts}):
            sys.exit("odil-peer: %s: accepted %s, the file is %s" % (
                uid, accepted.get(cls), ts))
        write_encoded(os.path.join(refdir, uid), ds, min(accepted[cls]))
        scu = odil.StoreSCU(assoc)
        scu.set_affected_sop_class(ds)
        scu.store(ds)
        print("stored", uid)
    if abort:
        assoc.abort(0, 0)
    else:
        assoc.release()


def echo(argv):
    params = odil.AssociationParameters()
    params.set_called_ae_title("ANY-SCP").set_calling_ae_title("ODIL")
    if len(argv) > 2:
        params.set_user_identity_to_username_and_password(argv[2], argv[3])
    params.set_presentation_contexts([
        PC(1, odil.registry.Verification,
           [odil.registry.ImplicitVRLittleEndian], PC.Role.SCU)])
    assoc = odil.Association()
    assoc.set_peer_host(argv[0])
    assoc.set_peer_port(int(argv[1]))
    assoc.set_parameters(params)
    try:
        assoc.associate()
    except odil.Exception as e:
        sys.exit("odil-peer: %s" % e)
    scu = odil.EchoSCU(assoc)
    scu.echo()
    print("echo ok")
    assoc.release()


def write_decoded(outdir, ds, syntaxes):
    """What Odil made of a data set: DIR/UID.json (Odil's JSON of it;
    none for encapsulated pixel data, which Odil 0.12 cannot put in
    JSON) and, unless it is large (Odil's writer takes seconds a
    megabyte through Python), DIR/UID@TS as its writer encodes it in
    each syntax."""
    uid = tag_str(ds, odil.registry.SOPInstanceUID)
    try:
        js = odil.as_json(ds)
        with open(os.path.join(outdir, uid + ".json"), "w") as f:
            f.write(js)
        if len(js) > 200000:
            return
    except odil.Exception:
        pass
    for ts in syntaxes:
        try:
            write_encoded(os.path.join(outdir, uid + "@" + ts), ds, ts)
        except odil.Exception:
            pass  # Odil cannot write every syntax (Deflated)


def accepted_syntaxes(params):
    """SOP class -> the transfer syntaxes accepted for it."""
    syntaxes = {}
    for pc in params.get_presentation_contexts():
        if pc.result == PC.Result.Acceptance:
            syntaxes.setdefault(text(pc.abstract_syntax), set()).add(
                text(pc.transfer_syntaxes[0]))
    return syntaxes


class Aborted(Exception):
    pass


def serve_one(port, outdir, n, failuid, abortuid):
    # Odil listens only inside receive_association: the caller waits for
    # this line, then for the port
    print("waiting", n, flush=True)
    assoc = odil.Association()
    assoc.receive_association("v4", port)
    neg = assoc.get_negotiated_parameters()
    with open(os.path.join(outdir, "assoc-%d.txt" % n), "w") as f:
        f.write(describe(neg))
    syntaxes = accepted_syntaxes(neg)

    def on_store(request):
        ds = request.get_data_set()
        uid = tag_str(ds, odil.registry.SOPInstanceUID)
        if uid == abortuid and n == 1:
            # not kept: no response will say it was
            assoc.abort(0, 0)
            raise Aborted()
        write_decoded(outdir, ds, syntaxes.get(
            tag_str(ds, odil.registry.SOPClassUID), ()))
        return 0xA700 if uid == failuid else 0

    dispatcher = odil.SCPDispatcher(assoc)
    echo_scp = odil.EchoSCP(assoc)
    echo_scp.set_callback(lambda request: 0)
    dispatcher.set_echo_scp(echo_scp)
    store = odil.StoreSCP(assoc)
    store.set_callback(on_store)
    dispatcher.set_store_scp(store)
    try:
        while True:
            dispatcher.dispatch()
    except odil.AssociationReleased:
        return 0
    except (odil.AssociationAborted, Aborted):
        return 3


def listen(argv):
    port, outdir = int(argv[0]), argv[1]
    count = int(argv[2]) if len(argv) > 2 else 1
    failuid = argv[3] if len(argv) > 3 else None
    abortuid = argv[4] if len(argv) > 4 else None
    rc = 0
    for n in range(1, count + 1):
        rc = serve_one(port, outdir, n, failuid, abortuid)
    sys.exit(rc)


def write(argv):
    src, out, ts = argv[0], argv[1], argv[2]
    with odil.open(src) as stream:
        _, ds = odil.Reader.read_file(stream)
    encoding = odil.Writer.ItemEncoding.ExplicitLength
    if "--undefined" in argv:
        encoding = odil.Writer.ItemEncoding.UndefinedLength
    meta = odil.DataSet()
    with odil.open(out, "wb") as stream:
        odil.Writer.write_file(ds, stream, meta, ts, encoding,
                               "--group-length" in argv)


def encode(argv):
    for src in argv[1:]:
        with odil.open(src) as stream:
            meta, ds = odil.Reader.read_file(stream)
        write_decoded(argv[0], ds,
                      [tag_str(meta, odil.registry.TransferSyntaxUID)])


def reread(argv):
    n = bad = 0
    for line in sys.stdin:
        st, src, cls, uid = line.rstrip("\n").split("\t")[:4]
        if st != "0000":
            continue
        with odil.open(src) as stream:
            src_meta, want = odil.Reader.read_file(stream)
        got_path = os.path.join(argv[0], uid + ".dcm")
        with odil.open(got_path) as stream:
            meta, got = odil.Reader.read_file(stream)
        n += 1
        if got != want:
            print("odil-peer: %s: another data set than %s" % (got_path, src),
                  file=sys.stderr)
            bad += 1
        elif (tag_str(meta, odil.registry.MediaStorageSOPInstanceUID) != uid or
              tag_str(meta, odil.registry.MediaStorageSOPClassUID) != cls or
              tag_str(meta, odil.registry.TransferSyntaxUID) !=
              tag_str(src_meta, odil.registry.TransferSyntaxUID)):
            print("odil-peer: %s: meta header UIDs" % got_path, file=sys.stderr)
            bad += 1
    print("%d read, %d different" % (n, bad))


def big(argv):
    with odil.open(argv[0], "wb") as stream:
        odil.Writer.write_file(big_dataset(int(argv[1])), stream)


if __name__ == "__main__":
    cmds = {"send": send, "echo": echo, "listen": listen, "write": write,
            "encode": encode, "reread": reread, "big": big}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])
