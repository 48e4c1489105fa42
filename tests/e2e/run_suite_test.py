#!/usr/bin/python3
"""The README's first command, end to end: scripts/run-suite on the test tree's binaries.

What it checks, as a newcomer would see it after `./scripts/run-suite`:
1. the five services and Prometheus start on the default ports of design.md, and Prometheus (with
   monitoring/prometheus.yml and every rule file in monitoring/rules/) scrapes all five as up, each
   labelled with its gridserve_service;
2. the simulator of the README (tools/simulator/simulate.py, default targets) runs a small day against
   them without an unexpected error, and Prometheus then sees those calls;
3. Ctrl-C (SIGINT to the script's process group) stops everything: the script exits 0 and every port is
   free again; each service logged that it served (and no sanitizer report), and its SQLite file is
   under GRIDSERVE_DATA_DIR.

Installing and building (the script's first step) is what ./scripts/test does too; here
GRIDSERVE_BIN_DIR points the script at the binaries already built. Exit 77 (skipped): Prometheus is not
installed, or a default port is taken (a suite already running on this machine).
"""

import argparse
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SERVICES = {  # gridserve_service label -> (gRPC port, metrics port), design.md's defaults
    "contact-center": (50051, 9461),
    "counter": (50052, 9462),
    "construction": (50053, 9463),
    "repair": (50054, 9464),
    "risk": (50055, 9465),
}
PROMETHEUS = "http://127.0.0.1:9090"
SKIP = 77


def log(msg):
    print(f"[run_suite_test {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fail(msg):
    log(f"FAIL: {msg}")
    sys.exit(1)


def port_taken(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def default_ports():
    return [p for pair in SERVICES.values() for p in pair] + [9090]


def prometheus_api(path, **params):
    url = f"{PROMETHEUS}/api/v1/{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)["data"]


def wait_for(what, check, suite, timeout):
    """Polls check() -> (done, what it saw) until done; fails when the suite exits or time runs out."""
    deadline = time.monotonic() + timeout
    seen = "nothing yet"
    while time.monotonic() < deadline:
        if suite.poll() is not None:
            fail(f"scripts/run-suite exited ({suite.returncode}) while waiting for {what}")
        try:
            done, seen = check()
            if done:
                return
        except OSError as e:  # Prometheus not listening yet
            seen = e
        time.sleep(1)
    fail(f"timed out after {timeout}s waiting for {what}; last seen: {seen}")


def targets_up():
    active = prometheus_api("targets", state="active")["activeTargets"]
    state = sorted((t["labels"].get("gridserve_service", "?"), t["health"]) for t in active)
    return state == sorted((service, "up") for service in SERVICES), state


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build-dir", required=True, type=pathlib.Path)
    p.add_argument("--source-dir", required=True, type=pathlib.Path)
    args = p.parse_args()
    source, build = args.source_dir.resolve(), args.build_dir.resolve()

    if subprocess.run(["sh", "-c", "command -v prometheus"], capture_output=True).returncode != 0:
        log("prometheus is not installed (Debian package prometheus): skipped")
        return SKIP
    taken = [port for port in default_ports() if port_taken(port)]
    if taken:
        log(f"default ports in use ({taken}): a suite is already running here; skipped")
        return SKIP

    data = pathlib.Path(tempfile.mkdtemp(prefix="gridserve-run-suite-"))
    env = dict(os.environ, GRIDSERVE_BIN_DIR=str(build / "bin"), GRIDSERVE_DATA_DIR=str(data))
    output = open(data / "run-suite.out", "w")
    log(f"scripts/run-suite with GRIDSERVE_BIN_DIR={build / 'bin'}, data in {data}")
    suite = subprocess.Popen([str(source / "scripts" / "run-suite")], cwd=source, env=env, stdout=output,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for("Prometheus to scrape all five services as up", targets_up, suite, timeout=120)
        log("Prometheus scrapes all five services, each labelled with its gridserve_service")

        rule_files = sorted(str(f.relative_to(source)) for f in (source / "monitoring" / "rules").glob("*.yml"))
        loaded = {g["file"] for g in prometheus_api("rules")["groups"]}
        if {pathlib.Path(f).name for f in loaded} != {pathlib.Path(f).name for f in rule_files}:
            fail(f"Prometheus loaded rule files {sorted(loaded)}, the repository has {rule_files}")
        log(f"every rule file is loaded ({len(rule_files)})")

        sim = subprocess.run(["/usr/bin/python3", str(source / "tools" / "simulator" / "simulate.py"),
                              "--descriptors", str(build / "gridserve_descriptors.pb"), "--scale", "2",
                              "--seed", "7", "--strict"], capture_output=True, text=True, timeout=300)
        if sim.returncode != 0:
            fail(f"the simulator exited {sim.returncode}:\n{sim.stdout[-3000:]}\n{sim.stderr[-3000:]}")
        log("the simulator's day ran without an unexpected error")

        def calls_seen():
            result = prometheus_api("query", query='sum by (gridserve_service) (grpc_server_handled_total{grpc_code="OK"})')
            seen = {r["metric"].get("gridserve_service") for r in result["result"] if float(r["value"][1]) > 0}
            return seen == set(SERVICES), sorted(seen)
        wait_for("Prometheus to see the simulator's calls on every service", calls_seen, suite, timeout=60)
        log("Prometheus sees answered calls on every service")
    finally:
        if suite.poll() is None:
            os.killpg(suite.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground job
        try:
            code = suite.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(suite.pid, signal.SIGKILL)
            fail("scripts/run-suite did not stop within 60 s of Ctrl-C")
        output.close()

    if code != 0:
        fail(f"scripts/run-suite exited {code} after Ctrl-C:\n{(data / 'run-suite.out').read_text()[-3000:]}")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and [port for port in default_ports() if port_taken(port)]:
        time.sleep(0.2)
    still = [port for port in default_ports() if port_taken(port)]
    if still:
        fail(f"ports still in use after the suite stopped: {still}")
    for service in SERVICES:
        service_log = data / "logs" / f"{service}.log"
        text = service_log.read_text()
        if '"event":"serving"' not in text:
            fail(f"{service_log} has no serving event")
        # In the sanitizer tree a report ends a service with an error the script's Ctrl-C path does
        # not pass on; its log (stderr, through tee) has it.
        for report in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if report in text:
                fail(f"{service_log} has a sanitizer report:\n{text[text.index(report) - 200:][:4000]}")
        if not (data / f"{service}.db").is_file():
            fail(f"no SQLite file of {service} in {data}: {sorted(f.name for f in data.iterdir())}")
    log("Ctrl-C stopped the suite (exit 0), every port is free, each service served from its SQLite file")
    subprocess.run(["rm", "-rf", str(data)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
