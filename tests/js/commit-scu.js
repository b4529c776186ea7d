#!/usr/bin/env node
// commit-scu.js - dcmjs-dimse's Client as a Storage Commitment requester
// (PS3.4 Annex J) toward an archive, for tests/interop/dcmjs-commit.bats.
//   node commit-scu.js HOST PORT [options] FILE... [-- REF...]
// Stores each FILE (C-STORE), then sends one N-ACTION naming each REF
// (CLASS:INSTANCE, or the FILEs' own class and instance when no REF is
// given).  Options:
//   --tx UID        the Transaction UID (default: a new 2.25 one)
//   --twice         the same N-ACTION again (the same Transaction UID)
//   --linger MS     keep the association open MS ms after the last
//                   response, for a report on it (default 0: release)
//   --reports N     with --linger: release as soon as N reports came on it
//   --listen PORT   also serve the archive's association on PORT (the
//                   SCP role accepted for the commitment class), until a
//                   report came there after our association closed
//   --wait MS       with --listen: stay that long at most (default 10000)
// One line per event on stdout, all tab-separated:
//   store STATUS | action STATUS | released | listening
//   report WHERE EVENT TX   (WHERE same | new; then one line per instance:)
//   ok CLASS INSTANCE | failed CLASS INSTANCE REASON(hex)
//   role SCU SCP            (the roles the archive proposed, on a new one)
"use strict";
const crypto = require("crypto");
const dimse = require("dcmjs-dimse");
const { Client, Server, Scp, Dataset } = dimse;
const { CStoreRequest, NActionRequest } = dimse.requests;
const { NEventReportResponse } = dimse.responses;
const { Status, PresentationContextResult } = dimse.constants;

dimse.log.setLevel(process.env.DIMSE_LOG || "error");
const COMMIT = "1.2.840.10008.1.20.1";
const COMMIT_INSTANCE = "1.2.840.10008.1.20.1.1";
const say = (...f) => process.stdout.write(f.join("\t") + "\n");
const hex = (s) => Number(s).toString(16).toUpperCase().padStart(4, "0");

const args = process.argv.slice(2);
const [host, port] = args.splice(0, 2);
let tx = "2.25." + BigInt("0x" + crypto.randomBytes(15).toString("hex")).toString();
let twice = false, linger = 0, listen = 0, wait = 10000, want = 0;
let reports = 0, closed = false, lateReport = false;
const files = [], refs = [];
let afterDash = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (afterDash) refs.push(a);
  else if (a === "--") afterDash = true;
  else if (a === "--tx") tx = args[++i];
  else if (a === "--twice") twice = true;
  else if (a === "--linger") linger = Number(args[++i]);
  else if (a === "--reports") want = Number(args[++i]);
  else if (a === "--listen") listen = Number(args[++i]);
  else if (a === "--wait") wait = Number(args[++i]);
  else files.push(a);
}

// One report: its instances, one line each.
function report(where, req) {
  const ds = req.getDataset();
  say("report", where, req.getEventTypeId(), ds.getElement("TransactionUID"));
  for (const r of ds.getElement("ReferencedSOPSequence") || [])
    say("ok", r.ReferencedSOPClassUID, r.ReferencedSOPInstanceUID);
  for (const r of ds.getElement("FailedSOPSequence") || [])
    say("failed", r.ReferencedSOPClassUID, r.ReferencedSOPInstanceUID, hex(r.FailureReason));
  const rsp = NEventReportResponse.fromRequest(req);
  rsp.setStatus(Status.Success);
  return rsp;
}

class ReportScp extends Scp {
  associationRequested(assoc) {
    for (const c of assoc.getPresentationContexts()) {
      const ctx = assoc.getPresentationContext(c.id);
      if (ctx.getAbstractSyntaxUid() !== COMMIT) {
        ctx.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
        continue;
      }
      say("role", ctx.getUserRole() ? 1 : 0, ctx.getProviderRole() ? 1 : 0);
      ctx.setResult(PresentationContextResult.Accept, ctx.getTransferSyntaxUids()[0]);
    }
    this.sendAssociationAccept();
  }
  nEventReportRequest(req, cb) {
    cb(report("new", req));
    lateReport = closed;
  }
  associationReleaseRequested() {
    this.sendAssociationReleaseResponse();
    if (lateReport) setTimeout(finish, 100);
  }
  abort() {}
}

function action() {
  const items = refs.map((r) => {
    const [c, i] = r.split(":");
    return { ReferencedSOPClassUID: c, ReferencedSOPInstanceUID: i };
  });
  const rq = new NActionRequest(COMMIT, COMMIT_INSTANCE, 1);
  rq.setDataset(new Dataset({ TransactionUID: tx, ReferencedSOPSequence: items }));
  rq.on("response", (r) => say("action", hex(r.getStatus())));
  return rq;
}

const client = new Client();
const own = refs.length === 0;
for (const f of files) {
  const rq = new CStoreRequest(f);
  if (own)
    refs.push(`${rq.getAffectedSopClassUid()}:${rq.getAffectedSopInstanceUid()}`);
  rq.on("response", (r) => say("store", hex(r.getStatus())));
  client.addRequest(rq);
}
client.addRequest(action());
if (twice) client.addRequest(action());
client.on("nEventReportRequest", (req, cb) => {
  cb(report("same", req));
  if (want && ++reports === want) client.network.sendAssociationReleaseRequest();
});
client.on("associationReleased", () => say("released"));
client.on("networkError", (e) => say("error", String(e.message || e)));

let server;
function finish() {
  if (server) server.close();
  process.exit(0);
}
client.on("closed", () => {
  closed = true;
  if (!listen) finish();
  else setTimeout(finish, wait);
});
const go = () => client.send(host, Number(port), "DCMJS", "DCMRECV",
  { associationTimeout: 10000, pduTimeout: 10000, associationLingerTimeout: linger });
if (listen) {
  server = new Server(ReportScp);
  server.on("listening", () => {
    say("listening");
    go();
  });
  server.on("networkError", (e) => say("error", String(e.message || e)));
  server.listen(listen);
} else go();
