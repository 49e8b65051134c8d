#!/usr/bin/env python3
"""A weak link made in user space: a two-port Ethernet bridge with a bottleneck in each direction.

This machine's kernel has no `netem` or `tbf` queueing discipline, so the e2e stories cannot shape
a link with `tc`. This program does what `tc qdisc ... netem delay D loss L` behind a `tbf rate R`
would do, between two interfaces of the namespace it runs in (a router namespace with no
addresses and no forwarding of its own): every frame that arrives on one interface leaves on the
other, after
  - a random loss (L percent, independently per frame),
  - a drop-tail queue served at R bit/s (a frame that would wait longer than the queue's limit is
    dropped, as a router's buffer overflows),
  - a fixed one-way delay D.
Frames (ARP included) pass unchanged: the two sides are one Ethernet segment, as with a bridge.
The veths on both sides must have their offloads off (`ethtool -K DEV tx off tso off gso off gro
off`, as weak.mjs does): with them on, a veth hands over frames of up to 64 KB and with their
checksums left for hardware to fill in, which no real link carries and a packet socket cannot
send on.

Usage: shaper.py IF_A IF_B   (A is the weak side's interface: "down" is B -> A, "up" A -> B)
Settings arrive as JSON lines on standard input, for example
  {"down": {"rate_kbit": 500, "loss": 5, "delay_ms": 75}, "up": {"rate_kbit": 500, "loss": 5, "delay_ms": 75}}
and {} lifts all shaping. Each applied setting is acknowledged with one line on standard output
("ok"), and every second a line of counters per direction ("stats {...}") tells what passed and
what was dropped.
"""

import heapq
import json
import random
import socket
import sys
import threading
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
# A frame waits at most this long in the bottleneck's queue (tbf's "latency").
QUEUE_LIMIT_S = 0.2


class Direction:
    """One direction of the link: its shaping and the frames waiting in it."""

    def __init__(self, name, out_socket):
        self.name = name
        self.out = out_socket
        self.rate_bps = None  # None: no bottleneck
        self.loss = 0.0
        self.delay_s = 0.0
        self.busy_until = 0.0  # when the bottleneck finishes serialising the last frame queued
        self.heap = []  # (release time, sequence, frame)
        self.sequence = 0
        self.cv = threading.Condition()
        self.counts = {"passed": 0, "lost": 0, "overflow": 0, "bytes": 0}

    def configure(self, setting):
        with self.cv:
            rate = setting.get("rate_kbit")
            self.rate_bps = rate * 1000.0 if rate else None
            self.loss = float(setting.get("loss", 0)) / 100.0
            self.delay_s = float(setting.get("delay_ms", 0)) / 1000.0
            self.busy_until = 0.0

    def offer(self, frame):
        now = time.monotonic()
        with self.cv:
            if self.loss and random.random() < self.loss:
                self.counts["lost"] += 1
                return
            depart = now
            if self.rate_bps:
                start = max(now, self.busy_until)
                if start - now > QUEUE_LIMIT_S:
                    self.counts["overflow"] += 1
                    return
                # Bits on the wire: the frame plus Ethernet's preamble and gap (20 bytes).
                self.busy_until = start + (len(frame) + 20) * 8.0 / self.rate_bps
                depart = self.busy_until
            self.sequence += 1
            heapq.heappush(self.heap, (depart + self.delay_s, self.sequence, frame))
            self.cv.notify()

    def run(self):
        while True:
            with self.cv:
                while not self.heap:
                    self.cv.wait()
                release, _, frame = self.heap[0]
                wait = release - time.monotonic()
                if wait > 0:
                    self.cv.wait(wait)
                    continue
                heapq.heappop(self.heap)
                self.counts["passed"] += 1
                self.counts["bytes"] += len(frame)
            try:
                self.out.send(frame)
            except OSError:
                pass


def open_port(name):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((name, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    return sock


def receive(sock, direction):
    while True:
        frame, address = sock.recvfrom(65535)
        if address[2] == PACKET_OUTGOING:
            continue  # what we sent ourselves
        direction.offer(frame)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    weak_if, other_if = sys.argv[1], sys.argv[2]
    weak, other = open_port(weak_if), open_port(other_if)
    down = Direction("down", weak)  # arrives on the other side, leaves towards the weak side
    up = Direction("up", other)
    for target in (down.run, up.run, lambda: receive(other, down), lambda: receive(weak, up)):
        threading.Thread(target=target, daemon=True).start()

    def report():
        while True:
            time.sleep(1)
            line = {d.name: dict(d.counts) for d in (down, up)}
            print("stats " + json.dumps(line), flush=True)

    threading.Thread(target=report, daemon=True).start()
    print("ready", flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        setting = json.loads(line)
        down.configure(setting.get("down", {}))
        up.configure(setting.get("up", {}))
        print("ok", flush=True)


if __name__ == "__main__":
    main()
