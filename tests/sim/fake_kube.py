#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A fake Kubernetes API server good enough for the real `kubectl` (1.20 .. 1.32).

Read-only.  Serves legacy discovery (/api, /api/v1, /apis, /apis/G, /apis/G/V),
/version, list/get of the resources in RESOURCES, Tables (Accept: ...;as=Table),
label and field selectors, and pods/NAME/log with container, tailLines,
sinceSeconds, sinceTime, timestamps, limitBytes.  Aggregated discovery requests
(Accept: ...;g=apidiscovery.k8s.io;...) get plain legacy JSON with Content-Type
application/json, and kubectl falls back to the legacy path.

State comes from a JSON document (see scenarios.py / kube_state()):
  {"token": "...", "version": {...}, "age_now": "RFC3339", "served_groups": [...],
   "objects": {"<plural>": [obj, ...]},
   "logs": {"NS/POD/CONTAINER": {"file": PATH} | {"lines": [[epoch, text], ...]}},
   "hang": ["/path/prefix", ...], "unserved": ["apigeerouteconfigs", ...],
   "request_log": PATH}

Standalone:  python3 fake_kube.py --state kube-state.json [--tls-cert C --tls-key K | --no-auth]
             [--port-file F] [--lifetime S]
"""

import argparse
import base64
import datetime as _dt
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

APIGEE_GROUP = "apigee.cloud.google.com"
APIGEE_GV = APIGEE_GROUP + "/v1alpha1"

NAME_DESC = ("Name must be unique within a namespace. Is required when creating resources, although some "
             "resources may allow a client to request the generation of an appropriate name automatically. "
             "Name is primarily intended for creation idempotence and configuration definition. Cannot be "
             "updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names")
AGE_DESC = ("CreationTimestamp is a timestamp representing the server time when this object was created. It is "
            "not guaranteed to be set in happens-before order across separate operations. Clients may not set "
            "this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. "
            "Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
            "api-conventions.md#metadata")

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def col(name, typ="string", fmt="", desc="", priority=0):
    return {"name": name, "type": typ, "format": fmt, "description": desc, "priority": priority}


# plural -> description.  group "" = core v1.
RESOURCES = {
    "namespaces": dict(group="", kind="Namespace", namespaced=False, short=["ns"], singular="namespace"),
    "pods": dict(group="", kind="Pod", namespaced=True, short=["po"], singular="pod", categories=["all"]),
    "services": dict(group="", kind="Service", namespaced=True, short=["svc"], singular="service",
                     categories=["all"]),
    "secrets": dict(group="", kind="Secret", namespaced=True, short=[], singular="secret"),
    "events": dict(group="", kind="Event", namespaced=True, short=["ev"], singular="event"),
    "configmaps": dict(group="", kind="ConfigMap", namespaced=True, short=["cm"], singular="configmap"),
    "apigeeroutes": dict(group=APIGEE_GV, kind="ApigeeRoute", namespaced=True, short=["ar"],
                         singular="apigeeroute", categories=[]),
    "apigeerouteconfigs": dict(group=APIGEE_GV, kind="ApigeeRouteConfig", namespaced=True, short=["arc"],
                               singular="apigeerouteconfig"),
}


def gv_of(plural):
    g = RESOURCES[plural]["group"]
    return g if g else "v1"


# ---------------------------------------------------------------- selectors

def _split_top(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def parse_label_selector(s):
    """-> list of predicates over a labels dict; raises ValueError on bad syntax."""
    preds = []
    for term in _split_top(s or ""):
        m = re.match(r"^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$", term)
        if m:
            key, op, vals = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
            if op == "in":
                preds.append(lambda L, k=key, v=vals: L.get(k) in v)
            else:
                preds.append(lambda L, k=key, v=vals: L.get(k) not in v)
            continue
        m = re.match(r"^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$", term)
        if m:
            key, op, val = m.groups()
            if op == "!=":
                preds.append(lambda L, k=key, v=val: L.get(k) != v)
            else:
                preds.append(lambda L, k=key, v=val: L.get(k) == v)
            continue
        m = re.match(r"^(!?)([\w./-]+)$", term)
        if m:
            neg, key = m.groups()
            if neg:
                preds.append(lambda L, k=key: k not in L)
            else:
                preds.append(lambda L, k=key: k in L)
            continue
        raise ValueError("unable to parse requirement: %r" % term)
    return preds


def _dig(obj, path):
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return ""
        cur = cur[part]
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def parse_field_selector(s):
    preds = []
    for term in _split_top(s or ""):
        m = re.match(r"^([\w.]+)\s*(==|=|!=)\s*(.*)$", term)
        if not m:
            raise ValueError("invalid selector: %r" % term)
        path, op, val = m.groups()
        val = val.replace("\\,", ",").replace("\\=", "=").replace("\\\\", "\\")
        if op == "!=":
            preds.append(lambda o, p=path, v=val: _dig(o, p) != v)
        else:
            preds.append(lambda o, p=path, v=val: _dig(o, p) == v)
    return preds


# ---------------------------------------------------------------- tables

class Tables:
    def __init__(self, age_now):
        self.age_now = common.parse_time(age_now) if age_now else None

    def age(self, ts, real=False):
        if not ts:
            return "<unknown>"
        now = common.utcnow() if real or not self.age_now else self.age_now
        return common.human_duration((now - common.parse_time(ts)).total_seconds())

    def columns(self, plural):
        name = col("Name", fmt="name", desc=NAME_DESC)
        age = col("Age", desc=AGE_DESC)
        if plural == "pods":
            return [name, col("Ready", desc="The aggregate readiness state of this pod for accepting traffic."),
                    col("Status", desc="The aggregate status of the containers in this pod."),
                    col("Restarts", desc="The number of times the containers in this pod have been restarted "
                                         "and when the last container in this pod has restarted."),
                    age, col("IP", desc="The IP address assigned to the pod", priority=1),
                    col("Node", desc="The name of the node assigned to the pod", priority=1),
                    col("Nominated Node", desc="The name of the node nominated by the scheduler", priority=1),
                    col("Readiness Gates", desc="The readiness gates of the pod", priority=1)]
        if plural == "services":
            return [name, col("Type", desc="The type of the service"),
                    col("Cluster-IP", desc="The cluster IP of the service"),
                    col("External-IP", desc="The external IP of the service"),
                    col("Port(s)", desc="The ports of the service"), age,
                    col("Selector", desc="The selector of the service", priority=1)]
        if plural == "secrets":
            return [name, col("Type", desc="The type of the secret"),
                    col("Data", typ="string", desc="The number of entries in the secret"), age]
        if plural == "configmaps":
            return [name, col("Data", desc="The number of entries in the configmap"), age]
        if plural == "namespaces":
            return [name, col("Status", desc="The status of the namespace"), age]
        if plural == "events":
            return [col("Last Seen", desc="Time when last event occurred"),
                    col("Type", desc="Type of event"), col("Reason", desc="Reason of event"),
                    col("Object", desc="Object this event refers to"),
                    col("Subobject", desc="Subobject this event refers to", priority=1),
                    col("Source", desc="Source of event", priority=1),
                    col("Message", desc="Message of event"),
                    col("First Seen", desc="Time when first event occurred", priority=1),
                    col("Count", desc="Number of events", priority=1),
                    col("Name", fmt="name", desc="Name of event", priority=1)]
        if plural in ("apigeeroutes", "apigeerouteconfigs"):
            kind = RESOURCES[plural]["kind"]
            return [name, col("State", desc="State of the %s" % kind),
                    col("Age", typ="date", desc="Custom resource definition column (in JSONPath format): "
                                                ".metadata.creationTimestamp")]
        return [name, age]

    def cells(self, plural, o):
        md = o.get("metadata", {})
        name = md.get("name", "")
        created = md.get("creationTimestamp")
        if plural == "pods":
            st = o.get("status", {})
            cs = st.get("containerStatuses", [])
            ready = "%d/%d" % (sum(1 for c in cs if c.get("ready")), len(o.get("spec", {}).get("containers", [])))
            restarts = sum(c.get("restartCount", 0) for c in cs)
            status = st.get("phase", "Unknown")
            for c in cs:
                w = c.get("state", {}).get("waiting")
                if w and w.get("reason"):
                    status = w["reason"]
            return [name, ready, status, str(restarts), self.age(created), st.get("podIP", "<none>"),
                    o.get("spec", {}).get("nodeName", "<none>"), "<none>", "<none>"]
        if plural == "services":
            sp = o.get("spec", {})
            typ = sp.get("type", "ClusterIP")
            ext = "<none>"
            if typ == "LoadBalancer":
                ing = o.get("status", {}).get("loadBalancer", {}).get("ingress", [])
                ext = ",".join(i.get("ip") or i.get("hostname", "") for i in ing) or "<pending>"
            ports = []
            for p in sp.get("ports", []):
                s = str(p.get("port"))
                if p.get("nodePort"):
                    s += ":%d" % p["nodePort"]
                ports.append(s + "/" + p.get("protocol", "TCP"))
            sel = ",".join("%s=%s" % kv for kv in sorted(sp.get("selector", {}).items())) or "<none>"
            return [name, typ, sp.get("clusterIP", "<none>"), ext, ",".join(ports) or "<none>",
                    self.age(created), sel]
        if plural == "secrets":
            return [name, o.get("type", "Opaque"), len(o.get("data", {}) or {}), self.age(created)]
        if plural == "configmaps":
            return [name, len(o.get("data", {}) or {}), self.age(created)]
        if plural == "namespaces":
            return [name, o.get("status", {}).get("phase", "Active"), self.age(created)]
        if plural == "events":
            io = o.get("involvedObject", {})
            src = o.get("source", {}).get("component", "")
            return [self.age(o.get("lastTimestamp"), True), o.get("type", ""), o.get("reason", ""),
                    "%s/%s" % (io.get("kind", "").lower(), io.get("name", "")), io.get("fieldPath", ""),
                    src, o.get("message", ""), self.age(o.get("firstTimestamp"), True), o.get("count", 1), name]
        if plural in ("apigeeroutes", "apigeerouteconfigs"):
            return [name, o.get("status", {}).get("state", ""), self.age(created)]
        return [name, self.age(created)]


# ---------------------------------------------------------------- logs

_TS_PREFIX = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))")


def _line_time(line, prev):
    s = line.strip()
    if s.startswith("{"):
        try:
            d = json.loads(s)
            if isinstance(d, dict):
                if isinstance(d.get("ts"), (int, float)):
                    return float(d["ts"])
                if isinstance(d.get("start_time"), str) and d["start_time"] not in ("", "-"):
                    return common.parse_time(d["start_time"]).timestamp()
        except (ValueError, TypeError):
            pass
    m = _TS_PREFIX.match(s)
    if m:
        try:
            return common.parse_time(m.group(1)).timestamp()
        except ValueError:
            pass
    return prev


def load_log_lines(src):
    """-> list of (epoch, text) for a log source {"file": PATH} or {"lines": [[epoch, text], ...]}."""
    if "lines" in src:
        return [(float(t), str(x)) for t, x in src["lines"]]
    out, prev = [], 0.0
    try:
        with open(src["file"], "r", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                prev = _line_time(line, prev)
                out.append((prev, line))
    except FileNotFoundError:
        pass
    return out


# ---------------------------------------------------------------- server

class KubeState:
    def __init__(self, state):
        self.s = state
        self.token = state.get("token")
        self.objects = state.get("objects", {})
        self.served_groups = set(state.get("served_groups", [APIGEE_GV]))
        self.hang = list(state.get("hang", []))
        # resources left out of discovery and answering 404 (a CRD not installed)
        self.unserved = set(state.get("unserved", []))
        self.tables = Tables(state.get("age_now"))
        self.list_rv = str(state.get("list_resource_version", "424242"))

    def served(self, plural):
        g = RESOURCES[plural]["group"]
        return plural not in self.unserved and (g == "" or g in self.served_groups)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-apiserver"
    sys_version = ""

    # quiet stderr; requests go to the request log
    def log_message(self, fmt, *args):
        pass

    def _reqlog(self, code):
        path = self.server.request_log
        if not path:
            return
        line = json.dumps({"t": common.rfc3339(common.utcnow(), 3), "method": self.command, "path": self.path,
                           "accept": self.headers.get("Accept", ""), "ua": self.headers.get("User-Agent", ""),
                           "auth": bool(self.headers.get("Authorization")), "code": code})
        with self.server.log_lock:
            with open(path, "a") as f:
                f.write(line + "\n")

    # ---- responses
    def send_body(self, code, body, ctype="application/json"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self._reqlog(code)

    def send_json(self, obj, code=200):
        self.send_body(code, json.dumps(obj, indent=None, separators=(",", ":")) + "\n")

    def status(self, code, reason, message, details=None):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
              "reason": reason, "code": code}
        if details:
            st["details"] = details
        self.send_json(st, code)

    def not_found(self, plural, name):
        g = RESOURCES[plural]["group"].split("/")[0] if plural in RESOURCES else ""
        res = plural + ("." + g if g else "")
        d = {"name": name, "kind": plural}
        if g:
            d["group"] = g
        self.status(404, "NotFound", '%s "%s" not found' % (res, name), d)

    def no_route(self):
        self.status(404, "NotFound", "the server could not find the requested resource",
                    {"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]})

    # ---- entry points
    def do_GET(self):
        self.server.activity.touch()
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_HEAD = do_GET

    def _refuse(self):
        self.server.activity.touch()
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(min(n, 1 << 20))
        self.status(405, "MethodNotAllowed", "the simulated cluster is read-only")

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

    def hang_forever(self):
        self._reqlog("hang")
        stop = self.server.stop_event
        self.close_connection = True
        while not stop.is_set():
            stop.wait(0.5)

    def route(self):
        st = self.server.state
        u = urllib.parse.urlsplit(self.path)
        path = u.path.rstrip("/") or "/"
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query, keep_blank_values=True).items()}

        for prefix in st.hang:
            if path.startswith(prefix):
                return self.hang_forever()

        if path in ("/version", "/healthz", "/livez", "/readyz"):
            if path == "/version":
                return self.send_json(st.s.get("version", {}))
            return self.send_body(200, "ok", "text/plain; charset=utf-8")

        if st.token:
            auth = self.headers.get("Authorization", "")
            if auth != "Bearer " + st.token:
                return self.status(401, "Unauthorized", "Unauthorized")

        if path == "/api":
            return self.send_json({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "%s:%d" % self.server.server_address[:2]}]})
        if path == "/apis":
            return self.send_json({"kind": "APIGroupList", "apiVersion": "v1", "groups": self.groups()})
        if path == "/api/v1":
            return self.send_json(self.resource_list("v1"))
        parts = path.strip("/").split("/")
        if parts[0] == "apis" and len(parts) == 2:
            for g in self.groups():
                if g["name"] == parts[1]:
                    return self.send_json(dict(kind="APIGroup", apiVersion="v1", **g))
            return self.no_route()
        if parts[0] == "apis" and len(parts) == 3:
            gv = parts[1] + "/" + parts[2]
            if gv in st.served_groups:
                return self.send_json(self.resource_list(gv))
            return self.no_route()

        # resource paths
        if parts[0] == "api" and len(parts) >= 3 and parts[1] == "v1":
            gv, rest = "v1", parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4:
            gv, rest = parts[1] + "/" + parts[2], parts[3:]
            if gv not in st.served_groups:
                return self.no_route()
        else:
            return self.no_route()

        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        plural = rest[0]
        if plural not in RESOURCES or gv_of(plural) != gv or not st.served(plural):
            return self.no_route()
        if ns is not None and not RESOURCES[plural]["namespaced"]:
            return self.no_route()
        if len(rest) == 1:
            return self.do_list(plural, ns, q)
        name = rest[1]
        if len(rest) == 2:
            return self.do_get(plural, ns, name, q)
        if len(rest) == 3 and plural == "pods" and rest[2] == "log":
            return self.do_log(ns, name, q)
        return self.no_route()

    # ---- discovery
    def groups(self):
        out = []
        for gv in sorted(self.server.state.served_groups):
            g, v = gv.split("/")
            ver = {"groupVersion": gv, "version": v}
            out.append({"name": g, "versions": [ver], "preferredVersion": ver})
        return out

    def resource_list(self, gv):
        res = []
        for plural, r in RESOURCES.items():
            if gv_of(plural) != gv or plural in self.server.state.unserved:
                continue
            e = {"name": plural, "singularName": r["singular"], "namespaced": r["namespaced"], "kind": r["kind"],
                 "verbs": list(ALL_VERBS)}
            if r.get("short"):
                e["shortNames"] = r["short"]
            if r.get("categories"):
                e["categories"] = r["categories"]
            res.append(e)
            if plural == "pods":
                res.append({"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod",
                            "verbs": ["get"]})
            if r["group"]:
                res.append({"name": plural + "/status", "singularName": "", "namespaced": True,
                            "kind": r["kind"], "verbs": ["get", "patch", "update"]})
        doc = {"kind": "APIResourceList", "groupVersion": gv, "resources": res}
        if gv != "v1":
            doc["apiVersion"] = "v1"
        return doc

    # ---- objects
    def find(self, plural, ns, name):
        for o in self.server.state.objects.get(plural, []):
            md = o.get("metadata", {})
            if md.get("name") == name and (ns is None or md.get("namespace") == ns or
                                           not RESOURCES[plural]["namespaced"]):
                return o
        return None

    def wants_table(self):
        return "as=Table" in self.headers.get("Accept", "")

    def do_get(self, plural, ns, name, q):
        o = self.find(plural, ns, name)
        if o is None:
            return self.not_found(plural, name)
        if self.wants_table():
            return self.send_json(self.table(plural, [o], q))
        return self.send_json(o)

    def do_list(self, plural, ns, q):
        st = self.server.state
        try:
            lsel = parse_label_selector(q.get("labelSelector", ""))
            fsel = parse_field_selector(q.get("fieldSelector", ""))
        except ValueError as e:
            return self.status(400, "BadRequest", str(e))
        items = []
        for o in st.objects.get(plural, []):
            md = o.get("metadata", {})
            if ns is not None and md.get("namespace") != ns:
                continue
            labels = md.get("labels") or {}
            if not all(p(labels) for p in lsel):
                continue
            if not all(p(o) for p in fsel):
                continue
            items.append(o)
        items.sort(key=lambda o: (o.get("metadata", {}).get("namespace", ""), o.get("metadata", {}).get("name", "")))
        if q.get("watch") in ("1", "true"):
            body = "".join(json.dumps({"type": "ADDED", "object": o}) + "\n" for o in items)
            return self.send_body(200, body, "application/json")
        if self.wants_table():
            return self.send_json(self.table(plural, items, q))
        r = RESOURCES[plural]
        return self.send_json({"apiVersion": gv_of(plural), "kind": r["kind"] + "List",
                               "metadata": {"resourceVersion": st.list_rv}, "items": items})

    def table(self, plural, items, q):
        st = self.server.state
        include = q.get("includeObject", "Metadata")
        rows = []
        for o in items:
            row = {"cells": st.tables.cells(plural, o)}
            if include == "Object":
                row["object"] = o
            elif include != "None":
                row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                 "metadata": o.get("metadata", {})}
            rows.append(row)
        return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"resourceVersion": st.list_rv},
                "columnDefinitions": st.tables.columns(plural), "rows": rows}

    # ---- logs
    def do_log(self, ns, name, q):
        st = self.server.state
        pod = self.find("pods", ns, name)
        if pod is None:
            return self.not_found("pods", name)
        containers = [c["name"] for c in pod.get("spec", {}).get("containers", [])]
        c = q.get("container", "")
        if not c:
            if len(containers) == 1:
                c = containers[0]
            else:
                return self.status(400, "BadRequest", "a container name must be specified for pod %s, choose one "
                                                      "of: [%s]" % (name, " ".join(containers)))
        if c not in containers:
            return self.status(400, "BadRequest", "container %s is not valid for pod %s" % (c, name))
        if q.get("previous") in ("1", "true"):
            return self.status(400, "BadRequest", 'previous terminated container "%s" in pod "%s" not found'
                               % (c, name))
        src = st.s.get("logs", {}).get("%s/%s/%s" % (ns, name, c))
        lines = load_log_lines(src) if src else []
        since = None
        try:
            if q.get("sinceSeconds"):
                since = time.time() - int(q["sinceSeconds"])
            elif q.get("sinceTime"):
                since = common.parse_time(q["sinceTime"]).timestamp()
            if since is not None:
                lines = [x for x in lines if x[0] >= since]
            if q.get("tailLines") not in (None, ""):
                n = int(q["tailLines"])
                if n >= 0:
                    lines = lines[-n:] if n else []
            limit = int(q["limitBytes"]) if q.get("limitBytes") else None
        except ValueError as e:
            return self.status(400, "BadRequest", str(e))
        ts = q.get("timestamps") in ("1", "true")
        out = []
        for t, text in lines:
            if ts:
                out.append(common.rfc3339(_dt.datetime.fromtimestamp(t, _dt.timezone.utc), 9) + " " + text)
            else:
                out.append(text)
        body = ("\n".join(out) + "\n" if out else "").encode()
        if limit is not None:
            body = body[:limit]
        return self.send_body(200, body, "text/plain")


class KubeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, tls_context=None, activity=None, stop_event=None):
        super().__init__((common.LOOPBACK, 0), Handler)
        self.tls_context = tls_context
        self.activity = activity or common.Activity()
        self.stop_event = stop_event or threading.Event()
        self.state = KubeState({})
        self.request_log = None
        self.log_lock = threading.Lock()

    @property
    def port(self):
        return self.server_address[1]

    def configure(self, state):
        self.state = KubeState(state)
        self.request_log = state.get("request_log")

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.tls_context is not None:
            sock = self.tls_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def finish_request(self, request, client_address):
        if self.tls_context is not None:
            try:
                request.settimeout(10)
                request.do_handshake()
                request.settimeout(None)
            except (OSError, ssl.SSLError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass  # client went away; nothing to report

    def start(self):
        t = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="kube", daemon=True)
        t.start()
        return t


def b64(data):
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--state", required=True, help="kube state JSON")
    ap.add_argument("--port-file")
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("--watch-pid", type=int, default=os.getppid())
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (kubectl sends tokens only over HTTPS)")
    ap.add_argument("--tls-key")
    ap.add_argument("--no-auth", action="store_true", help="do not require the state's bearer token")
    a = ap.parse_args(argv)
    stop = threading.Event()
    ctx = None
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
    srv = KubeServer(tls_context=ctx, stop_event=stop)
    state = common.read_json(a.state)
    if a.no_auth:
        state["token"] = None
    srv.configure(state)
    srv.start()
    if a.port_file:
        common.write_text(a.port_file, "%d\n" % srv.port)
    print("KUBE_PORT=%d" % srv.port, flush=True)
    common.Watchdog(stop, a.lifetime, a.watch_pid).start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    srv.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
