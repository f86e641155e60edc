# SPDX-License-Identifier: Apache-2.0
"""Scenario definitions: what the fake cluster, ingress and management API hold.

A scenario is a small spec (SPECS below) turned by build() into
  kube state (fake_kube), ingress config (fake_ingress), mgmt config (fake_mgmt),
  overrides.yaml + certs/, and the env.json facts.

Kubernetes objects have fixed creationTimestamps, UIDs and resourceVersions, and the
AGE columns of Tables are computed against the fixed AGE_NOW, so `kubectl get` output
is the same on every run.  Log lines are dated relative to the start of the
simulation (or --epoch), so `kubectl logs --since=1h` finds them.  Certificates are
dated relative to the real clock (clients verify against it).
"""

import base64
import copy
import datetime as _dt
import hashlib
import json
import os
import shutil
import uuid

import common
import fake_ingress

AGE_NOW = "2025-05-21T06:00:00Z"
NS = "apigee"
UTC = _dt.timezone.utc


def _ts(delta_seconds_before_age_now):
    t = common.parse_time(AGE_NOW) - _dt.timedelta(seconds=delta_seconds_before_age_now)
    return common.rfc3339(t)


def _ev(t0, seconds_before):
    return common.rfc3339(t0 - _dt.timedelta(seconds=seconds_before))


def det_uuid(*parts):
    return str(uuid.UUID(bytes=hashlib.sha256("/".join(parts).encode()).digest()[:16], version=4))


# ---------------------------------------------------------------- specs

def eg(name, hostnames, envs, cert="good", secret=True, served="configured", overrides_cert=None,
       route_gateways=None, overrides_gateways=None, route_state="running", route=None):
    return dict(name=name, hostnames=hostnames, envs=envs, cert=cert, secret=secret, served=served,
                overrides_cert=overrides_cert, route_gateways=route_gateways, overrides_gateways=overrides_gateways,
                route_state=route_state, route=route)


def inst(name, attached, host):
    return dict(name=name, location=name, host=host, attached=attached)


def hybrid(**kw):
    s = dict(
        kind="hybrid", org="myorg",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], route_gateways=["non-sni"],
                      overrides_gateways=["non-sni"], route="myorg-dev-grp-000-33620d0")],
        wildcard=dict(name="non-sni", enable=True, state="running", credential="myorg-dev-grp"),
        watcher_missing=[], access_ok=4, access_nonsni_ok=2, access_resets=0,
        api=dict(runtimeType="HYBRID", environments=["dev"],
                 instances=[inst("us-west1", ["dev"], "10.82.192.2")], max_page_size=1000),
        api_faults=[], api_token_valid=True, kube_hang=[], expect={}, description="")
    s.update(kw)
    return s


HEALTHY_EXPECT = {"SNI-001": "pass", "SNI-002": "pass", "SNI-003": "pass", "SNI-004": "pass", "SNI-005": "pass",
                  "SNI-006": "pass", "SNI-007": "pass", "TLS-001": "pass", "TLS-002": "pass", "TLS-003": "pass",
                  "TLS-004": "pass", "TLS-005": "pass", "TLS-006": "pass", "TLS-007": "pass", "TLS-008": "pass",
                  "XLB-009": "pass"}


GFE_502 = ("<!DOCTYPE html>\n<html><head>\n<meta http-equiv=\"content-type\" content=\"text/html;charset=utf-8\">\n"
           "<title>502 Server Error</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n"
           "<h1>Error: Server Error</h1>\n<h2>The server encountered a temporary error and could not complete "
           "your request.<p>Please try again in 30 seconds.</h2>\n<h2></h2>\n</body></html>\n")
ARMOR_403 = ("<!doctype html><meta charset=\"utf-8\"><meta name=viewport content=\"width=device-width, "
             "initial-scale=1\"><title>403</title>403 Forbidden\n")


def xlb(**kw):
    """An Apigee X scenario with a load balancer (the "gcp" dict: fake_gcloud.default_gcp())."""
    s = dict(
        kind="x", org="myorg",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"])],
        wildcard=None, watcher_missing=[], access_ok=0, access_nonsni_ok=0, access_resets=0,
        api=dict(runtimeType="CLOUD", environments=["dev"],
                 instances=[inst("us-west1", ["dev"], "10.82.192.2")], max_page_size=1000),
        api_faults=[], api_token_valid=True, kube_hang=[], expect={}, description="", gcp={})
    s.update(kw)
    return s


def _specs():
    S = {}
    S["healthy"] = hybrid(
        description="Hybrid, everything right: env group dev-grp (api.example.com), its route lists the "
                    "wildcard route non-sni (enableNonSniClient true) in additionalGateways, secret "
                    "myorg-dev-grp matches, watcher quiet, one instance with the dev attachment.",
        expect=dict(HEALTHY_EXPECT))
    S["non-sni-no-wildcard"] = hybrid(
        description="No wildcard ApigeeRoute: the ingress resets handshakes without SNI; the access log has "
                    "filter_chain_not_found lines.",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], route="myorg-dev-grp-000-33620d0")],
        wildcard=None, access_nonsni_ok=0, access_resets=6,
        expect={"SNI-001": "fail", "SNI-002": "fail", "SNI-003": "fail", "TLS-001": "pass", "TLS-003": "pass"})
    S["wildcard-disabled"] = hybrid(
        description="Wildcard route non-sni exists but enableNonSniClient is false: no-SNI handshakes reset.",
        wildcard=dict(name="non-sni", enable=False, state="running", credential="myorg-dev-grp"),
        access_nonsni_ok=0, access_resets=4,
        expect={"SNI-004": "fail", "SNI-001": "fail", "SNI-002": "fail", "SNI-003": "pass"})
    S["missing-secret"] = hybrid(
        description="Secret myorg-dev-grp is absent; apigee-watcher logs NOT_FOUND for it; the ingress resets "
                    "(no usable certificate), without access-log lines.",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], secret=False, route_gateways=["non-sni"],
                      overrides_gateways=["non-sni"], route="myorg-dev-grp-000-33620d0")],
        watcher_missing=["myorg-dev-grp"], access_ok=0, access_nonsni_ok=0,
        expect={"TLS-001": "fail"})
    S["key-mismatch"] = hybrid(
        description="Secret and overrides sslKeyPath hold a key that does not match the certificate; the "
                    "ingress answers ClientHello with a handshake_failure alert.",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], cert="mismatch", route_gateways=["non-sni"],
                      overrides_gateways=["non-sni"], route="myorg-dev-grp-000-33620d0")],
        access_ok=0, access_nonsni_ok=0,
        expect={"TLS-003": "fail", "TLS-002": "pass"})
    S["served-differs"] = hybrid(
        description="The ingress serves another (valid, same CA) certificate for api.example.com than the "
                    "secret and overrides configure.",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], served="other", route_gateways=["non-sni"],
                      overrides_gateways=["non-sni"], route="myorg-dev-grp-000-33620d0")],
        expect={"TLS-007": "fail", "TLS-003": "pass"})
    S["x-unattached"] = dict(
        kind="x", org="myorg",
        description="Apigee X: org environments [dev, prod]; instance us-west1 has dev+prod attached, "
                    "europe-west1 only dev (region expansion left prod unattached -> 503). No hybrid cluster "
                    "objects; the ingress port stands in for the external load balancer.",
        envgroups=[eg("dev-grp", ["api-dev.example.com"], ["dev"]), eg("prod-grp", ["api.example.com"], ["prod"])],
        wildcard=None, watcher_missing=[], access_ok=0, access_nonsni_ok=0, access_resets=0,
        api=dict(runtimeType="CLOUD", environments=["dev", "prod"],
                 instances=[inst("us-west1", ["dev", "prod"], "10.82.192.2"),
                            inst("europe-west1", ["dev"], "10.84.0.2")], max_page_size=1),
        api_faults=[], api_token_valid=True, kube_hang=[], gcp={},
        expect={"XLB-009": "fail", "CURL-005": "fail"})
    # Apigee X behind an external HTTPS load balancer: the gcloud stub (fake_gcloud.py) answers for
    # the project; the ingress port stands in for the load balancer.
    S["x-healthy"] = xlb(
        description="Apigee X, load balancer in order: MIG of apigee-proxy VMs whose ENDPOINT is the "
                    "instance IP, health-check firewall rule, default network peered with servicenetworking, "
                    "the configured certificate is the one served.",
        expect={"XLB-001": "pass", "XLB-002": "pass", "XLB-003": "pass", "XLB-004": "pass", "XLB-005": "pass",
                "XLB-006": "pass", "XLB-007": "pass", "XLB-008": "pass", "XLB-009": "pass"})
    S["x-bad-endpoint"] = xlb(
        description="The instance was re-created: the apigee-proxy template still sends to an old IP "
                    "(ENDPOINT), the health-check firewall rule is missing, backends are UNHEALTHY, the load "
                    "balancer logs failed_to_pick_backend and answers 502 Server Error.",
        gcp=dict(endpoint_wrong=True, hc_firewall=False, failed_to_pick=4),
        lb_response=dict(status=502, body=GFE_502),
        expect={"XLB-004": "fail", "XLB-005": "fail", "XLB-006": "fail", "CURL-004": "fail"})
    S["x-armor-deny"] = xlb(
        description="A Cloud Armor policy denies the clients: DENY entries in the load balancer log, 403 page.",
        gcp=dict(armor_deny=5), lb_response=dict(status=403, body=ARMOR_403),
        expect={"XLB-003": "fail", "CURL-006": "fail"})
    S["x-network"] = xlb(
        description="authorizedNetwork is 'default' but servicenetworking is peered with 'apigee-vpc', where "
                    "the apigee-proxy VMs run.",
        gcp=dict(peered_network="apigee-vpc", proxy_network="apigee-vpc"),
        expect={"XLB-007": "fail", "XLB-008": "fail"})
    S["x-lb-cert"] = xlb(
        description="The load balancer is configured with an expired certificate for api.example.com while "
                    "another (valid) one is served.",
        gcp=dict(lb_cert="expired"),
        expect={"XLB-001": "fail", "XLB-002": "fail"})
    S["x-psc"] = xlb(
        description="Private Service Connect: the backend service sends to PSC network endpoint groups, no "
                    "managed instance group; the MIG sources are not applicable.",
        gcp=dict(backend="psc"),
        expect={"XLB-005": "skip", "XLB-006": "skip", "XLB-007": "pass", "XLB-009": "pass"})
    S["x-shared-vpc"] = xlb(
        description="Shared VPC: authorizedNetwork projects/myorg-host/global/networks/shared-net; the host "
                    "project holds the network, its peering and the firewall rules.",
        gcp=dict(network_project="myorg-host", peered_network="shared-net", proxy_network="shared-net"),
        authorized_network="projects/myorg-host/global/networks/shared-net",
        expect={"XLB-005": "pass", "XLB-007": "pass", "XLB-008": "pass"})
    S["x-denied"] = xlb(
        description="The operator may not read everything: firewall rules and the instances list are 403, "
                    "the Cloud Logging API is not enabled.",
        gcp=dict(errors={"compute firewall-rules list": "denied", "compute instances list": "denied",
                         "logging read": "api-disabled"}),
        expect={})
    S["demo-broken"] = hybrid(
        description="README demo, several faults: no wildcard route (non-SNI resets + access-log lines); "
                    "dev-grp certificate expires in 10 days; prod-grp secret missing (watcher NOT_FOUND) and "
                    "its overrides certificate expired; instance europe-west1 lacks the prod attachment.",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], cert="expiring", route="myorg-dev-grp-000-33620d0"),
                   eg("prod-grp", ["api.prod.example.com"], ["prod"], cert="good", secret=False,
                      overrides_cert="expired", route="myorg-prod-grp-000-7c1e2a9")],
        wildcard=None, watcher_missing=["myorg-prod-grp"], access_ok=5, access_nonsni_ok=0, access_resets=7,
        api=dict(runtimeType="HYBRID", environments=["dev", "prod"],
                 instances=[inst("us-west1", ["dev", "prod"], "10.82.192.2"),
                            inst("europe-west1", ["dev"], "10.84.0.2")], max_page_size=1),
        expect={"SNI-001": "fail", "SNI-002": "fail", "SNI-003": "fail", "TLS-001": "fail", "TLS-005": "fail",
                "XLB-009": "fail"})
    # --- collector robustness
    S["api-401"] = hybrid(description="Healthy cluster; the management API rejects the token (401).",
                          api_token_valid=False, expect={})
    S["api-500"] = hybrid(description="Healthy cluster; every management API call answers 500.",
                          api_faults=[dict(match=".*", mode="500")], expect={})
    S["api-garbage"] = hybrid(description="Healthy cluster; the management API answers 200 with garbage bodies.",
                              api_faults=[dict(match=".*", mode="garbage")], expect={})
    S["api-flaky"] = hybrid(description="Healthy; each API path answers 500 once, then succeeds (retry test).",
                            api_faults=[dict(match=".*", mode="500-then-ok", times=1)], expect=dict(HEALTHY_EXPECT))
    S["api-429"] = hybrid(description="Healthy; each API path answers 429 + Retry-After: 1 once, then succeeds.",
                          api_faults=[dict(match=".*", mode="429-then-ok", times=1, retry_after=1)],
                          expect=dict(HEALTHY_EXPECT))
    S["api-404"] = hybrid(description="Healthy cluster; instance calls answer 404.",
                          api_faults=[dict(match="/instances", mode="404")], expect={})
    S["api-hang"] = hybrid(description="Healthy cluster; the management API never answers.",
                           api_faults=[dict(match=".*", mode="hang")], expect={})
    S["kube-hang"] = hybrid(description="Healthy, but listing/getting apigeeroutes never answers (kubectl "
                                        "hangs until killed or --request-timeout).",
                            kube_hang=["/apis/apigee.cloud.google.com/v1alpha1/namespaces/apigee/apigeeroutes",
                                       "/apis/apigee.cloud.google.com/v1alpha1/apigeeroutes"], expect={})
    # --- one more per check family
    S["malformed-cert"] = hybrid(
        description="The certificate (overrides sslCertPath and secret) has a bad END line; the ingress "
                    "answers with a handshake_failure alert.",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], cert="malformed", route_gateways=["non-sni"],
                      overrides_gateways=["non-sni"], route="myorg-dev-grp-000-33620d0")],
        access_ok=0, access_nonsni_ok=0, expect={"TLS-002": "fail"})
    S["expired-cert"] = hybrid(
        description="The configured and served certificate expired (2020-01-01..2021-01-01).",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], cert="expired", route_gateways=["non-sni"],
                      overrides_gateways=["non-sni"], route="myorg-dev-grp-000-33620d0")],
        expect={"TLS-005": "fail"})
    S["expiring-cert"] = hybrid(
        description="The certificate expires in 10 days.",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], cert="expiring", route_gateways=["non-sni"],
                      overrides_gateways=["non-sni"], route="myorg-dev-grp-000-33620d0")],
        expect={"TLS-005": "warn"})
    S["wrong-host"] = hybrid(
        description="The certificate covers other.example.net only, not api.example.com.",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], cert="wrong-host", route_gateways=["non-sni"],
                      overrides_gateways=["non-sni"], route="myorg-dev-grp-000-33620d0")],
        expect={"TLS-006": "fail"})
    S["ec-cert"] = hybrid(
        description="Healthy with an EC P-256 certificate and key (public-key comparison must work).",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], cert="ec", route_gateways=["non-sni"],
                      overrides_gateways=["non-sni"], route="myorg-dev-grp-000-33620d0")],
        expect=dict(HEALTHY_EXPECT))
    S["wildcard-unlisted"] = hybrid(
        description="Wildcard route non-sni is enabled, but no virtual host lists it in additionalGateways "
                    "(overrides nor route): non-SNI handshakes succeed, requests get 404 route_not_found.",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], route="myorg-dev-grp-000-33620d0")],
        expect={"SNI-005": "fail", "SNI-004": "pass"})
    S["not-applied"] = hybrid(
        description="overrides.yaml lists non-sni in additionalGateways but the env group's route lacks it "
                    "(overrides edited, not applied).",
        envgroups=[eg("dev-grp", ["api.example.com"], ["dev"], route_gateways=[], overrides_gateways=["non-sni"],
                      route="myorg-dev-grp-000-33620d0")],
        expect={"SNI-006": "fail"})
    S["route-not-running"] = hybrid(
        description="The wildcard route's status.state is 'creating' (not running): non-SNI handshakes reset.",
        wildcard=dict(name="non-sni", enable=True, state="creating", credential="myorg-dev-grp"),
        access_nonsni_ok=0, access_resets=3,
        expect={"SNI-007": "fail"})
    return S


SPECS = _specs()
SCENARIOS = list(SPECS)


def describe(name):
    return SPECS[name]["description"]


# ---------------------------------------------------------------- certificates

class Material:
    """Certificates of one scenario."""

    def __init__(self, pki):
        self.pki = pki
        self.ingress_ca = pki.ca("ingress-ca", "Apigee Sim Ingress CA")
        self.mgmt_ca = pki.ca("mgmt-ca", "Apigee Sim Management API CA")
        # one server certificate for the management API and the Kubernetes API (both on 127.0.0.1)
        self.mgmt = pki.issue(self.mgmt_ca, "api-server", cn="127.0.0.1",
                              dns=["localhost", "apigee.googleapis.com", "kubernetes", "kubernetes.default.svc"],
                              ips=["127.0.0.1"], kind="ec")
        self.kube = self.mgmt

    def profile(self, name, profile, hostnames):
        """-> (cert_path, key_path) for a configured certificate profile."""
        pki, ca = self.pki, self.ingress_ca
        now = common.utcnow().replace(microsecond=0)
        cn = hostnames[0]
        if profile == "good":
            p = pki.issue(ca, name, cn=cn, dns=hostnames)
        elif profile == "ec":
            p = pki.issue(ca, name, cn=cn, dns=hostnames, kind="ec")
        elif profile == "expiring":
            p = pki.issue(ca, name, cn=cn, dns=hostnames, not_before=now - _dt.timedelta(days=355),
                          not_after=now + _dt.timedelta(days=10))
        elif profile == "expired":
            p = pki.issue(ca, name, cn=cn, dns=hostnames, not_before=_dt.datetime(2020, 1, 1, tzinfo=UTC),
                          not_after=_dt.datetime(2021, 1, 1, tzinfo=UTC))
        elif profile == "wrong-host":
            p = pki.issue(ca, name, cn="other.example.net", dns=["other.example.net"])
        elif profile == "mismatch":
            p = pki.issue(ca, name, cn=cn, dns=hostnames)
            return p.cert, pki.key(name + "-other")
        elif profile == "malformed":
            p = pki.issue(ca, name, cn=cn, dns=hostnames)
            return pki.malformed(p.cert, name + "-bad-end-line.pem"), p.key
        else:
            raise ValueError(profile)
        return p.cert, p.key


# ---------------------------------------------------------------- k8s objects

class Objects:
    def __init__(self):
        self.rv = 100000
        self.items = {k: [] for k in ("namespaces", "pods", "services", "secrets", "events", "configmaps",
                                      "apigeeroutes", "apigeerouteconfigs")}

    def meta(self, name, created, ns=NS, labels=None, annotations=None, generation=None, kind=""):
        self.rv += 7
        md = {"name": name}
        if ns:
            md["namespace"] = ns
        md["uid"] = det_uuid(kind, ns or "", name)
        md["resourceVersion"] = str(self.rv)
        if generation is not None:
            md["generation"] = generation
        md["creationTimestamp"] = created
        if labels:
            md["labels"] = labels
        if annotations:
            md["annotations"] = annotations
        return md

    def add(self, plural, obj):
        self.items[plural].append(obj)
        return obj


def route_obj(O, name, hostnames, credential, created, state="running", gateways=None, enable_non_sni=None,
              selector=None, destination=None):
    spec = {}
    if gateways:
        spec["additionalGateways"] = list(gateways)
    if enable_non_sni is not None:
        spec["enableNonSniClient"] = enable_non_sni
    spec["hostnames"] = list(hostnames)
    spec["ports"] = [{"number": 443, "protocol": "HTTPS",
                      "tls": {"credentialName": credential, "minProtocolVersion": "TLS_AUTO", "mode": "SIMPLE"}}]
    if destination:
        spec["rules"] = {"http": [{"destination": {"kind": "Service", "name": destination, "namespace": NS,
                                                   "port": 8443},
                                   "match": [{"uri": {"prefix": "/"}}], "timeout": 300}]}
    spec["selector"] = selector or {"app": "apigee-ingressgateway"}
    return O.add("apigeeroutes", {
        "apiVersion": "apigee.cloud.google.com/v1alpha1", "kind": "ApigeeRoute",
        "metadata": O.meta(name, created, generation=1, kind="ApigeeRoute"),
        "spec": spec, "status": {"lastAppliedGeneration": 1, "state": state}})


def pod_obj(O, name, labels, containers, created, ip, node="gke-sim-apigee-runtime-3c1f7a2e-k9z1", annotations=None,
            owner=None):
    started = created
    spec_c, status_c = [], []
    for c in containers:
        spec_c.append({"name": c["name"], "image": c["image"], "imagePullPolicy": "IfNotPresent",
                       "ports": c.get("ports", []),
                       "resources": {"limits": {"cpu": "2", "memory": "1Gi"},
                                     "requests": {"cpu": "300m", "memory": "128Mi"}},
                       "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"})
        status_c.append({"name": c["name"], "image": c["image"],
                         "imageID": c["image"].split(":")[0] + "@sha256:" +
                         hashlib.sha256(c["image"].encode()).hexdigest(),
                         "containerID": "containerd://" + hashlib.sha256((name + c["name"]).encode()).hexdigest(),
                         "ready": True, "started": True, "restartCount": 0,
                         "state": {"running": {"startedAt": started}}, "lastState": {}})
    md = O.meta(name, created, labels=labels, annotations=annotations, kind="Pod")
    if owner:
        md["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner,
                                  "uid": det_uuid("ReplicaSet", owner), "controller": True,
                                  "blockOwnerDeletion": True}]
    cond = [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": created}
            for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]
    return O.add("pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": md,
        "spec": {"containers": spec_c, "nodeName": node, "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                 "schedulerName": "default-scheduler", "serviceAccountName": labels.get("app", "default"),
                 "terminationGracePeriodSeconds": 30, "priority": 0, "enableServiceLinks": True,
                 "preemptionPolicy": "PreemptLowerPriority"},
        "status": {"phase": "Running", "conditions": cond, "hostIP": "10.138.0.7", "podIP": ip,
                   "podIPs": [{"ip": ip}], "startTime": created, "containerStatuses": status_c,
                   "qosClass": "Burstable"}})


def event_obj(O, obj, etype, reason, message, when, count=1, component="apigee-controller", field_path=None,
              first=None):
    """Events are dated like log lines (relative to the simulation start), since kubectl
    describe computes their ages from the real clock."""
    md = obj["metadata"]
    io = {"kind": obj["kind"], "namespace": md.get("namespace", NS), "name": md["name"], "uid": md["uid"],
          "apiVersion": obj["apiVersion"], "resourceVersion": md["resourceVersion"]}
    if field_path:
        io["fieldPath"] = field_path
    name = "%s.%s" % (md["name"], hashlib.sha256((md["name"] + reason + when).encode()).hexdigest()[:16])
    return O.add("events", {
        "apiVersion": "v1", "kind": "Event", "metadata": O.meta(name, when, kind="Event"),
        "involvedObject": io, "reason": reason, "message": message, "source": {"component": component},
        "firstTimestamp": first or when, "lastTimestamp": when, "count": count, "type": etype,
        "eventTime": None, "reportingComponent": component, "reportingInstance": ""})


def b64(data):
    return base64.b64encode(data).decode()


# ---------------------------------------------------------------- build

class Built:
    pass


def build(name, wd, ports, pki, t0=None, api_fault=None, kube_hang=None):
    """Make everything for scenario `name` in work dir `wd`.  ports: dict with kube, mgmt,
    ingress, reset, blackhole.  Returns a Built with kube_state, ingress_cfg, mgmt_cfg,
    overrides (path or None), env (dict for env.json, without the process fields)."""
    spec = copy.deepcopy(SPECS[name])
    if api_fault:
        spec["api_faults"] = [dict(match=".*", mode=api_fault, times=1, retry_after=1)]
    if kube_hang:
        spec["kube_hang"] = list(spec["kube_hang"]) + list(kube_hang)
    t0 = t0 or common.utcnow()
    org = spec["org"]
    hybrid_kind = spec["kind"] == "hybrid"
    logs_dir = os.path.join(wd, "logs")
    os.makedirs(logs_dir, exist_ok=True)
    mat = Material(pki)

    # ---- certificates per env group
    for g in spec["envgroups"]:
        g["secret_name"] = "%s-%s" % (org, g["name"])
        g["cert_path"], g["key_path"] = mat.profile("vh-" + g["name"], g["cert"], g["hostnames"])
        if g["served"] == "other":
            g["served_cert"], g["served_key"] = mat.profile("served-" + g["name"], "good", g["hostnames"])
        else:
            g["served_cert"], g["served_key"] = g["cert_path"], g["key_path"]
        if g["overrides_cert"]:
            g["ov_cert"], g["ov_key"] = mat.profile("ov-" + g["name"], g["overrides_cert"], g["hostnames"])
        else:
            g["ov_cert"], g["ov_key"] = g["cert_path"], g["key_path"]

    # ---- overrides.yaml
    overrides = None
    if hybrid_kind:
        cdir = os.path.join(wd, "certs")
        os.makedirs(cdir, exist_ok=True)
        vh = []
        for g in spec["envgroups"]:
            cert_rel = "./certs/keystore_%s.pem" % g["name"]
            key_rel = "./certs/keystore_%s.key" % g["name"]
            shutil.copyfile(g["ov_cert"], os.path.join(wd, cert_rel))
            shutil.copyfile(g["ov_key"], os.path.join(wd, key_rel))
            os.chmod(os.path.join(wd, key_rel), 0o600)
            lines = ["  - name: %s" % g["name"],
                     "    selector:",
                     "      app: apigee-ingressgateway",
                     "      ingress_name: ext-ingress",
                     "    sslCertPath: %s" % cert_rel,
                     "    sslKeyPath: %s" % key_rel]
            if g["overrides_gateways"]:
                lines.append("    additionalGateways: [%s]" % ", ".join('"%s"' % x for x in g["overrides_gateways"]))
            vh.append("\n".join(lines))
        envs = sorted({e for g in spec["envgroups"] for e in g["envs"]})
        text = OVERRIDES_TEMPLATE.format(org=org, envs="\n".join(ENV_TEMPLATE.format(env=e) for e in envs),
                                         virtualhosts="\n".join(vh))
        overrides = os.path.join(wd, "overrides.yaml")
        common.write_text(overrides, text)

    # ---- ingress routes
    routes = []
    pods_ingress = ["apigee-ingressgateway-ext-ingress-%s-8f2c412-dvrcp" % org,
                    "apigee-ingressgateway-ext-ingress-%s-8f2c412-wg26k" % org]
    access_logs = [os.path.join(logs_dir, p + ".istio-proxy.log") for p in pods_ingress]
    wc = spec.get("wildcard")
    attached_wc = set()
    for g in spec["envgroups"]:
        for x in (g["route_gateways"] or []):
            attached_wc.add(x)
    by_secret = {g["secret_name"]: g for g in spec["envgroups"]}
    for g in spec["envgroups"]:
        routes.append(dict(name=g["route"] or g["name"], hostnames=g["hostnames"], enableNonSniClient=False,
                           state=g["route_state"], cert=g["served_cert"], key=g["served_key"],
                           credential_present=g["secret"] or not hybrid_kind, attached=True,
                           upstream_cluster="outbound|8443||apigee-runtime-%s-%s.apigee.svc.cluster.local"
                                            % (org, g["envs"][0])))
    if wc:
        src = by_secret.get(wc["credential"])
        routes.append(dict(name=wc["name"], hostnames=["*"], enableNonSniClient=wc["enable"], state=wc["state"],
                           cert=src["served_cert"] if src else "", key=src["served_key"] if src else "",
                           credential_present=bool(src and src["secret"]), attached=wc["name"] in attached_wc,
                           upstream_cluster="outbound|8443||apigee-runtime-%s-dev.apigee.svc.cluster.local" % org))
    ingress_cfg = {"routes": routes, "access_logs": access_logs if hybrid_kind else [],
                   "default_response": {"status": 200}}
    if not hybrid_kind:
        # The ingress port stands in for the external HTTPS load balancer.  Requests for an env
        # group whose environment some instance lacks get 503 (as if routed to that region).
        ingress_cfg["extra_headers"] = {"via": "1.1 google"}
        unattached = {e for x in spec["api"]["instances"] for e in spec["api"]["environments"]
                      if e not in x["attached"]}
        ingress_cfg["responses"] = {
            h: {"status": 503, "content_type": "text/html; charset=UTF-8", "status_details": "via_upstream",
                "body": "<!DOCTYPE html>\n<html lang=en>\n<title>Error 503 (Service Unavailable)</title>\n"
                        "<p>The service you requested is not available at this time.</p>\n"}
            for g in spec["envgroups"] if set(g["envs"]) & unattached for h in g["hostnames"]}
        if spec.get("lb_response"):
            for g in spec["envgroups"]:
                for h in g["hostnames"]:
                    ingress_cfg["responses"][h] = dict(content_type="text/html; charset=UTF-8",
                                                       status_details="via_upstream", **spec["lb_response"])

    # ---- ingress logs at startup
    if hybrid_kind:
        _startup_access_logs(spec, access_logs, t0, org)

    # ---- kube state
    kube_token = "eyJhbGciOiJSUzI1NiIsImtpZCI6InNpbSJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic" \
                 "3lzdGVtOnNlcnZpY2VhY2NvdW50OmFwaWdlZTpzaW0ifQ.c2ltLXNpZ25hdHVyZS1ub3QtcmVhbA"
    O = Objects()
    logs = {}
    O.add("namespaces", {"apiVersion": "v1", "kind": "Namespace",
                         "metadata": O.meta("default", _ts(90 * 86400), ns=None, kind="Namespace"),
                         "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    O.add("namespaces", {"apiVersion": "v1", "kind": "Namespace",
                         "metadata": O.meta("kube-system", _ts(90 * 86400), ns=None, kind="Namespace"),
                         "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    if hybrid_kind:
        _hybrid_objects(O, spec, org, mat, ports, pods_ingress, access_logs, logs, t0)

    kube_state = {
        "token": kube_token,
        "version": {"major": "1", "minor": "31", "gitVersion": "v1.31.6-gke.1064001",
                    "gitCommit": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "gitTreeState": "clean",
                    "buildDate": "2025-02-20T09:14:20Z", "goVersion": "go1.22.12 X:boringcrypto",
                    "compiler": "gc", "platform": "linux/amd64"},
        "age_now": AGE_NOW,
        "served_groups": ["apigee.cloud.google.com/v1alpha1"] if hybrid_kind else [],
        "objects": O.items, "logs": logs, "hang": spec["kube_hang"],
        "list_resource_version": str(O.rv + 1),
        "request_log": os.path.join(logs_dir, "kube-requests.jsonl"),
    }

    # ---- management API
    token = "ya29.a0AfB_sim" + hashlib.sha256(wd.encode()).hexdigest()[:40]
    mgmt_cfg = _mgmt(spec, org, mat, token, t0)
    mgmt_cfg["request_log"] = os.path.join(logs_dir, "mgmt-requests.jsonl")

    # ---- the certificates the load balancer is configured with (Apigee X, gcloud stub)
    lb_certs = {}
    lb_profile = (spec.get("gcp") or {}).get("lb_cert")
    for g in spec["envgroups"]:
        lb_certs[g["name"]] = (mat.profile("lb-" + g["name"], lb_profile, g["hostnames"])[0] if lb_profile
                               else g["served_cert"])

    B = Built()
    B.lb_certs = lb_certs
    B.spec, B.material = spec, mat
    B.kube_state, B.ingress_cfg, B.mgmt_cfg = kube_state, ingress_cfg, mgmt_cfg
    B.overrides = overrides
    B.kube_token, B.token = kube_token, token
    B.pods_ingress, B.access_logs = pods_ingress, access_logs
    return B


def _startup_access_logs(spec, access_logs, t0, org):
    lines = []
    host = spec["envgroups"][0]["hostnames"][0]
    k = 0
    for i in range(spec["access_ok"]):
        t = t0 - _dt.timedelta(minutes=40 - 6 * i, seconds=13 * i)
        lines.append((t, fake_ingress.access_line(
            start_time=common.rfc3339(t, 3), remote_address="10.138.0.%d:%d" % (40 + i, 40100 + 17 * i),
            user_agent="curl/8.5.0", host=host, request="GET /v1/hello HTTP/1.1", request_time=12 + i, status=200,
            status_details="via_upstream", bytes_received=0, bytes_sent=68, upstream_address="10.8.0.12:8443",
            upstream_response_time=9 + i, upstream_service_time=9 + i,
            upstream_cluster="outbound|8443||apigee-runtime-%s-dev.apigee.svc.cluster.local" % org,
            x_forwarded_for="10.138.0.%d" % (40 + i), request_method="GET", request_path="/v1/hello",
            request_protocol="HTTP/1.1", tls_protocol="TLSv1.3", request_id=fake_ingress.request_id("ok%d" % i),
            sni_host=host)))
    for i in range(spec["access_nonsni_ok"]):
        t = t0 - _dt.timedelta(minutes=37 - 7 * i, seconds=5)
        lines.append((t, fake_ingress.access_line(
            start_time=common.rfc3339(t, 3), remote_address="35.191.%d.%d:%d" % (10 + i, 20 + i, 51234 + i),
            user_agent="GoogleHC/1.0", host="10.138.0.99", request="GET /healthz/ingress HTTP/1.1", request_time=0,
            status=200, status_details="direct_response", bytes_received=0, bytes_sent=0,
            x_forwarded_for="35.191.%d.%d" % (10 + i, 20 + i), request_method="GET", request_path="/healthz/ingress",
            request_protocol="HTTP/1.1", tls_protocol="TLSv1.2", request_id=fake_ingress.request_id("hc%d" % i))))
    remotes = ["10.138.0.28:19432", "35.191.10.20:51234", "130.211.1.5:38122", "10.138.0.28:19518",
               "35.191.11.7:40022", "130.211.2.9:61001", "10.138.0.31:33990", "35.191.10.20:51302"]
    for i in range(spec["access_resets"]):
        t = t0 - _dt.timedelta(minutes=35 - 4 * i, seconds=7 * i)
        lines.append((t, fake_ingress.reset_line(t, remotes[i % len(remotes)], None, 1)))
    lines.sort(key=lambda x: x[0])
    ready = t0 - _dt.timedelta(hours=2)
    heads = ["%s\tinfo\tFIPS mode enabled" % common.rfc3339(ready, 9),
             "%s\tinfo\tEnvoy proxy is ready" % common.rfc3339(ready + _dt.timedelta(seconds=2), 9)]
    files = [list(heads) for _ in access_logs]
    for t, line in lines:
        files[k % len(files)].append(line)
        k += 1
    for path, content in zip(access_logs, files):
        common.write_text(path, "\n".join(content) + "\n")


def _hybrid_objects(O, spec, org, mat, ports, pods_ingress, access_logs, logs, t0):
    O.add("namespaces", {"apiVersion": "v1", "kind": "Namespace",
                         "metadata": O.meta(NS, _ts(81 * 86400 + 3600), ns=None, kind="Namespace"),
                         "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    O.add("namespaces", {"apiVersion": "v1", "kind": "Namespace",
                         "metadata": O.meta("apigee-system", _ts(81 * 86400 + 3700), ns=None, kind="Namespace"),
                         "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    # secrets
    with open(mat.ingress_ca.cert, "rb") as f:
        ca_pem = f.read()
    O.add("secrets", {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                      "metadata": O.meta("apigee-datastore-default-creds", _ts(81 * 86400), kind="Secret"),
                      "data": {"default.password": b64(b"iloveapis123"), "admin.user": b64(b"admin_user"),
                               "admin.password": b64(b"iloveapis123"), "jmx.user": b64(b"jmxuser"),
                               "jmx.password": b64(b"iloveapis123")}})
    O.add("secrets", {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                      "metadata": O.meta("%s-encryption-keys" % org, _ts(81 * 86400), kind="Secret"),
                      "data": {"kmsEncryptionKey": b64(b"aWxvdmVhcGlzMTIzNDU2Nw=="),
                               "kvmEncryptionKey": b64(b"aWxvdmVhcGlzMTIzNDU2Nw==")}})
    O.add("secrets", {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                      "metadata": O.meta("apigee-ca", _ts(81 * 86400), kind="Secret"),
                      "data": {"ca.crt": b64(ca_pem), "tls.crt": b64(ca_pem),
                               "tls.key": b64(open(mat.ingress_ca.key, "rb").read())}})
    for g in spec["envgroups"]:
        if not g["secret"]:
            continue
        with open(g["cert_path"], "rb") as f:
            cert = f.read()
        with open(g["key_path"], "rb") as f:
            key = f.read()
        O.add("secrets", {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                          "metadata": O.meta(g["secret_name"], _ts(2 * 86400 + 3720), kind="Secret"),
                          "data": {"cert": b64(cert), "key": b64(key)}})

    # routes + route configs
    runtime_svc = {}
    for g in spec["envgroups"]:
        for e in g["envs"]:
            runtime_svc[e] = "apigee-runtime-%s-%s-%s" % (org, e, hashlib.sha256((org + e).encode()).hexdigest()[:7])
    route_objs = []
    for i, g in enumerate(spec["envgroups"]):
        r = route_obj(O, g["route"], g["hostnames"], g["secret_name"], _ts(2 * 86400 + 3600 + 60 * i),
                      state=g["route_state"], gateways=g["route_gateways"],
                      selector={"app": "apigee-ingressgateway", "ingress_name": "ext-ingress"},
                      destination=runtime_svc[g["envs"][0]])
        route_objs.append((g, r))
        arc_spec = {"selector": {"app": "apigee-ingressgateway", "ingress_name": "ext-ingress"},
                    "connectTimeout": 300, "tls": {"mode": "SIMPLE", "secretNameRef": g["secret_name"],
                                                   "minProtocolVersion": "TLS_AUTO"}}
        if g["route_gateways"]:
            arc_spec["additionalGateways"] = list(g["route_gateways"])
        O.add("apigeerouteconfigs", {
            "apiVersion": "apigee.cloud.google.com/v1alpha1", "kind": "ApigeeRouteConfig",
            "metadata": O.meta(g["secret_name"], _ts(2 * 86400 + 3650 + 60 * i), generation=1,
                               kind="ApigeeRouteConfig"),
            "spec": arc_spec, "status": {"lastAppliedGeneration": 1, "state": "running"}})
    wc = spec.get("wildcard")
    if wc:
        r = route_obj(O, wc["name"], ["*"], wc["credential"], _ts(17), state=wc["state"],
                      enable_non_sni=wc["enable"], selector={"app": "apigee-ingressgateway"})
        if wc["state"] != "running":
            r["status"]["errors"] = [{"generation": 1, "message": "waiting for ingress gateway to accept the route"}]
            event_obj(O, r, "Warning", "NotReady", "ApigeeRoute %s is %s" % (wc["name"], wc["state"]),
                      _ev(t0, 20), count=3, first=_ev(t0, 900))
    for g, r in route_objs:
        if not g["secret"]:
            event_obj(O, r, "Warning", "SecretNotFound", 'secret "%s" not found in namespace "%s"'
                      % (g["secret_name"], NS), _ev(t0, 95), count=58, first=_ev(t0, 6 * 3600))

    # pods
    ing_labels = {"app": "apigee-ingressgateway", "ingress_name": "ext-ingress", "org": org,
                  "pod-template-hash": "8f2c412"}
    img = "gcr.io/apigee-release/hybrid/apigee-envoy-proxy:1.14.1"
    for i, pname in enumerate(pods_ingress):
        p = pod_obj(O, pname, ing_labels, [
            {"name": "istio-proxy", "image": img, "ports": [{"containerPort": 8443, "name": "https", "protocol": "TCP"},
                                                           {"containerPort": 15021, "name": "status-port",
                                                            "protocol": "TCP"}]},
            {"name": "ingress-agent", "image": "gcr.io/apigee-release/hybrid/apigee-ingress-agent:1.14.1"}],
            _ts(46 * 3600 + 60 * i), "10.8.1.%d" % (21 + i),
            annotations={"kubectl.kubernetes.io/default-container": "istio-proxy"},
            owner="apigee-ingressgateway-ext-ingress-%s-8f2c412" % org)
        for reason, msg, c in (("Scheduled", "Successfully assigned apigee/%s to %s" % (pname, p["spec"]["nodeName"]),
                                "default-scheduler"),
                               ("Pulled", 'Container image "%s" already present on machine' % img, "kubelet"),
                               ("Created", "Created container istio-proxy", "kubelet"),
                               ("Started", "Started container istio-proxy", "kubelet")):
            event_obj(O, p, "Normal", reason, msg, _ev(t0, 46 * 3600 + 60 * i - 5), component=c,
                      field_path=None if reason == "Scheduled" else "spec.containers{istio-proxy}")
        logs["%s/%s/istio-proxy" % (NS, pname)] = {"file": access_logs[i]}
        agent = t0 - _dt.timedelta(hours=2)
        logs["%s/%s/ingress-agent" % (NS, pname)] = {"lines": [
            [agent.timestamp(), '{"level":"info","ts":%.4f,"msg":"ingress agent started","pod":"%s"}'
             % (agent.timestamp(), pname)]]}

    watcher = "apigee-watcher-%s-5d1b2c7-7b9fd6c4d8-x7k2p" % org
    pod_obj(O, watcher, {"app": "apigee-watcher", "org": org, "pod-template-hash": "7b9fd6c4d8"},
            [{"name": "apigee-watcher", "image": "gcr.io/apigee-release/hybrid/apigee-watcher:1.14.1"}],
            _ts(2 * 86400 + 4000), "10.8.1.30", owner="apigee-watcher-%s-5d1b2c7-7b9fd6c4d8" % org)
    logs["%s/%s/apigee-watcher" % (NS, watcher)] = {"lines": _watcher_lines(spec, t0)}

    envs = sorted(runtime_svc)
    for i, e in enumerate(envs):
        rp = "%s-6f7d8c9b5-%s" % (runtime_svc[e], ["q2w8z", "m4n7b"][i % 2])
        pod_obj(O, rp, {"app": "apigee-runtime", "env": e, "org": org, "pod-template-hash": "6f7d8c9b5"},
                [{"name": "apigee-runtime", "image": "gcr.io/apigee-release/hybrid/apigee-runtime:1.14.1",
                  "ports": [{"containerPort": 8443, "name": "https", "protocol": "TCP"}]}],
                _ts(2 * 86400 + 4100 + 30 * i), "10.8.1.%d" % (40 + i), owner=runtime_svc[e] + "-6f7d8c9b5")
        rt = t0 - _dt.timedelta(hours=1)
        logs["%s/%s/apigee-runtime" % (NS, rp)] = {"lines": [
            [rt.timestamp(), "%s INFO  ENV-CONTEXT - Environment %s is ready" % (common.rfc3339(rt, 3), e)]]}
        O.add("services", {"apiVersion": "v1", "kind": "Service",
                           "metadata": O.meta(runtime_svc[e], _ts(2 * 86400 + 4100), labels={"app": "apigee-runtime",
                                                                                               "env": e},
                                              kind="Service"),
                           "spec": {"type": "ClusterIP", "clusterIP": "10.12.%d.34" % (10 + i),
                                    "clusterIPs": ["10.12.%d.34" % (10 + i)],
                                    "ports": [{"name": "https", "port": 8443, "protocol": "TCP", "targetPort": 8443}],
                                    "selector": {"app": "apigee-runtime", "env": e, "org": org},
                                    "sessionAffinity": "None"},
                           "status": {"loadBalancer": {}}})

    svc = "apigee-ingressgateway-ext-ingress-%s-8f2c412" % org
    O.add("services", {"apiVersion": "v1", "kind": "Service",
                       "metadata": O.meta(svc, _ts(46 * 3600 + 200), labels={"app": "apigee-ingressgateway",
                                                                             "ingress_name": "ext-ingress"},
                                          kind="Service"),
                       "spec": {"type": "LoadBalancer", "clusterIP": "10.12.3.17", "clusterIPs": ["10.12.3.17"],
                                "externalTrafficPolicy": "Cluster", "sessionAffinity": "None",
                                "ports": [{"name": "status-port", "port": 15021, "protocol": "TCP",
                                           "targetPort": 15021, "nodePort": 31582},
                                          {"name": "https", "port": ports["ingress"], "protocol": "TCP",
                                           "targetPort": 8443, "nodePort": 30443}],
                                "selector": {"app": "apigee-ingressgateway", "ingress_name": "ext-ingress",
                                             "org": org}},
                       "status": {"loadBalancer": {"ingress": [{"ip": common.LOOPBACK, "ipMode": "VIP"}]}}})


def _watcher_lines(spec, t0):
    out = []
    start = t0 - _dt.timedelta(minutes=30)
    out.append([start.timestamp() - 60, '{"level":"info","ts":%.7f,"caller":"watcher/main.go:112","msg":'
                '"starting watcher","version":"1.14.1"}' % (start.timestamp() - 60)])
    for i in range(10):
        t = (start + _dt.timedelta(minutes=3 * i, seconds=0.4 * i)).timestamp()
        if spec["watcher_missing"]:
            for s in spec["watcher_missing"]:
                err = ('NOT_FOUND: failed to get secret \\"%s\\" in namespace \\"%s\\": secrets \\"%s\\" not found'
                       % (s, NS, s))
                out.append([t, '{"level":"error","ts":%.7f,"caller":"watcher/watcher.go:60","msg":"error during '
                               'watch","name":"ingress","error":"%s"}' % (t, err)])
        else:
            out.append([t, '{"level":"info","ts":%.7f,"caller":"watcher/watcher.go:53","msg":"watch completed",'
                           '"name":"ingress"}' % t])
    for _, line in out:
        json.loads(line)  # keep them valid JSON
    return out


def _mgmt(spec, org, mat, token, t0):
    api = spec["api"]
    created = common.parse_time("2025-02-28T10:00:00Z")
    ms = lambda d: common.epoch_ms(created + _dt.timedelta(days=d))  # noqa: E731
    orgobj = {"name": org, "createdAt": ms(0), "lastModifiedAt": ms(80), "environments": api["environments"],
              "properties": {"property": [{"name": "features.hybrid.enabled",
                                           "value": "true" if api["runtimeType"] == "HYBRID" else "false"},
                                          {"name": "features.mart.connect.enabled", "value": "true"}]},
              "analyticsRegion": "us-west1", "runtimeType": api["runtimeType"], "subscriptionType": "PAID",
              "projectId": org, "state": "ACTIVE", "billingType": "SUBSCRIPTION",
              "subscriptionPlan": "SUBSCRIPTION_2021", "apiConsumerDataLocation": "us-west1"}
    if api["runtimeType"] == "CLOUD":
        orgobj["authorizedNetwork"] = spec.get("authorized_network", "default")
        with open(mat.ingress_ca.cert, "rb") as f:
            orgobj["caCertificate"] = b64(f.read())
    envs = {e: {"name": e, "createdAt": ms(1 + i), "lastModifiedAt": ms(1 + i), "properties": {},
                "state": "ACTIVE", "deploymentType": "PROXY", "apiProxyType": "PROGRAMMABLE", "type": "INTERMEDIATE"}
            for i, e in enumerate(api["environments"])}
    instances, inst_att = [], {}
    for i, x in enumerate(api["instances"]):
        instances.append({
            "name": x["name"], "location": x["location"], "host": x["host"], "port": "443",
            "createdAt": ms(2 + 40 * i), "lastModifiedAt": ms(3 + 40 * i),
            "diskEncryptionKeyName": "projects/%s/locations/%s/keyRings/apigee-kr/cryptoKeys/apigee-key"
                                     % (org, x["location"]),
            "state": "ACTIVE", "peeringCidrRange": "SLASH_22", "runtimeVersion": "1-14-0-apigee-4",
            "ipRange": "%s/22,%s/28" % (x["host"].rsplit(".", 1)[0] + ".0",
                                        ".".join(x["host"].split(".")[:2] + [str(int(x["host"].split(".")[2]) + 4),
                                                                              "0"])),
            "consumerAcceptList": [org],
            "serviceAttachment": "projects/bfac74a67a320c43a12p-tp/regions/%s/serviceAttachments/apigee-%s-crw1"
                                 % (x["location"], x["location"])})
        inst_att[x["name"]] = [{"name": det_uuid("att", x["name"], e), "environment": e,
                                "createdAt": ms(4 + 40 * i + j)} for j, e in enumerate(x["attached"])]
    groups, grp_att = [], {}
    for i, g in enumerate(spec["envgroups"]):
        groups.append({"name": g["name"], "hostnames": g["hostnames"], "createdAt": ms(1), "lastModifiedAt": ms(1),
                       "state": "ACTIVE"})
        grp_att[g["name"]] = [{"name": det_uuid("egatt", g["name"], e), "environment": e, "createdAt": ms(2),
                               "environmentGroupId": g["name"]} for e in g["envs"]]
    return {"org": org, "token": token if spec["api_token_valid"] else "ya29.the-server-expects-another-token",
            "organization": orgobj, "environments": envs, "instances": instances, "instance_attachments": inst_att,
            "envgroups": groups, "envgroup_attachments": grp_att, "max_page_size": api.get("max_page_size", 1000),
            "faults": spec["api_faults"], "cert": mat.mgmt.cert, "key": mat.mgmt.key}


ENV_TEMPLATE = """\
  - name: {env}
    serviceAccountPaths:
      synchronizer: ./service-accounts/apigee-synchronizer.json
      runtime: ./service-accounts/apigee-runtime.json
      udca: ./service-accounts/apigee-udca.json"""

OVERRIDES_TEMPLATE = """\
# Simulated Apigee hybrid overrides.yaml (made by tests/sim; values are fake).
instanceID: "{org}-sim-instance"
namespace: apigee

gcp:
  projectID: {org}
  region: us-west1

k8sCluster:
  name: apigee-sim
  region: us-west1

org: {org}

envs:
{envs}

cassandra:
  hostNetwork: false
  auth:
    default:
      password: "iloveapis123"
    admin:
      password: "iloveapis123"

kmsEncryptionKey: "aWxvdmVhcGlzMTIzNDU2Nw=="

ingressGateways:
  - name: ext-ingress
    replicaCountMin: 2
    replicaCountMax: 10
    svcType: LoadBalancer

virtualhosts:
{virtualhosts}

mart:
  serviceAccountPath: ./service-accounts/apigee-mart.json

watcher:
  serviceAccountPath: ./service-accounts/apigee-watcher.json
"""
