#!/usr/bin/python3
"""End-to-end monitoring test: the dashboards and rules, proven against a real Prometheus.

1. Starts the five real binaries on free loopback ports (risk and repair first; the others get
   --repair_target / --risk_target), each with its own data dir; reads the ports from the JSON
   "serving" line each logs on stderr.
2. `promtool check metrics` on all five /metrics.
3. Starts Debian's `prometheus` on a free loopback port (scrape and evaluation every 1 s, job
   "gridserve", rule_files = the repo's monitoring/rules/*.yml, temporary TSDB) and checks that
   every rule group loaded and no rule is in health "err".
4. Runs tools/simulator/simulate.py against the services (a compressed day with breaches).
5. Waits (polling the HTTP API, with a deadline) until Prometheus has scraped all five and
   evaluated every rule group after the run.
6. Evaluates EVERY target of EVERY panel of dashboards/*.json through /api/v1/query, with the
   dashboard variables substituted ($service, $department → ".*", $__rate_interval → 1m,
   $__range → 10m, $__interval → 15s), and asserts each returns a non-empty result. Every
   failing panel is printed with its query and the metrics in it that have no series at all.
Everything started is stopped at the end, also on failure. Exit 0 = pass.
"""
import argparse
import datetime as dt
import glob
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

SERVICES = ["risk", "repair", "contact-center", "counter", "construction"]  # start order
SUBSTITUTIONS = {
    "__rate_interval": "1m",
    "__range": "10m",
    "__range_s": "600",
    "__interval": "15s",
    "__interval_ms": "15000",
    "service": ".*",
    "department": ".*",
}
PROMQL_WORDS = {
    "sum", "by", "without", "rate", "increase", "irate", "histogram_quantile", "topk", "bottomk", "max", "min",
    "avg", "count", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "vector",
    "time", "timestamp", "label_values", "clamp_min", "clamp_max", "abs", "delta", "deriv", "bool", "le",
    "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "count_over_time", "absent", "scalar",
    "sort", "sort_desc", "changes", "resets", "quantile", "stddev", "group", "label_replace", "round", "ceil",
    "floor", "predict_linear", "last_over_time", "inf", "nan",
}


class Failure(Exception):
    pass


def log(msg):
    print(f"[monitoring_e2e {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode("utf-8", "replace")


class Suite:
    def __init__(self, args):
        self.args = args
        self.build = pathlib.Path(args.build_dir).resolve()
        self.source = pathlib.Path(args.source_dir).resolve()
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="gridserve-monitoring-"))
        self.procs = []          # (name, Popen, log file)
        self.ports = {}          # service -> (grpc_port, metrics_port)
        self.prom_url = None

    # -- processes -----------------------------------------------------------------------------
    def spawn(self, name, cmd):
        logf = open(self.tmp / f"{name}.log", "wb")
        try:
            p = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
        except OSError:
            logf.close()
            raise
        self.procs.append((name, p, logf))
        return p

    def start_service(self, svc):
        binary = self.build / "bin" / f"gridserve-{svc}"
        if not binary.exists():
            raise Failure(f"{binary} not found: build it first")
        data = self.tmp / svc
        data.mkdir()
        cmd = [str(binary), "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0", f"--data_dir={data}",
               f"--config={self.config}"]
        if "repair" in self.ports:
            cmd.append(f"--repair_target=127.0.0.1:{self.ports['repair'][0]}")
        if "risk" in self.ports:
            cmd.append(f"--risk_target=127.0.0.1:{self.ports['risk'][0]}")
        # A binary being relinked by a concurrent build is briefly not executable: retry a little.
        retry_until = time.monotonic() + 30
        while True:
            try:
                p = self.spawn(svc, cmd)
                break
            except OSError as e:  # EACCES / ETXTBSY
                if time.monotonic() > retry_until:
                    raise Failure(f"cannot start {binary}: {e}") from None
                time.sleep(1)
        deadline = time.monotonic() + 30
        logpath = self.tmp / f"{svc}.log"
        while time.monotonic() < deadline:
            for line in logpath.read_text(errors="replace").splitlines():
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("event") == "serving":
                    self.ports[svc] = (int(ev["grpc_port"]), int(ev["metrics_port"]))
                    log(f"{svc}: gRPC 127.0.0.1:{self.ports[svc][0]}, metrics 127.0.0.1:{self.ports[svc][1]}")
                    return
            if p.poll() is not None:
                raise Failure(f"{svc} exited with {p.returncode} before serving:\n{logpath.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        raise Failure(f"{svc} did not log a serving event within 30 s")

    def stop_all(self):
        for name, p, _ in reversed(self.procs):
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 15
        for name, p, logf in reversed(self.procs):
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} ignored SIGTERM; killing it")
                p.kill()
                p.wait()
            logf.close()

    # -- steps ---------------------------------------------------------------------------------
    def write_config(self):
        # Database-backed gauges refreshed every second, so the test waits less for them.
        self.config = self.tmp / "suite.json"
        # Backups on (every service into one directory, names prefixed by the
        # service): the backup panels have data to show.
        self.config.write_text(json.dumps({"platform": {"gauge_refresh_interval": "1s",
                                                        "backup_dir": str(self.tmp / "backups"),
                                                        "backup_interval": "60s"}}))

    def check_metrics(self):
        bad = []
        for svc in SERVICES:
            url = f"http://127.0.0.1:{self.ports[svc][1]}/metrics"
            body = http_get(url)
            r = subprocess.run(["promtool", "check", "metrics"], input=body.encode(), capture_output=True)
            out = (r.stdout + r.stderr).decode(errors="replace").strip()
            if r.returncode != 0:
                bad.append(f"{svc}: promtool check metrics exited {r.returncode}:\n{out}")
            else:
                log(f"{svc}: promtool check metrics clean ({body.count(chr(10))} lines)")
        return bad

    def rule_files(self):
        files = sorted(glob.glob(str(self.source / "monitoring" / "rules" / "*.yml")))
        if not files:
            raise Failure("no rule files under monitoring/rules")
        return files

    def start_prometheus(self):
        port = free_port()
        targets = "\n".join(
            f"      - targets: ['127.0.0.1:{self.ports[s][1]}']\n        labels: {{gridserve_service: {s}}}"
            for s in SERVICES)
        rules = "\n".join(f"  - {json.dumps(f)}" for f in self.rule_files())
        cfg = self.tmp / "prometheus.yml"
        cfg.write_text(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: gridserve
    static_configs:
{targets}
rule_files:
{rules}
""")
        r = subprocess.run(["promtool", "check", "config", str(cfg)], capture_output=True)
        if r.returncode != 0:
            raise Failure("promtool check config failed:\n" + (r.stdout + r.stderr).decode(errors="replace"))
        tsdb = self.tmp / "tsdb"
        p = self.spawn("prometheus", ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={tsdb}",
                                      f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                                      "--storage.tsdb.retention.time=1d"])
        self.prom_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise Failure(f"prometheus exited with {p.returncode}:\n"
                              + (self.tmp / "prometheus.log").read_text(errors="replace")[-3000:])
            try:
                http_get(self.prom_url + "/-/ready", timeout=1)
                log(f"prometheus ready at {self.prom_url}")
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        raise Failure("prometheus not ready within 60 s")

    def api(self, path, **params):
        url = f"{self.prom_url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            body = http_get(url, timeout=20)
        except urllib.error.HTTPError as e:
            body = e.read().decode("utf-8", "replace")
        data = json.loads(body)
        if data.get("status") != "success":
            raise Failure(f"{path} {params}: {data.get('errorType')}: {data.get('error')}")
        return data["data"]

    def query(self, expr):
        return self.api("query", query=expr)

    def expected_groups(self):
        groups = {}
        for f in self.rule_files():
            text = pathlib.Path(f).read_text()
            try:
                import yaml  # Debian's python3-yaml, when present
                names = [g["name"] for g in (yaml.safe_load(text) or {}).get("groups", [])]
            except ImportError:
                names = re.findall(r"^\s{0,4}-\s+name:\s*['\"]?([^'\"\s#]+)", text, re.M)
            for n in names:
                groups[n] = f
        return groups

    def check_rules(self, after=None, deadline_s=90):
        """Every rule group of the files is loaded, no rule is in health "err", and (with `after`)
        every group was evaluated after that instant. The slowest group (the long SLI windows) is
        evaluated once a minute, so waiting for it takes up to a minute."""
        expected = self.expected_groups()
        deadline = time.monotonic() + deadline_s
        while True:
            problems = []
            data = self.api("rules")
            loaded = {g["name"]: g for g in data["groups"]}
            for name, f in expected.items():
                if name not in loaded:
                    problems.append(f"rule group {name} ({os.path.basename(f)}) not loaded")
            for g in data["groups"]:
                for r in g["rules"]:
                    if r.get("health") == "err":
                        problems.append(f"rule {r['name']} in group {g['name']}: health err: {r.get('lastError')}")
                    elif r.get("health") == "unknown":
                        problems.append(f"rule {r['name']} in group {g['name']}: not evaluated yet")
                if after is not None and parse_ts(g.get("lastEvaluation")) <= after:
                    problems.append(f"group {g['name']} not evaluated since the run ended")
            if not problems:
                n = sum(len(g["rules"]) for g in data["groups"])
                log(f"rules: {len(loaded)} groups, {n} rules loaded, none in error")
                return []
            if time.monotonic() > deadline or any("health err" in p or "not loaded" in p for p in problems):
                return problems
            time.sleep(0.5)

    def wait_scraped(self, after, deadline_s=60):
        """Waits until every target was scraped successfully after `after` (epoch seconds)."""
        deadline = time.monotonic() + deadline_s
        while True:
            data = self.api("targets", state="active")
            active = data["activeTargets"]
            late = [t["scrapeUrl"] for t in active
                    if t["health"] != "up" or parse_ts(t.get("lastScrape")) <= after]
            if len(active) == len(SERVICES) and not late:
                log(f"all {len(active)} targets up and scraped after the run")
                return []
            if time.monotonic() > deadline:
                return [f"target not scraped (or down) after the run: {u}" for u in late] or \
                       [f"{len(active)} active targets, expected {len(SERVICES)}"]
            time.sleep(0.25)

    def run_simulator(self):
        sim = self.source / "tools" / "simulator" / "simulate.py"
        cmd = ["/usr/bin/python3", str(sim), "--descriptors", str(self.build / "gridserve_descriptors.pb"),
               "--scale", str(self.args.scale), "--seed", str(self.args.seed),
               "--breach-share", str(self.args.breach_share)]
        for svc in SERVICES:
            cmd += [f"--{svc}", f"127.0.0.1:{self.ports[svc][0]}"]
        log("running the simulator: " + " ".join(cmd[1:2] + cmd[3:]))
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        print(r.stdout, end="")
        m = re.search(r"^Unexpected errors \((\d+)\)", r.stdout, re.M)
        self.simulator_unexpected = int(m.group(1)) if m else 0
        m = re.search(r"^UNIMPLEMENTED", r.stdout, re.M)
        self.simulator_unimplemented = bool(m)
        if r.stderr.strip():
            print(r.stderr, end="", file=sys.stderr)
        if r.returncode != 0:
            raise Failure(f"simulator exited with {r.returncode}")

    def summary(self):
        """Prints what the day left in Prometheus: SLA outcomes and breaches by clause."""
        for title, expr, labels in [
                ("SLA instances ended", "sum by (service, sla, outcome) (gridserve_sla_total) > 0", ("service", "sla", "outcome")),
                ("SLA instances open", "sum by (service, sla) (gridserve_sla_open) > 0", ("service", "sla")),
                ("norm breaches", "sum by (service, rule) (gridserve_norm_breaches_total) > 0", ("service", "rule")),
                ("gRPC calls handled", "sum by (grpc_service, grpc_code) (grpc_server_handled_total) > 0",
                 ("grpc_service", "grpc_code"))]:
            try:
                result = self.query(expr)["result"]
            except Failure as e:
                log(f"{title}: {e}")
                continue
            rows = sorted(" ".join(s["metric"].get(k, "") for k in labels) + f" = {float(s['value'][1]):g}"
                          for s in result)
            log(f"{title}: " + ("none" if not rows else ""))
            for r in rows:
                print(f"    {r}")

    def check_panels(self):
        failures, checked, nan_only = [], 0, []
        boards = sorted((self.source / "dashboards").glob("*.json"))
        if not boards:
            raise Failure("no dashboards/*.json")
        for board in boards:
            d = json.loads(board.read_text())
            subs = dict(SUBSTITUTIONS)
            for var in d.get("templating", {}).get("list", []):
                # Other filter variables a dashboard may grow: their "All" value, else ".*".
                if var.get("type") in ("query", "custom") and var.get("name") not in subs:
                    subs[var["name"]] = var.get("allValue") or ".*"
            for var in d.get("templating", {}).get("list", []):
                q = var.get("query")
                q = q.get("query") if isinstance(q, dict) else q
                m = re.match(r"^\s*label_values\((.*),\s*(\w+)\)\s*$", q or "")
                if var.get("type") == "query" and m:
                    expr = f"group by ({m.group(2)}) ({substitute(m.group(1), subs)})"
                    checked += 1
                    ok, why = self.evaluate(expr)
                    if not ok:
                        failures.append((board.name, f"variable ${var['name']}", expr, why))
            for panel in walk_panels(d.get("panels", [])):
                for t in panel.get("targets", []):
                    if not t.get("expr") or t.get("hide"):
                        continue
                    expr = substitute(t["expr"], subs)
                    checked += 1
                    ok, why = self.evaluate(expr)
                    title = f"panel {panel.get('id')} \"{panel.get('title')}\" ({t.get('refId', 'A')})"
                    if not ok:
                        failures.append((board.name, title, expr, why))
                    elif why == "nan":
                        nan_only.append((board.name, title, expr))
        log(f"dashboards: {checked} queries evaluated, {len(failures)} without data")
        for board, title, expr in nan_only:
            log(f"note: {board} {title}: every value is NaN (no events in the window): {expr}")
        return failures

    def check_clause_table(self):
        """The violations board's "Every clause" table against the counters it sums: every clause with a
        breach or a red-line report in the day shows a value above zero, with the Service filter at All
        and at risk (a query that returns data can still hide a clause behind another series' zero)."""
        d = json.loads((self.source / "dashboards" / "violations.json").read_text())
        panel = next((p for p in walk_panels(d.get("panels", [])) if p.get("title", "").startswith("Every clause")), None)
        if panel is None:
            return ["violations.json: no \"Every clause\" table"]
        expected = {}
        for expr, services in [('sum by (rule) (gridserve_norm_breaches_total) > 0', None),
                               ('sum by (rule) (gridserve_norm_breaches_total{service="risk"}) > 0', "risk"),
                               ('sum by (rule) (gridserve_redline_reports_total{status="reported"}) > 0', None),
                               ('sum by (rule) (gridserve_redline_reports_total{status="reported"}) > 0', "risk")]:
            for sample in self.query(expr)["result"]:
                expected.setdefault(services or ".*", set()).add(sample["metric"]["rule"])
        if not any(r.startswith("RK-") for r in expected.get("risk", ())):
            return ["the simulated day left no red-line report: the clause table's RK rows cannot be checked"]
        problems = []
        for service, rules in sorted(expected.items()):
            subs = dict(SUBSTITUTIONS, service=service)
            result = self.query(substitute(panel["targets"][0]["expr"], subs))["result"]
            shown = {sample["metric"].get("rule"): float(sample["value"][1]) for sample in result}
            hidden = sorted(r for r in rules if not shown.get(r, 0) > 0)
            if hidden:
                problems.append(f"violations.json \"{panel['title']}\" (Service={service}) shows no breach or "
                                f"report for {', '.join(hidden)}, which the counters have")
        log(f"clause table: {sum(len(r) for r in expected.values())} clause rows with events checked")
        return problems

    def evaluate(self, expr):
        try:
            data = self.query(expr)
        except Failure as e:
            return False, f"query error: {e}"
        result = data.get("result")
        if data.get("resultType") == "scalar":
            return True, ""
        if not result:
            missing = [m for m in metric_names(expr) if not self.query(f"count({{__name__=\"{m}\"}})")["result"]]
            return False, ("no series at all for: " + ", ".join(missing)) if missing else \
                "empty result (the metrics exist but the label filters / arithmetic leave nothing)"
        values = [s.get("value", [0, ""])[1] for s in result]
        if values and all(v in ("NaN", "+Inf", "-Inf") for v in values):
            return True, "nan"
        return True, ""


def parse_ts(s):
    """Prometheus RFC 3339 with nanoseconds → epoch seconds (0 for the zero time)."""
    if not s or s.startswith("0001-"):
        return 0.0
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", s)
    if not m:
        return 0.0
    base = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    tz = dt.timezone.utc if m.group(3) == "Z" else dt.datetime.strptime(m.group(3).replace(":", ""), "%z").tzinfo
    return base.replace(tzinfo=tz).timestamp() + float(m.group(2) or 0)


def substitute(expr, subs=None):
    subs = SUBSTITUTIONS if subs is None else subs

    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        return subs.get(name, m.group(0))
    # ${var}, ${var:format}, [[var]], $var (longest names first through the regex's greed)
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)", repl, expr)


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def metric_names(expr):
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # label values
    stripped = re.sub(r"\{[^}]*\}", "", stripped)                  # matchers
    stripped = re.sub(r"\[[^\]]*\]", "", stripped)                 # ranges
    stripped = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", stripped)
    names = []
    for tok in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", stripped):
        if tok.lower() in PROMQL_WORDS or re.fullmatch(r"\d+[smhdwy]", tok):
            continue
        if tok not in names:
            names.append(tok)
    return names


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", required=True)
    p.add_argument("--source-dir", required=True)
    p.add_argument("--scale", type=int, default=10, help="simulator records per kind (default 10)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--breach-share", type=float, default=0.3)
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data, TSDB)")
    args = p.parse_args()
    for tool in ("prometheus", "promtool"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not installed (Debian package prometheus)")
            return 77
    suite = Suite(args)
    problems = []
    log(f"temp dir {suite.tmp}")
    try:
        suite.write_config()
        for svc in SERVICES:
            suite.start_service(svc)
        problems += suite.check_metrics()
        suite.start_prometheus()
        problems += suite.check_rules()
        problems += suite.wait_scraped(time.time())
        suite.run_simulator()
        ended = time.time()
        # Sweeps (1 s), outbox deliveries and gauge refreshes (1 s here) land within seconds;
        # wait for two scrapes after the run, then a rule evaluation after those.
        problems += suite.wait_scraped(ended + 2.5)
        problems += suite.check_rules(after=time.time())
        problems += suite.check_metrics()
        suite.summary()
        failures = suite.check_panels()
        problems += suite.check_clause_table()
        for board, title, expr, why in failures:
            problems.append(f"{board} {title}: {why}\n      query: {expr}")
    except Failure as e:
        problems.append(str(e))
    except Exception as e:  # noqa: BLE001 - report, then clean up
        problems.append(f"{type(e).__name__}: {e}")
        import traceback
        traceback.print_exc()
    finally:
        suite.stop_all()
        if problems:
            for name in SERVICES + ["prometheus"]:
                f = suite.tmp / f"{name}.log"
                if f.exists():
                    tail = [ln for ln in f.read_text(errors="replace").splitlines()
                            if '"level":"error"' in ln or '"level":"warn"' in ln or "level=error" in ln]
                    for ln in tail[-5:]:
                        print(f"  {name} log: {ln[:400]}")
        if args.keep or os.environ.get("GRIDSERVE_KEEP_TMP"):
            log(f"kept {suite.tmp}")
        else:
            shutil.rmtree(suite.tmp, ignore_errors=True)
    problems = list(dict.fromkeys(problems))  # the metrics lint runs before and after the day
    if problems:
        print(f"\nFAIL: {len(problems)} problem(s):")
        for pr in problems:
            print(f"  - {pr}")
        return 1
    print("\nPASS: metrics lint-clean, rules loaded, every dashboard query returns data")
    if getattr(suite, "simulator_unexpected", 0) or getattr(suite, "simulator_unimplemented", False):
        print(f"note: the simulator met {suite.simulator_unexpected} unexpected error(s)"
              f"{' and UNIMPLEMENTED RPCs' if suite.simulator_unimplemented else ''} (listed above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
