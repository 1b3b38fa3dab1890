"""Load test of the service on loopback: gunicorn with 2 workers, wrk for a
bounded time on POST /api/v1/recommendations and GET /api/v1/healthz.

Needs Debian's wrk (`apt-get install wrk`). Only 127.0.0.1 is targeted; the
server is started and stopped by this script, with a temporary database.
The two endpoints are measured in alternating rounds (POST, then /healthz,
``--rounds`` times) and compared on their medians, so that a slower stretch of
the machine weighs on both; every round's figures are printed.

Targets on the 2-core reference machine (issue #21): POST /recommendations
>= 300 req/s with p99 <= 50 ms, and >= 0.5 x the req/s of /healthz (what the
same stack answers when it does no work).

    .venv/bin/python benchmarks/load_api.py [--seconds 10] [--connections 8] [--rounds 3] [--profiles 200]
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import statistics
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROFILE = {"ateco": "23.31", "province": "MO", "maturity_level": 2, "customer_type": "b2b"}
# varied profiles (sectors, places, maturity, customer types, markets) so caches do not flatter the figure;
# --profiles adds more, drawn as recommend_benchmark.py draws its firms
PROFILES = [
    PROFILE,
    {"ateco": "14.13", "province": "PO", "maturity_level": 1},
    {"ateco": "28.29", "province": "BS", "maturity_level": 3, "current_markets": ["DE", "FR"]},
    {"ateco": "10.51", "province": "PR", "maturity_level": 4, "customer_type": "b2c", "languages": ["en", "de"]},
    {"ateco": "15.20", "district": "calzetteria-di-castel-goffredo", "maturity_level": 2},
    {"ateco": "11.02", "province": "CN", "maturity_level": 3, "customer_type": "both", "excluded_markets": ["US"]},
    {"ateco": "25.72", "province": "TO", "maturity_level": 2, "employees": 40},
    {"ateco": "22.29", "province": "VR", "maturity_level": 1, "customer_type": "b2b"},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": pct(50), "p99_ms": pct(99), "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def workers_cpu(master: int) -> dict[int, float]:
    """CPU seconds used so far by each gunicorn worker of ``master`` (Linux /proc)."""
    out = {}
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out[int(pid)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def measured(master: int, *args) -> dict:
    """:func:`wrk` with the share of the busier worker in the workers' CPU time (0.5: evenly spread)."""
    before = workers_cpu(master)
    result = wrk(*args)
    used = [cpu - before.get(pid, 0.0) for pid, cpu in workers_cpu(master).items()]
    return result | {"busier_share": max(used) / sum(used) if sum(used) else 1.0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profiles", type=int, default=0, help="varied profiles added to the 8 (0: the 8 only)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from recommend_benchmark import profiles
    bodies_of = PROFILES + [{k: v for k, v in p.items() if v not in (None, [])}
                            for p in profiles(args.profiles, seed=5)]
    if not shutil.which("wrk"):
        print("wrk not found: apt-get install wrk", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp())
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "BIND": f"127.0.0.1:{port}",
           "API_RATE_LIMIT": "10000000 per minute", "WEB_CONCURRENCY": "2",
           "AUTH_FAILURE_RATE_LIMIT": "10000000 per minute"}
    flask = [str(BIN / "flask"), "--app", "api"]
    subprocess.run(flask + ["db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    key = subprocess.run(flask + ["keys", "create", "--tenant", "bench", "--scope", "read"], env=env, cwd=ROOT,
                         check=True, capture_output=True, text=True).stdout.strip()
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(120):  # both workers load and verify the model
            try:
                if urllib.request.urlopen(f"{base}/readyz", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        script = tmp / "post.lua"
        bodies = ", ".join("[[%s]]" % json.dumps(p) for p in bodies_of)
        # requests formatted once per wrk thread (init), not per request: the client shares the 2 cores
        script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                          'wrk.headers["X-API-Key"] = "%s"\nlocal bodies = {%s}\nlocal requests = {}\n'
                          'local i = 0\ninit = function(args)\n  for j, body in ipairs(bodies) do\n'
                          '    requests[j] = wrk.format(nil, nil, nil, body)\n  end\nend\n'
                          'request = function()\n  i = i %% #requests + 1\n  return requests[i]\nend\n'
                          % (key, bodies))
        wrk(f"{base}/recommendations", 3, args.connections, str(script))  # warm-up: fill both workers' caches
        recs, healths = [], []
        for _ in range(args.rounds):
            recs.append(measured(server.pid, f"{base}/recommendations", args.seconds, args.connections, str(script)))
            healths.append(measured(server.pid, f"{base}/healthz", args.seconds, args.connections))
        batch = json.dumps({"firms": [PROFILES[i % len(PROFILES)] for i in range(1000)]}).encode()
        times = []
        for _ in range(3):
            req = urllib.request.Request(f"{base}/recommendations/batch?k=10", data=batch, method="POST",
                                         headers={"Content-Type": "application/json", "X-API-Key": key})
            t0 = time.perf_counter()
            with urllib.request.urlopen(req, timeout=60) as r:
                assert r.status == 200 and json.loads(r.read())["ok"] == 1000
            times.append(time.perf_counter() - t0)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"gunicorn 2 gthread workers (one SO_REUSEPORT socket each), {len(bodies_of)} varied profiles, "
          f"wrk 2 threads x {args.connections} connections, {args.rounds} rounds of {args.seconds} s per endpoint, "
          "loopback")
    for i, (rec, health) in enumerate(zip(recs, healths), 1):
        print(f"  round {i}: POST {rec['rps']:.0f} req/s (p50 {rec['p50_ms']:.1f} ms, p99 {rec['p99_ms']:.1f} ms, "
              f"non-2xx {rec['non_2xx']}, busier worker {rec['busier_share']:.0%} of the CPU); /healthz "
              f"{health['rps']:.0f} req/s (p99 {health['p99_ms']:.1f} ms, busier worker {health['busier_share']:.0%}); "
              f"ratio {rec['rps'] / health['rps']:.2f}")
    rec_rps, health_rps = (statistics.median(r["rps"] for r in runs) for runs in (recs, healths))
    rec_p99 = statistics.median(r["p99_ms"] for r in recs)
    print(f"POST /recommendations: median {rec_rps:.0f} req/s, p99 {rec_p99:.1f} ms, "
          f"non-2xx {sum(r['non_2xx'] for r in recs)} (targets >= 300 req/s, p99 <= 50 ms)")
    print(f"GET /healthz:          median {health_rps:.0f} req/s")
    print(f"ratio recommendations/healthz (medians): {rec_rps / health_rps:.2f} (target >= 0.5)")
    print(f"batch of 1,000 JSON rows (varied profiles): best {min(times):.2f} s, worst {max(times):.2f} s "
          f"(target <= 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
