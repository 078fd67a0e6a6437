#!/usr/bin/env python3
"""netgear_rs against vidgear and the netgear command, side by side in one run.

    python python/bench.py [--sizes 640x480,1920x1080] [--frames 2000,300] [--repeat 5]
                           [--impls vidgear,netgear_rs,cli,netgear_rs/shm,cli/shm]
                           [--netgear target/release/netgear] [--json FILE]

Each case is lock-step Bidirectional Mode (pattern 0) with a text reply, two processes on tcp
loopback: a receiver (binds) and a sender (connects). The implementations run alternately,
round after round (vidgear, netgear_rs, the netgear command, vidgear, ...), so that the
machine's noise hits them all, and the table gives the medians:

- vidgear: vidgear 0.3.6's NetGear_Async, driven by tests/interop/vg_bench.py;
- netgear_rs: the same script, on `from netgear_rs import NetGear_Async` (the one-line change);
- cli: `netgear recv --bidirectional --reply ok` and `netgear serve --bidirectional`;
- netgear_rs/shm and cli/shm: the same two over shared memory (`protocol="shm"`, `--protocol
  shm`) instead of tcp; vidgear has no shared memory, so their ×vidgear is against vidgear on
  tcp, and their ×cli against cli/shm.

fps is frames received per second, first frame to last (the receiver's count; the median of
the rounds); RTT is the sender's time from handing a frame over to having its reply (p50);
RSS is each process's peak resident memory (ru_maxrss from wait4); ×vidgear and ×cli are the
ratios of the medians, the /r columns the medians of the per-round ratios. Nothing is asserted: the test script runs this briefly
so that it cannot rot.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VG_BENCH = os.path.join(ROOT, "tests", "interop", "vg_bench.py")


def listening(port):
    """Whether something listens on tcp `port` (read from /proc/net/tcp: no connection that
    would disturb the peer)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "0A":
                        return True
        except OSError:
            pass
    return False


def wait_listening(proc, port, limit):
    deadline = time.monotonic() + limit
    while not listening(port):
        if proc.poll() is not None:
            raise RuntimeError("the receiver exited before binding port {}".format(port))
        if time.monotonic() > deadline:
            raise RuntimeError("the receiver did not bind port {} within {}s".format(port, limit))
        time.sleep(0.005)


def reap(proc, limit):
    """Waits for `proc` (at most `limit` s, then kills it): (stdout, peak RSS in KiB)."""
    deadline = time.monotonic() + limit
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.stdout.read(), usage.ru_maxrss
        if time.monotonic() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.stdout.read(), usage.ru_maxrss
        time.sleep(0.005)


def last_json(text):
    for line in reversed(text.decode(errors="replace").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON line in the peer's output: {!r}".format(text[-500:]))


def split(impl):
    """An implementation's name and protocol: `cli/shm` is ("cli", "shm")."""
    name, _, protocol = impl.partition("/")
    return name, protocol or "tcp"


def commands(impl, port, w, h, frames, netgear, timeout):
    impl, protocol = split(impl)
    if impl == "cli":
        common = ["--port", str(port), "--bidirectional", "--json", "--no-hash",
                  "--timeout", str(timeout)]
        if protocol != "tcp":
            common += ["--protocol", protocol, "--address", "127.0.0.1"]
        recv = [netgear, "recv", "--reply", "ok"] + common
        serve = [netgear, "serve", "--data", "hi", "--width", str(w),
                 "--height", str(h), "--frames", str(frames)] + common
        if protocol == "tcp":
            serve += ["--address", "127.0.0.1"]
        return recv, serve, None
    common = ["--port", str(port), "--pattern", "0", "--width", str(w), "--height", str(h),
              "--frames", str(frames), "--reply", "text", "--timeout", str(timeout),
              "--protocol", protocol]
    env = dict(os.environ, NETGEAR_BENCH_IMPL=impl)
    return ([sys.executable, VG_BENCH, "recv"] + common,
            [sys.executable, VG_BENCH, "serve"] + common, env)


def run_case(impl, port, w, h, frames, netgear, timeout):
    recv_cmd, serve_cmd, env = commands(impl, port, w, h, frames, netgear, timeout)
    guard = timeout * 4 + frames * 0.05  # a hang guard only, far above any real run
    recv = subprocess.Popen(recv_cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        if split(impl)[1] == "tcp":
            wait_listening(recv, port, guard)
        # (over shm either end may start first: nothing to wait for)
        serve = subprocess.Popen(serve_cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 env=env)
        serve_out, serve_rss = reap(serve, guard)
    finally:
        recv_out, recv_rss = reap(recv, guard)
    r, s = last_json(recv_out), last_json(serve_out)
    if r.get("error") or s.get("error") or not r.get("frames"):
        raise RuntimeError("{} {}x{}: recv {} / serve {}".format(impl, w, h, r, s))
    rtt = s.get("rtt_p50_us")
    if rtt is None and s.get("rtt_p50_ms") is not None:
        rtt = s["rtt_p50_ms"] * 1000
    return {"fps": r["fps"], "rtt_p50_us": rtt, "rss_tx_kb": serve_rss, "rss_rx_kb": recv_rss,
            "frames": r["frames"]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="640x480,1920x1080")
    p.add_argument("--frames", default="2000,300", help="frames per round, one per size")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--impls", default="vidgear,netgear_rs,cli,netgear_rs/shm,cli/shm")
    p.add_argument("--netgear", default=os.path.join(ROOT, "target", "release", "netgear"))
    p.add_argument("--port", type=int, default=5791)
    p.add_argument("--timeout", type=float, default=15.0)
    p.add_argument("--json", help="also write the results as JSON lines to this file")
    args = p.parse_args(argv)
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]
    counts = [int(n) for n in args.frames.split(",")]
    counts += [counts[-1]] * (len(sizes) - len(counts))
    impls = args.impls.split(",")
    started = time.monotonic()
    rows = []
    port = args.port
    for (w, h), frames in zip(sizes, counts):
        runs = {impl: [] for impl in impls}
        for _ in range(args.repeat):
            for impl in impls:
                port += 1  # a fresh port per run: no lingering connection meets the next
                runs[impl].append(run_case(impl, port, w, h, frames, args.netgear, args.timeout))
        for impl in impls:
            rs = runs[impl]
            rows.append({
                "impl": impl, "width": w, "height": h, "frames": frames, "rounds": len(rs),
                "fps_rounds": [r["fps"] for r in rs],
                "fps": statistics.median(r["fps"] for r in rs),
                "rtt_p50_us": statistics.median(r["rtt_p50_us"] or 0 for r in rs),
                "rss_tx_mib": max(r["rss_tx_kb"] for r in rs) / 1024,
                "rss_rx_mib": max(r["rss_rx_kb"] for r in rs) / 1024,
            })
    by = {(r["impl"], r["width"], r["height"]): r for r in rows}
    def ratios(r, base):
        """(ratio of the medians, median of the per-round ratios) against `base`."""
        if base is None or base is r:
            return None, None
        per_round = [a / b for a, b in zip(r["fps_rounds"], base["fps_rounds"])]
        return r["fps"] / base["fps"], statistics.median(per_round)

    def cell(x):
        return "" if x is None else "{:.2f}".format(x)

    print("| impl | size | fps | RTT p50 µs | RSS tx / rx MiB | ×vidgear | ×vidgear/r | ×cli | ×cli/r |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        key = (r["width"], r["height"])
        r["x_vidgear"], r["x_vidgear_r"] = ratios(r, by.get(("vidgear",) + key))
        cli = "cli" if split(r["impl"])[1] == "tcp" else "cli/" + split(r["impl"])[1]
        r["x_cli"], r["x_cli_r"] = ratios(r, by.get((cli,) + key))
        print("| {} | {}×{} | {:,.0f} | {:,.0f} | {:.1f} / {:.1f} | {} | {} | {} | {} |".format(
            r["impl"], r["width"], r["height"], r["fps"], r["rtt_p50_us"], r["rss_tx_mib"],
            r["rss_rx_mib"], cell(r["x_vidgear"]), cell(r["x_vidgear_r"]), cell(r["x_cli"]),
            cell(r["x_cli_r"])))
    print("medians of {} alternating round(s), {:.0f} s in all".format(
        args.repeat, time.monotonic() - started))
    if args.json:
        with open(args.json, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
