#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A TLS server that behaves like the Apigee hybrid ingress gateway (Envoy) for the
checks that matter here: certificate choice by SNI, and a TCP reset when no filter
chain matches.

For each connection it peeks (MSG_PEEK) at the ClientHello, parses the server_name
extension itself, and picks a route:

  SNI given   -> the route whose hostnames match it (exact or '*.domain'),
                 else a wildcard route (hostnames ['*']) if one exists,
                 else RESET (filter_chain_not_found, sni_host = the name)
  no SNI      -> a wildcard route with enableNonSniClient true,
                 else RESET (filter_chain_not_found, sni_host '-')

Routes whose state is not 'running' are not programmed.  A route whose TLS secret
is missing resets without an access-log line; a route whose certificate or key
does not load (malformed PEM, key mismatch) answers the ClientHello with a fatal
handshake_failure alert.  After a handshake it reads one HTTP/1.1 request, answers
with the configured status (200 by default) and closes.  A wildcard route that no
virtual host lists in additionalGateways completes the handshake but answers 404
route_not_found.

Every reset and every answered request appends one access-log line in Apigee's
default JSON format (all values strings, '-' when unset) to the log file of one of
the ingress pods (round robin), which fake_kube serves as the pod's istio-proxy log.

Config (JSON):
  {"routes": [{"name", "hostnames", "enableNonSniClient", "state", "cert", "key",
               "credential_present": true, "attached": true, "upstream_cluster"}],
   "responses": {"HOST": {"status": 503, "body": "...", "content_type": "..."}},
   "default_response": {"status": 200, ...},
   "access_logs": ["PATH", ...]}

Standalone:  python3 fake_ingress.py --config ingress.json [--port-file F] [--lifetime S]
"""

import argparse
import hashlib
import json
import os
import socket
import ssl
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ACCESS_LOG_KEYS = ["start_time", "remote_address", "user_agent", "host", "request", "request_time", "status",
                   "status_details", "bytes_received", "bytes_sent", "upstream_address", "upstream_response_flags",
                   "upstream_response_time", "upstream_service_time", "upstream_cluster", "x_forwarded_for",
                   "request_method", "request_path", "request_protocol", "tls_protocol", "request_id", "sni_host",
                   "apigee_dynamic_data"]

ALERT_HANDSHAKE_FAILURE = b"\x15\x03\x03\x00\x02\x02\x28"

REASONS = {200: "OK", 204: "No Content", 301: "Moved Permanently", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def access_line(**kw):
    """One access-log line in the Apigee default format: every value a string, '-' when unset."""
    d = {}
    for k in ACCESS_LOG_KEYS:
        v = kw.get(k)
        d[k] = "-" if v is None or v == "" else str(v)
    return json.dumps(d, separators=(",", ":"))


def reset_line(start, remote, sni=None, duration_ms=0):
    return access_line(start_time=common.rfc3339(start, 3), remote_address=remote, request="- - -",
                       request_time=duration_ms, status=0, status_details="filter_chain_not_found",
                       bytes_received=0, bytes_sent=0, upstream_response_flags="NR", sni_host=sni)


def request_id(seed):
    return str(uuid.UUID(bytes=hashlib.sha256(seed.encode()).digest()[:16], version=4))


# ---------------------------------------------------------------- ClientHello parsing

NEED_MORE, NOT_TLS, OK = "need_more", "not_tls", "ok"


def parse_client_hello(buf):
    """-> (status, sni or None, bytes of the records holding the ClientHello)."""
    hs, i = b"", 0
    while True:
        if len(buf) < i + 5:
            return NEED_MORE, None, 0
        ctype, ln = buf[i], int.from_bytes(buf[i + 3:i + 5], "big")
        if ctype != 22 or buf[i + 1] != 3:
            return NOT_TLS, None, 0
        if len(buf) < i + 5 + ln:
            return NEED_MORE, None, 0
        hs += buf[i + 5:i + 5 + ln]
        i += 5 + ln
        if len(hs) >= 4:
            if hs[0] != 1:
                return NOT_TLS, None, 0
            hlen = int.from_bytes(hs[1:4], "big")
            if len(hs) >= 4 + hlen:
                break
    body = hs[4:4 + hlen]
    try:
        p = 2 + 32
        p += 1 + body[p]
        p += 2 + int.from_bytes(body[p:p + 2], "big")
        p += 1 + body[p]
        if p + 2 > len(body):
            return OK, None, i
        end = p + 2 + int.from_bytes(body[p:p + 2], "big")
        p += 2
        while p + 4 <= end:
            et = int.from_bytes(body[p:p + 2], "big")
            el = int.from_bytes(body[p + 2:p + 4], "big")
            data = body[p + 4:p + 4 + el]
            p += 4 + el
            if et == 0 and len(data) >= 5:
                q = 2
                while q + 3 <= len(data):
                    nt = data[q]
                    nl = int.from_bytes(data[q + 1:q + 3], "big")
                    name = data[q + 3:q + 3 + nl]
                    q += 3 + nl
                    if nt == 0 and name:
                        return OK, name.decode("ascii", "replace").lower().rstrip("."), i
        return OK, None, i
    except IndexError:
        return NOT_TLS, None, 0


def host_matches(pattern, name):
    pattern = pattern.lower()
    if pattern == name:
        return True
    if pattern.startswith("*.") and pattern != "*":
        suffix = pattern[1:]
        return name.endswith(suffix) and "." not in name[: -len(suffix)] and len(name) > len(suffix)
    return False


# ---------------------------------------------------------------- server

class IngressServer:
    def __init__(self, activity=None, stop_event=None):
        self.sock = common.listen_socket(128)
        self.port = self.sock.getsockname()[1]
        self.activity = activity or common.Activity()
        self.stop_event = stop_event or threading.Event()
        self.routes = []
        self.cfg = {}
        self.log_lock = threading.Lock()
        self.counter = 0
        self.contexts = {}

    def configure(self, cfg):
        self.cfg = cfg
        self.routes = [dict(r) for r in cfg.get("routes", [])]
        for r in self.routes:
            r["_ctx"] = None
            r["_load_error"] = None
            if not r.get("credential_present", True):
                continue
            try:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.minimum_version = ssl.TLSVersion.TLSv1_2
                ctx.load_cert_chain(r["cert"], r["key"])
                ctx.set_alpn_protocols(["http/1.1"])
                ctx.sni_callback = self._sni_callback
                r["_ctx"] = ctx
            except (ssl.SSLError, OSError, KeyError) as e:
                r["_load_error"] = str(e)

    def _sni_callback(self, sslsock, name, ctx):
        """The context is chosen from the peeked ClientHello before the handshake; this
        callback (run by OpenSSL on the server_name extension) re-checks the choice and
        switches the certificate if the SSL layer saw another name."""
        route = self.pick(name.lower().rstrip(".") if name else None)
        if route is None or route.get("_ctx") is None:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME if name else None
        if route["_ctx"] is not ctx:
            sslsock.context = route["_ctx"]
        return None

    # ---- route choice
    def pick(self, sni):
        live = [r for r in self.routes if r.get("state", "running") == "running"]
        if sni:
            for r in live:
                if any(h != "*" and host_matches(h, sni) for h in r.get("hostnames", [])):
                    return r
            for r in live:
                if "*" in r.get("hostnames", []):
                    return r
            return None
        for r in live:
            if "*" in r.get("hostnames", []) and r.get("enableNonSniClient") is True:
                return r
        return None

    # ---- access log
    def write_log(self, line):
        logs = self.cfg.get("access_logs") or []
        if not logs:
            return
        with self.log_lock:
            path = logs[self.counter % len(logs)]
            self.counter += 1
            with open(path, "a") as f:
                f.write(line + "\n")

    # ---- connection handling
    def serve(self):
        self.sock.settimeout(0.1)
        while not self.stop_event.is_set():
            try:
                conn, addr = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                if self.stop_event.is_set():
                    return
                continue
            self.activity.touch()
            threading.Thread(target=self.handle, args=(conn, addr), daemon=True, name="ingress-conn").start()

    def start(self):
        t = threading.Thread(target=self.serve, name="ingress", daemon=True)
        t.start()
        return t

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def peek_hello(self, conn):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not self.stop_event.is_set():
            try:
                conn.settimeout(max(0.05, deadline - time.monotonic()))
                buf = conn.recv(65536, socket.MSG_PEEK)
            except (socket.timeout, OSError):
                return None, None, 0
            if not buf:
                return None, None, 0
            st, sni, n = parse_client_hello(buf)
            if st != NEED_MORE:
                return st, sni, n
            time.sleep(0.01)
        return None, None, 0

    def handle(self, conn, addr):
        start = common.utcnow()
        t0 = time.monotonic()
        remote = "%s:%d" % addr[:2]
        try:
            st, sni, nbytes = self.peek_hello(conn)
            if st is None:
                conn.close()
                return
            if st == NOT_TLS:
                self.write_log(reset_line(start, remote, None, int((time.monotonic() - t0) * 1000)))
                common.reset_close(conn)
                return
            route = self.pick(sni)
            if route is None:
                self.write_log(reset_line(start, remote, sni, int((time.monotonic() - t0) * 1000)))
                common.reset_close(conn)
                return
            if not route.get("credential_present", True):
                common.reset_close(conn)          # SDS secret missing: no usable filter chain
                return
            if route["_ctx"] is None:             # certificate/key did not load
                self.send_alert(conn, nbytes)
                return
            self.tls_session(conn, route, sni, start, t0, remote)
        except Exception as e:  # never let one connection kill the server
            common.log("ingress: connection error: %r" % (e,))
            try:
                conn.close()
            except OSError:
                pass

    def send_alert(self, conn, nbytes):
        try:
            conn.settimeout(5)
            got = 0
            while got < nbytes:
                chunk = conn.recv(nbytes - got)
                if not chunk:
                    break
                got += len(chunk)
            conn.sendall(ALERT_HANDSHAKE_FAILURE)
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(1)
            while conn.recv(4096):
                pass
        except OSError:
            pass
        finally:
            conn.close()

    def tls_session(self, conn, route, sni, start, t0, remote):
        tls = route["_ctx"].wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        try:
            tls.settimeout(10)
            try:
                tls.do_handshake()
            except (ssl.SSLError, OSError):
                return
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                try:
                    chunk = tls.recv(8192)
                except (socket.timeout, ssl.SSLError, OSError):
                    chunk = b""
                if not chunk:
                    break
                data += chunk
            if b"\r\n\r\n" not in data:
                return                              # handshake only (openssl s_client, probes)
            head, _, rest = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            method, path, proto = (parts + ["-", "-", "-"])[:3]
            hdrs = {}
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                hdrs[k.strip().lower()] = v.strip()
            clen = int(hdrs.get("content-length", "0") or 0)
            while len(rest) < min(clen, 1 << 20):
                chunk = tls.recv(8192)
                if not chunk:
                    break
                rest += chunk
            host = hdrs.get("host", "")
            hostname = host.rsplit(":", 1)[0] if host and not host.startswith("[") else host
            if sni is None and not route.get("attached", True):
                status, body, ctype, details, flags = 404, b"", "text/plain", "route_not_found", "NR"
                upstream = None
            else:
                resp = dict(self.cfg.get("default_response") or {})
                resp.update((self.cfg.get("responses") or {}).get(hostname or sni or "", {}))
                status = int(resp.get("status", 200))
                default_body = json.dumps({"message": "hello from the simulated Apigee runtime",
                                           "route": route["name"], "host": hostname, "path": path}) + "\n"
                body = resp.get("body", default_body).encode()
                ctype = resp.get("content_type", "application/json")
                details = resp.get("status_details", "via_upstream")
                flags = resp.get("flags", "-")
                upstream = route.get("upstream_cluster")
            rid = hdrs.get("x-request-id") or request_id("%s%s%f" % (remote, path, t0))
            head_out = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Status")),
                        "date: " + time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
                        "content-type: " + ctype, "content-length: %d" % len(body),
                        "x-request-id: " + rid, "connection: close"]
            for k, v in (self.cfg.get("extra_headers") or {}).items():
                head_out.append("%s: %s" % (k, v))
            out = ("\r\n".join(head_out) + "\r\n\r\n").encode() + (body if method != "HEAD" else b"")
            try:
                tls.sendall(out)
            except OSError:
                pass
            dur = int((time.monotonic() - t0) * 1000)
            self.write_log(access_line(
                start_time=common.rfc3339(start, 3), remote_address=remote, user_agent=hdrs.get("user-agent"),
                host=host, request="%s %s %s" % (method, path, proto), request_time=dur, status=status,
                status_details=details, bytes_received=len(rest), bytes_sent=len(body),
                upstream_address="10.8.0.12:8443" if upstream else None, upstream_response_flags=flags,
                upstream_response_time=1 if upstream else None, upstream_service_time=1 if upstream else None,
                upstream_cluster=upstream, x_forwarded_for=addr_ip(remote), request_method=method,
                request_path=path, request_protocol=proto, tls_protocol=tls.version(), request_id=rid,
                sni_host=sni))
            try:
                tls.unwrap()
            except (ssl.SSLError, OSError):
                pass
        finally:
            try:
                tls.close()
            except OSError:
                pass


def addr_ip(remote):
    return remote.rsplit(":", 1)[0]


class ResetServer:
    """Accepts, waits briefly for the first bytes, then resets: a port that resets everything."""

    def __init__(self, stop_event):
        self.sock = common.listen_socket(64)
        self.port = self.sock.getsockname()[1]
        self.stop_event = stop_event

    def serve(self):
        self.sock.settimeout(0.1)
        while not self.stop_event.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        try:
            conn.settimeout(2)
            conn.recv(1, socket.MSG_PEEK)
        except OSError:
            pass
        common.reset_close(conn)

    def start(self):
        threading.Thread(target=self.serve, name="reset", daemon=True).start()

    def close(self):
        self.sock.close()


class BlackholeServer:
    """A listening socket that never accepts nor reads: connections hang until the client gives up."""

    def __init__(self):
        self.sock = common.listen_socket(4)
        self.port = self.sock.getsockname()[1]

    def start(self):
        pass

    def close(self):
        self.sock.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--port-file")
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("--watch-pid", type=int, default=os.getppid())
    a = ap.parse_args(argv)
    stop = threading.Event()
    srv = IngressServer(stop_event=stop)
    srv.configure(common.read_json(a.config))
    srv.start()
    if a.port_file:
        common.write_text(a.port_file, "%d\n" % srv.port)
    print("INGRESS_PORT=%d" % srv.port, flush=True)
    common.Watchdog(stop, a.lifetime, a.watch_pid).start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    srv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
