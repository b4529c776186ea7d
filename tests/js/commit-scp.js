#!/usr/bin/env node
// commit-scp.js - dcmjs-dimse's Server as an archive that stores and
// commits, with a report bent as asked, for tests/interop/dcmjs-commit.bats.
//   node commit-scp.js PORT MODE
// Accepts every presentation context (first proposed syntax), answers every
// C-STORE 0000 and the N-ACTION 0000, then sends the N-EVENT-REPORT on the
// same association.  MODE:
//   ok       every requested instance committed
//   extra    as ok, plus an instance nobody asked for in each list
//   missing  the last requested instance named in neither list
//   both     the first requested instance in both lists (committed first)
//   early    as ok, the report sent before the N-ACTION's response
//   class    as ok, the first instance named with another SOP class (CT)
//   new:PORT as ok, the report on a new association to 127.0.0.1:PORT
//            (dcmjs-dimse's Client: no SCP/SCU Role Selection proposed),
//            once the requester released; prints "report-rsp STATUS"
//   skipfirst:PORT:MS  the first N-ACTION (of any association) never
//            reported; each later one as new:PORT, MS ms after the release
//   noreason the last requested instance failed without a Failure Reason
//   never    no report at all
//   warn     as ok, the N-ACTION answered B000 (a Warning) with an Error
//            Comment
//   stray    as ok, a report for a Transaction UID nobody asked first;
//            prints "stray-rsp STATUS COMMENT" (its response)
// One line per event on stdout: "action N" (instances requested), "report".
"use strict";
const dimse = require("dcmjs-dimse");
const { Server, Scp, Dataset, Client } = dimse;
const { CStoreResponse, NActionResponse } = dimse.responses;
const { NEventReportRequest } = dimse.requests;
const { Status, PresentationContextResult } = dimse.constants;

dimse.log.setLevel(process.env.DIMSE_LOG || "error");

const [port, modeArg] = process.argv.slice(2);
const [mode, newPort, lateMs] = modeArg.split(":");
let actions = 0; // N-ACTIONs seen, on every association
const COMMIT = "1.2.840.10008.1.20.1";
const COMMIT_INSTANCE = "1.2.840.10008.1.20.1.1";
const say = (...f) => process.stdout.write(f.join("\t") + "\n");

class CommitScp extends Scp {
  associationRequested(assoc) {
    for (const c of assoc.getPresentationContexts()) {
      const ctx = assoc.getPresentationContext(c.id);
      ctx.setResult(PresentationContextResult.Accept, ctx.getTransferSyntaxUids()[0]);
    }
    this.sendAssociationAccept();
  }
  cStoreRequest(req, cb) {
    const rsp = CStoreResponse.fromRequest(req);
    rsp.setStatus(Status.Success);
    cb(rsp);
  }
  nActionRequest(req, cb) {
    const ds = req.getDataset();
    const refs = ds.getElement("ReferencedSOPSequence") || [];
    const tx = ds.getElement("TransactionUID");
    say("action", refs.length);
    actions++;
    const rsp = NActionResponse.fromRequest(req);
    rsp.setStatus(Status.Success);
    if (mode === "warn") {
      rsp.setStatus(0xb000);
      rsp.setErrorComment("queued behind a migration");
    }
    if (mode !== "early") cb(rsp);
    if (mode === "never" || (mode === "skipfirst" && actions === 1)) return;
    const item = (r) => ({
      ReferencedSOPClassUID: r.ReferencedSOPClassUID,
      ReferencedSOPInstanceUID: r.ReferencedSOPInstanceUID,
    });
    const stranger = { ReferencedSOPClassUID: "1.2.840.10008.5.1.4.1.1.7",
      ReferencedSOPInstanceUID: "1.2.3.4.5.6.7.8.9" };
    let ok = refs.map(item);
    let failed = [];
    if (mode === "extra") {
      ok.push(stranger);
      failed.push({ ...stranger, ReferencedSOPInstanceUID: "1.2.3.4.5.6.7.8.10",
        FailureReason: 0x0112 });
    } else if (mode === "missing") {
      ok.pop();
    } else if (mode === "both") {
      failed.push({ ...item(refs[0]), FailureReason: 0x0110 });
    } else if (mode === "class") {
      ok[0].ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2";
    } else if (mode === "noreason") {
      failed.push(item(ok.pop()));
    }
    const elems = { TransactionUID: tx, ReferencedSOPSequence: ok };
    if (failed.length) elems.FailedSOPSequence = failed;
    const ev = new NEventReportRequest(COMMIT, COMMIT_INSTANCE, failed.length ? 2 : 1);
    ev.setDataset(new Dataset(elems, ds.getTransferSyntaxUid()));
    if (mode === "new" || mode === "skipfirst") {
      this.pendingReport = ev;
      return;
    }
    if (mode === "early") { // the report before the N-ACTION's response
      say("report");
      this.sendRequests(ev);
      setTimeout(() => cb(rsp), 50);
      return;
    }
    if (mode === "stray") { // first a report for a transaction of nobody's
      const st = new NEventReportRequest(COMMIT, COMMIT_INSTANCE, 1);
      st.setDataset(new Dataset({ TransactionUID: "1.2.826.0.1.3680043.10.99.999",
        ReferencedSOPSequence: ok }, ds.getTransferSyntaxUid()));
      st.on("response", (r) => {
        say("stray-rsp", r.getStatus().toString(16).padStart(4, "0"),
          r.getErrorComment() || "");
        say("report");
        this.sendRequests(ev);
      });
      setTimeout(() => this.sendRequests(st), 50);
      return;
    }
    setTimeout(() => {
      say("report");
      this.sendRequests(ev);
    }, 50);
  }
  associationReleaseRequested() {
    this.sendAssociationReleaseResponse();
    const ev = this.pendingReport;
    if (!ev) return;
    this.pendingReport = undefined;
    setTimeout(() => { // as an archive does: later, on its own association
      const client = new Client();
      ev.on("response", (r) => say("report-rsp", r.getStatus().toString(16).padStart(4, "0")));
      client.addRequest(ev);
      client.on("networkError", (e) => say("report-error", String(e.message || e)));
      say("report");
      client.send("127.0.0.1", Number(newPort), "ARCHIVE", "DCMSEND");
    }, mode === "skipfirst" ? Number(lateMs) : 100);
  }
  abort() {}
}

const server = new Server(CommitScp);
server.on("networkError", (e) => {
  process.stderr.write(`commit-scp: ${e.message}\n`);
  if (e.code === "EADDRINUSE") process.exit(1);
});
server.listen(Number(port));
process.on("SIGTERM", () => {
  server.close();
  process.exit(0);
});
