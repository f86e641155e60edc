# SPDX-License-Identifier: Apache-2.0
"""Write TCP conversations as pcap / pcapng with our own frame headers.

A conversation is what a loopback relay saw on one connection: a list of events
(time, direction, kind, data) with direction 'c' (client to server) or 's' and
kind one of SYN, SYNACK, DATA, FIN, RST. frames() turns conversations into
IPv4/IPv6 + TCP packets (sequence numbers, acks, checksums), split at an MSS,
optionally duplicated or reordered; write_pcap / write_pcapng wrap them in a link
layer (Ethernet with or without a VLAN tag, raw IP, loopback/null, Linux cooked
SLL / SLL2). Python 3 standard library only."""

import ipaddress
import struct

LINKTYPES = {"ether": 1, "vlan": 1, "raw": 101, "null": 0, "sll": 113, "sll2": 276}


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def tcp_packet(src, dst, sport, dport, seq, ack, flags, payload=b""):
    """An IP packet (v4 or v6 after the address) carrying one TCP segment."""
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    off_flags = (5 << 12) | flags
    tcp = struct.pack("!HHIIHHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      off_flags, 65535, 0, 0) + payload
    if s.version == 4:
        pseudo = s.packed + d.packed + struct.pack("!BBH", 0, 6, len(tcp))
    else:
        pseudo = s.packed + d.packed + struct.pack("!IxxxB", len(tcp), 6)
    tcp = tcp[:16] + struct.pack("!H", _csum(pseudo + tcp)) + tcp[18:]
    if s.version == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                          s.packed, d.packed)
        hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
        return hdr + tcp
    return struct.pack("!IHBB16s16s", 6 << 28, len(tcp), 6, 64, s.packed, d.packed) + tcp


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def frames(conv, client, server, mss=1400, dup=False, reorder=False):
    """[(time, ip_packet)] for one conversation; client/server are (addr, port)."""
    isn = {"c": 1000, "s": 50000}
    nxt = {"c": isn["c"], "s": isn["s"]}
    out = []
    for t, d, kind, data in conv:
        o = "s" if d == "c" else "c"
        src, dst = (client, server) if d == "c" else (server, client)

        def pkt(flags, seq, payload=b""):
            ackv = nxt[o] if flags & ACK else 0
            return tcp_packet(src[0], dst[0], src[1], dst[1], seq, ackv, flags, payload)

        if kind == "SYN":
            out.append((t, pkt(SYN, isn[d])))
            nxt[d] = isn[d] + 1
        elif kind == "SYNACK":
            out.append((t, pkt(SYN | ACK, isn[d])))
            nxt[d] = isn[d] + 1
            out.append((t, tcp_packet(dst[0], src[0], dst[1], src[1], nxt[o], nxt[d], ACK)))
        elif kind == "DATA":
            segs = []
            for i in range(0, len(data), mss):
                chunk = data[i:i + mss]
                segs.append(pkt(PSH | ACK, nxt[d] + i, chunk))
            nxt[d] += len(data)
            if reorder and len(segs) > 1:
                segs[0], segs[1] = segs[1], segs[0]
            for sg in segs:
                out.append((t, sg))
                if dup:
                    out.append((t, sg))
        elif kind == "FIN":
            out.append((t, pkt(FIN | ACK, nxt[d])))
            nxt[d] += 1
        elif kind == "RST":
            out.append((t, pkt(RST | ACK, nxt[d])))
    return out


def link(kind, ip):
    v6 = (ip[0] >> 4) == 6
    et = 0x86DD if v6 else 0x0800
    if kind == "ether":
        return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + struct.pack("!H", et) + ip
    if kind == "vlan":
        return (b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + struct.pack("!HHH", 0x8100, 42, et)
                + ip)
    if kind == "raw":
        return ip
    if kind == "null":
        return struct.pack("<I", 30 if v6 else 2) + ip
    if kind == "sll":
        return struct.pack("!HHH8sH", 0, 772, 6, b"\0" * 8, et) + ip
    if kind == "sll2":
        return struct.pack("!HHIHBB8s", et, 0, 1, 772, 0, 6, b"\0" * 8) + ip
    raise ValueError(kind)


def write_pcap(path, pkts, kind="ether", snaplen=262144):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, LINKTYPES[kind]))
        for t, ip in pkts:
            fr = link(kind, ip)
            cap = fr[:snaplen]
            sec = int(t)
            f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(cap), len(fr)) + cap)


def _block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def write_pcapng(path, pkts, kind="ether"):
    with open(path, "wb") as f:
        f.write(_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(_block(1, struct.pack("<HHI", LINKTYPES[kind], 0, 262144)))
        for t, ip in pkts:
            fr = link(kind, ip)
            us = int(round(t * 1e6))
            f.write(_block(6, struct.pack("<IIIII", 0, us >> 32, us & 0xFFFFFFFF, len(fr),
                                          len(fr)) + fr))
