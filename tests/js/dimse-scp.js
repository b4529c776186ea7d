#!/usr/bin/env node
// dimse-scp.js - dcmjs-dimse's Server as a Storage SCP for
// tests/interop/dcmjs.bats.
//   node dimse-scp.js PORT DIR [--abort-after N] [--max-pdu N] [--ts UID]
//                     [--status HEX/HEX/...] [--hold N]
// Accepts every presentation context (the first proposed transfer syntax,
// or --ts when proposed) and writes each C-STORE's data set, as the bytes
// that arrived, to DIR/N.ds.  --status answers the Nth C-STORE with the
// Nth code (the last one after that), a code other than 0000 with the
// Error Comment "dcmjs-dimse says HEX".  --hold N keeps the responses
// until N are held (or 10 s have passed since the first), then sends
// them newest first: a window's responses leave out of order.
// One line per event on stdout:
//   assoc CALLING CALLED MAXPDU ASYNC(invoked/performed or -)
//   context ID ABSTRACT TS,TS,...   (as proposed)
//   echo
//   store N CLASS INSTANCE TS PARSED (the instance UID dcmjs-dimse read
//         from the data set itself, or "unparsed: why")
//   rsp N STATUS (with --hold: as each response is sent)
//   abort-sent | release | aborted
"use strict";
const fs = require("fs");
const path = require("path");
const { Writable } = require("stream");
const dimse = require("dcmjs-dimse");
const { Server, Scp, Dataset } = dimse;
const { CEchoResponse, CStoreResponse } = dimse.responses;
const { Status, PresentationContextResult } = dimse.constants;

// Its own INFO lines would drown ours; dcmjs (its copy) warns on stderr.
dimse.log.setLevel(process.env.DIMSE_LOG || "error");

const [port, dir, ...opts] = process.argv.slice(2);
const opt = (name) => {
  const i = opts.indexOf(name);
  return i < 0 ? undefined : opts[i + 1];
};
const abortAfter = Number(opt("--abort-after") || 0);
const maxPdu = Number(opt("--max-pdu") || 0);
const wantTs = opt("--ts");
const statuses = (opt("--status") || "0000").split("/").map((h) => parseInt(h, 16));
const hold = Number(opt("--hold") || 0);
let stores = 0;
let held = [];
let holdTimer = null;
// The held responses, newest first.
const flush = () => {
  clearTimeout(holdTimer);
  holdTimer = null;
  const now = held.reverse();
  held = [];
  for (const send of now) send();
};
const say = (...f) => process.stdout.write(f.join("\t") + "\n");

// The data set's bytes as they come, in memory (small test files).
class Collect extends Writable {
  constructor() {
    super();
    this.parts = [];
  }
  _write(chunk, enc, cb) {
    this.parts.push(Buffer.from(chunk));
    cb();
  }
}

class StoreScp extends Scp {
  associationRequested(assoc) {
    say(
      "assoc",
      assoc.getCallingAeTitle(),
      assoc.getCalledAeTitle(),
      assoc.getMaxPduLength(),
      assoc.getNegotiateAsyncOps()
        ? `${assoc.getMaxAsyncOpsInvoked()}/${assoc.getMaxAsyncOpsPerformed()}`
        : "-"
    );
    for (const c of assoc.getPresentationContexts()) {
      const ctx = assoc.getPresentationContext(c.id);
      const ts = ctx.getTransferSyntaxUids();
      say("context", c.id, ctx.getAbstractSyntaxUid(), ts.join(","));
      const pick = wantTs ? ts.find((t) => t === wantTs) : ts[0];
      if (pick) ctx.setResult(PresentationContextResult.Accept, pick);
      else ctx.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
    }
    if (maxPdu) assoc.setMaxPduLength(maxPdu);
    this.sendAssociationAccept();
  }
  cEchoRequest(req, cb) {
    say("echo");
    const rsp = CEchoResponse.fromRequest(req);
    rsp.setStatus(Status.Success);
    cb(rsp);
  }
  createStoreWritableStream() {
    return new Collect();
  }
  createDatasetFromStoreWritableStream(w, ctx, cb) {
    const buf = Buffer.concat(w.parts);
    const ts = ctx.getAcceptedTransferSyntaxUid();
    let parsed;
    try {
      const ds = new Dataset(buf, ts);
      parsed = ds.getElement("SOPInstanceUID") || "unparsed: no SOPInstanceUID";
    } catch (e) {
      parsed = `unparsed: ${String(e.message || e).split("\n")[0]}`;
    }
    const ds = new Dataset({}, ts);
    ds.raw = buf;
    ds.parsed = parsed;
    cb(ds);
  }
  cStoreRequest(req, cb) {
    const ds = req.getDataset();
    stores++;
    fs.writeFileSync(path.join(dir, `${stores}.ds`), ds.raw);
    say(
      "store",
      stores,
      req.getAffectedSopClassUid(),
      req.getAffectedSopInstanceUid(),
      ds.getTransferSyntaxUid(),
      ds.parsed
    );
    if (abortAfter && stores === abortAfter) {
      say("abort-sent");
      this.sendAbort();
      return;
    }
    const rsp = CStoreResponse.fromRequest(req);
    const st = statuses[Math.min(stores, statuses.length) - 1];
    const hex = st.toString(16).toUpperCase().padStart(4, "0");
    rsp.setStatus(st);
    if (st !== Status.Success) rsp.setErrorComment(`dcmjs-dimse says ${hex}`);
    if (!hold) {
      cb(rsp);
      return;
    }
    const n = stores;
    held.push(() => {
      say("rsp", n, hex);
      cb(rsp);
    });
    if (held.length >= hold) flush();
    else if (!holdTimer) holdTimer = setTimeout(flush, 10000);
  }
  associationReleaseRequested() {
    say("release");
    this.sendAssociationReleaseResponse();
  }
  abort() {
    say("aborted");
  }
}

const server = new Server(StoreScp);
server.on("networkError", (e) => {
  process.stderr.write(`dimse-scp: ${e.message}\n`);
  if (e.code === "EADDRINUSE") process.exit(1);
});
server.listen(Number(port));
process.on("SIGTERM", () => {
  server.close();
  process.exit(0);
});
