#!/usr/bin/python3
"""stow-capture.py DIR: a STOW-RS stub for tests/interop/dicom3tools.bats.
Listens on 127.0.0.1 port 0 (the port into DIR/port), and writes each
part of each multipart/related POST into DIR/part-N.dcm, as it came;
answers 200 with an empty JSON object (dcmsend then reports every
instance "failed": the response does not name it).  Runs until killed."""
import http.server
import os
import sys

OUT = sys.argv[1]
count = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    def body(self):
        if self.headers.get("Content-Length"):
            return self.rfile.read(int(self.headers["Content-Length"]))
        data = b""
        while True:  # chunked
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                self.rfile.readline()
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    def do_POST(self):
        data = self.body()
        boundary = self.headers["Content-Type"].split("boundary=")[1]
        boundary = boundary.split(";")[0].strip('"').encode()
        for part in data.split(b"--" + boundary)[1:]:
            if part.startswith(b"--"):
                break
            head, _, value = part.partition(b"\r\n\r\n")
            count[0] += 1
            with open(os.path.join(OUT, "part-%d.dcm" % count[0]), "wb") as f:
                f.write(value[:-2] if value.endswith(b"\r\n") else value)
        self.send_response(200)
        self.send_header("Content-Type", "application/dicom+json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(OUT, "port.tmp"), "w") as f:
    f.write(str(server.server_port))
os.rename(os.path.join(OUT, "port.tmp"), os.path.join(OUT, "port"))
server.serve_forever()
