#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A fake Apigee management API (v1) over HTTPS.

GET only:
  /v1/organizations/{org}
  /v1/organizations/{org}/environments            (a JSON array of names, as the real API)
  /v1/organizations/{org}/environments/{env}
  /v1/organizations/{org}/instances                (paginated: pageSize, pageToken, nextPageToken)
  /v1/organizations/{org}/instances/{i}
  /v1/organizations/{org}/instances/{i}/attachments   (paginated)
  /v1/organizations/{org}/envgroups                (paginated)
  /v1/organizations/{org}/envgroups/{g}
  /v1/organizations/{org}/envgroups/{g}/attachments   (paginated)

Every request needs `Authorization: Bearer <token>`; otherwise 401 with Google's
verbatim error envelope.  Another org -> 403 PERMISSION_DENIED (what Google answers
for an org you cannot see); unknown instance/envgroup -> 404 NOT_FOUND.

Faults (config "faults": [{"match": REGEX, "mode": MODE, "times": N}], first match wins):
  500        500 INTERNAL every time
  500-then-ok   500 for the first `times` (default 1) requests to each path, then normal
  429        429 RESOURCE_EXHAUSTED with Retry-After every time
  429-then-ok   429 + Retry-After for the first `times` requests to each path, then normal
  garbage    200, Content-Type application/json, a truncated JSON document plus binary junk
  404        404 NOT_FOUND
  401        401 whatever the token
  hang       accept the request and never answer

Config (JSON): {"org": "myorg", "token": "...", "organization": {...}, "environments": {...},
  "instances": [...], "instance_attachments": {"i": [...]}, "envgroups": [...],
  "envgroup_attachments": {"g": [...]}, "max_page_size": 1000, "faults": [...],
  "cert": PEM, "key": PEM, "request_log": PATH}

Standalone:  python3 fake_mgmt.py --config mgmt.json [--port-file F] [--lifetime S]
"""

import argparse
import base64
import json
import os
import re
import ssl
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# VERBATIM (shared/domain/samples/apigee-api/error-401.verbatim.json)
ERROR_401 = (b'{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 '
             b'access token, login cookie or other valid authentication credential. See '
             b'https://developers.google.com/identity/sign-in/web/devconsole-project.","status":"UNAUTHENTICATED"}}')

GARBAGE = (b'{"name": "myorg", "environments": ["dev", "pr' + b"\x00\xff\xfe<html><body>502 Bad Gateway"
           b"</body></html>\x1b[31m\xc3\x28")


def gerror(code, status, message):
    return {"error": {"code": code, "message": message, "status": status}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ESF"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def _reqlog(self, code):
        path = self.server.request_log
        if not path:
            return
        line = json.dumps({"t": common.rfc3339(common.utcnow(), 3), "method": self.command, "path": self.path,
                           "auth": bool(self.headers.get("Authorization")), "code": code})
        with self.server.lock:
            with open(path, "a") as f:
                f.write(line + "\n")

    def send(self, code, body, ctype="application/json; charset=UTF-8", extra=None):
        if isinstance(body, (dict, list)):
            body = (json.dumps(body, indent=2) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Vary", "Origin, X-Origin, Referer")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self._reqlog(code)

    def do_GET(self):
        self.server.activity.touch()
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def do_POST(self):
        self.server.activity.touch()
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(min(n, 1 << 20))
        self.send(403, gerror(403, "PERMISSION_DENIED", "The simulated management API is read-only."))

    do_PUT = do_PATCH = do_DELETE = do_POST

    def hang(self):
        self._reqlog("hang")
        self.close_connection = True
        while not self.server.stop_event.is_set():
            self.server.stop_event.wait(0.5)

    def fault(self, path):
        cfg = self.server.cfg
        for i, f in enumerate(cfg.get("faults") or []):
            if not re.search(f.get("match", ".*"), path):
                continue
            mode = f["mode"]
            if mode.endswith("-then-ok"):
                with self.server.lock:
                    key = (i, path)
                    n = self.server.counts.get(key, 0)
                    self.server.counts[key] = n + 1
                if n >= int(f.get("times", 1)):
                    return False
                mode = mode[: -len("-then-ok")]
            if mode == "500":
                self.send(500, gerror(500, "INTERNAL", "Internal error encountered."))
            elif mode == "429":
                self.send(429, gerror(429, "RESOURCE_EXHAUSTED",
                                      "Quota exceeded for quota metric 'Read requests' and limit 'Read requests "
                                      "per minute' of service 'apigee.googleapis.com'."),
                          extra={"Retry-After": str(f.get("retry_after", 1))})
            elif mode == "garbage":
                self.send(200, GARBAGE)
            elif mode == "404":
                self.send(404, gerror(404, "NOT_FOUND", "Requested entity was not found."))
            elif mode == "401":
                self.send(401, ERROR_401, extra={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
            elif mode == "hang":
                self.hang()
            else:
                return False
            return True
        return False

    def page(self, key, items, q):
        cfg = self.server.cfg
        mx = int(cfg.get("max_page_size", 1000))
        try:
            size = int(q.get("pageSize") or mx)
            start = int(base64.urlsafe_b64decode(q["pageToken"].encode()).decode()) if q.get("pageToken") else 0
        except (ValueError, TypeError):
            self.send(400, gerror(400, "INVALID_ARGUMENT", "Invalid page token."))
            return
        size = max(1, min(size, mx))
        chunk = items[start:start + size]
        out = {}
        if chunk:
            out[key] = chunk
        if start + size < len(items):
            out["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        self.send(200, out)

    def route(self):
        cfg = self.server.cfg
        u = urllib.parse.urlsplit(self.path)
        path = u.path.rstrip("/")
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query).items()}
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:].strip() != cfg.get("token"):
            return self.send(401, ERROR_401, extra={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
        if self.fault(path):
            return
        m = re.match(r"^/v1/organizations/([^/]+)(?:/(.*))?$", path)
        if not m:
            return self.send(404, b"<!DOCTYPE html>\n<html lang=en><title>Error 404 (Not Found)!!1</title>"
                                  b"<p><b>404.</b> <ins>That\xe2\x80\x99s an error.</ins>\n",
                             ctype="text/html; charset=UTF-8")
        org, rest = m.group(1), m.group(2) or ""
        if org != cfg.get("org"):
            return self.send(403, gerror(403, "PERMISSION_DENIED",
                                         'Permission denied on resource "organizations/%s" (or it may not exist)'
                                         % org))
        parts = rest.split("/") if rest else []
        nf = gerror(404, "NOT_FOUND", "Requested entity was not found.")
        if not parts:
            return self.send(200, cfg["organization"])
        if parts[0] == "environments":
            envs = cfg.get("environments", {})
            if len(parts) == 1:
                return self.send(200, list(envs))
            if len(parts) == 2 and parts[1] in envs:
                return self.send(200, envs[parts[1]])
            return self.send(404, gerror(404, "NOT_FOUND", 'environment "%s" not found' % "/".join(parts[1:])))
        if parts[0] == "instances":
            insts = cfg.get("instances", [])
            if len(parts) == 1:
                return self.page("instances", insts, q)
            inst = next((i for i in insts if i["name"] == parts[1]), None)
            if inst is None:
                return self.send(404, nf)
            if len(parts) == 2:
                return self.send(200, inst)
            if len(parts) == 3 and parts[2] == "attachments":
                return self.page("attachments", cfg.get("instance_attachments", {}).get(parts[1], []), q)
            return self.send(404, nf)
        if parts[0] == "envgroups":
            groups = cfg.get("envgroups", [])
            if len(parts) == 1:
                return self.page("environmentGroups", groups, q)
            g = next((x for x in groups if x["name"] == parts[1]), None)
            if g is None:
                return self.send(404, nf)
            if len(parts) == 2:
                return self.send(200, g)
            if len(parts) == 3 and parts[2] == "attachments":
                return self.page("environmentGroupAttachments",
                                 cfg.get("envgroup_attachments", {}).get(parts[1], []), q)
        return self.send(404, nf)


class MgmtServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, activity=None, stop_event=None):
        super().__init__((common.LOOPBACK, 0), Handler)
        self.activity = activity or common.Activity()
        self.stop_event = stop_event or threading.Event()
        self.cfg = {}
        self.ctx = None
        self.lock = threading.Lock()
        self.counts = {}
        self.request_log = None

    @property
    def port(self):
        return self.server_address[1]

    def configure(self, cfg):
        self.cfg = cfg
        self.request_log = cfg.get("request_log")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cfg["cert"], cfg["key"])
        ctx.set_alpn_protocols(["http/1.1"])
        self.ctx = ctx

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def finish_request(self, request, client_address):
        try:
            request.settimeout(10)
            request.do_handshake()
            request.settimeout(60)
        except (OSError, ssl.SSLError):
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass

    def start(self):
        t = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="mgmt", daemon=True)
        t.start()
        return t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--port-file")
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("--watch-pid", type=int, default=os.getppid())
    a = ap.parse_args(argv)
    stop = threading.Event()
    srv = MgmtServer(stop_event=stop)
    srv.configure(common.read_json(a.config))
    srv.start()
    if a.port_file:
        common.write_text(a.port_file, "%d\n" % srv.port)
    print("MGMT_PORT=%d" % srv.port, flush=True)
    common.Watchdog(stop, a.lifetime, a.watch_pid).start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    srv.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
