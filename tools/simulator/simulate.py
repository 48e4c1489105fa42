#!/usr/bin/python3
"""Drives a realistic, compressed day through the five gridserve services' public gRPC APIs.

Black box: no generated code. The build's descriptor set (build/gridserve_descriptors.pb, a
FileDescriptorSet with its imports) gives dynamic message classes; requests are written as
readable dicts (protobuf JSON field names) and parsed with json_format.ParseDict.

What one run does, per service (every kind --scale times; --breach-share of the records break a norm):
  risk            red-line reports from audits and inspections, investigations confirmed or dismissed
  repair          outages (an active fault outage the calls fall into, a late restoration without
                  cause, planned outages with and without timely notices to important customers),
                  repair-desk work orders with acknowledgement, arrival (some late, some never),
                  premises entry, borrowed items, restoration, completion and the customer survey
  contact-center  calls (rings 1..6, some without apology, some abandoned, some inside the outage),
                  call reviews, consultations (some deferred, some callbacks overdue), fault reports
                  (customer-internal guidance, utility-side dispatched to repair, some reported late),
                  complaints and tip-offs (some received_at backdated past their 5/10-day due time)
  counter         counter sessions and states, queue tickets (some waiting past 15 min, some never
                  called), visits with forms, assists, escalations and reviews, home service, a long
                  system failure with visits converted to appointments (one not; the tickets left
                  waiting not), closing the hall
  construction    projects of every type through their stages (guidance, coordinated plan, site
                  appointments, safety checklist, site work, inspections, damages, feedback,
                  completion); some backdated so first guidance or re-inspection breach
and afterwards drives the work orders repair created from contact-center's dispatches, then reads
(Get/List/statistics) a little everywhere, as supervisors do.

Imported event times are backdated from "now", so clocks of minutes to days expire (or are met)
while the run lasts; nothing waits for wall-clock time except the dispatch follow-up (a few seconds
for the outbox). Exit status: 0 unless a service could not be reached at all or --strict and an
unexpected error occurred. UNIMPLEMENTED answers are counted and reported, never fatal.
"""
import argparse
import collections
import datetime as dt
import os
import pathlib
import random
import sys
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

PACKAGE = "gridserve.v1"
SERVICES = {
    # flag / short name: (gRPC service, default port)
    "risk": ("RiskMonitor", 50055),
    "repair": ("Repair", 50054),
    "contact-center": ("ContactCenter", 50051),
    "counter": ("Counter", 50052),
    "construction": ("Construction", 50053),
}
DEPARTMENTS = ["customer-service", "business-hall", "business-expansion", "repair", "operations", "metering"]
AREA_LIMITS_MIN = {"urban": 45, "rural": 90, "remote": 120}        # RP-1 arrival promises
RESTORATION_LIMITS_MIN = {"urban": 180, "rural": 240, "remote": 240}
SURNAMES = ["Zhang", "Wang", "Li", "Zhao", "Chen", "Liu", "Yang", "Huang", "Wu", "Zhou", "Xu", "Sun"]
GIVEN = ["Wei", "Fang", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Tao", "Hua", "Ping", "Xin"]
STREETS = ["Renmin Road", "Jiefang Avenue", "Zhongshan Road", "Heping Street", "Xinhua Road", "Chang'an Lane"]


class Abort(Exception):
    """Stops one story (a record's life) after a failed step; the run goes on."""


def load_pool(path):
    if not pathlib.Path(path).is_file():
        sys.exit(f"simulate.py: descriptor set {path} not found: build the target gridserve_descriptors "
                 "first, or pass --descriptors")
    fds = descriptor_pb2.FileDescriptorSet.FromString(pathlib.Path(path).read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    return pool


def message_class(pool, full_name):
    desc = pool.FindMessageTypeByName(full_name)
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


def ts(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


M = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


class Client:
    """One dynamic stub per RPC; records every answer by RPC and status code."""

    def __init__(self, pool, targets, verbose, timeout=10.0):
        self.pool, self.verbose, self.timeout = pool, verbose, timeout
        self.channels = {svc: grpc.insecure_channel(t) for svc, t in targets.items()}
        self.targets = targets
        self.stubs = {}
        self.stats = collections.Counter()          # (rpc, code) -> n
        self.unimplemented = collections.Counter()  # rpc -> n
        self.unexpected = []                        # (kind, rpc, code, details)
        self.unavailable = collections.Counter()    # service -> n
        self.kinds = collections.Counter()          # story kind -> records that completed
        self.breaches_planned = collections.Counter()
        self.seq = 0

    def _stub(self, svc, method):
        key = (svc, method)
        if key not in self.stubs:
            sdesc = self.pool.FindServiceByName(f"{PACKAGE}.{SERVICES[svc][0]}")
            mdesc = sdesc.methods_by_name[method]
            req_cls = message_class(self.pool, mdesc.input_type.full_name)
            resp_cls = message_class(self.pool, mdesc.output_type.full_name)
            path = f"/{sdesc.full_name}/{method}"
            if mdesc.server_streaming:
                fn = self.channels[svc].unary_stream(path, request_serializer=req_cls.SerializeToString,
                                                     response_deserializer=resp_cls.FromString)
            else:
                fn = self.channels[svc].unary_unary(path, request_serializer=req_cls.SerializeToString,
                                                    response_deserializer=resp_cls.FromString)
            self.stubs[key] = (fn, req_cls, mdesc)
        return self.stubs[key]

    def request_id(self, run):
        self.seq += 1
        return f"sim-{run}-{self.seq:06d}"

    def call(self, kind, svc, method, body, expect=(), run="", timeout=None):
        """Calls svc.method with body (a dict); returns the response as a dict.

        A status in `expect` (a deliberate gate test) returns None; UNIMPLEMENTED, UNAVAILABLE or
        any other error raises Abort after counting (other errors are also printed with `kind`).
        """
        fn, req_cls, mdesc = self._stub(svc, method)
        if "request_id" in req_cls.DESCRIPTOR.fields_by_name and "request_id" not in body:
            body = dict(body, request_id=self.request_id(run))
        req = json_format.ParseDict(body, req_cls())
        rpc = f"{SERVICES[svc][0]}/{method}"
        try:
            if mdesc.server_streaming:
                resp = list(fn(req, timeout=timeout or self.timeout))
            else:
                resp = fn(req, timeout=timeout or self.timeout)
            code = "OK"
        except grpc.RpcError as e:
            code = e.code().name
            self.stats[(rpc, code)] += 1
            if self.verbose:
                print(f"  {kind}: {rpc} -> {code}: {e.details()}", file=sys.stderr)
            if code in expect:
                return None
            if code == "UNIMPLEMENTED":
                self.unimplemented[rpc] += 1
            elif code == "UNAVAILABLE":
                self.unavailable[svc] += 1
            else:
                self.unexpected.append((kind, rpc, code, e.details()))
                print(f"unexpected: [{kind}] {rpc} -> {code}: {e.details()}", file=sys.stderr)
            raise Abort(rpc) from None
        self.stats[(rpc, code)] += 1
        if self.verbose:
            print(f"  {kind}: {rpc} -> OK", file=sys.stderr)
        if mdesc.server_streaming:
            return [json_format.MessageToDict(r, preserving_proto_field_name=True) for r in resp]
        return json_format.MessageToDict(resp, preserving_proto_field_name=True)


class Day:
    def __init__(self, client, args):
        self.c, self.args = client, args
        self.rng = random.Random(args.seed)
        # Unique per run even with the same seed (request ids, hall and telephony ids build on it).
        self.run = f"{int(time.time() * 1000) % 10**9:09d}{os.urandom(2).hex()}"
        self.share = args.breach_share
        self.n = args.scale
        self.outage = None            # the active fault outage calls fall into (CC-4)
        self.fault_reports = []       # dispatched fault report ids, followed up in repair
        self.ids = collections.defaultdict(list)
        self.pending = []

    # -- helpers ------------------------------------------------------------------------------
    def breach(self):
        return self.rng.random() < self.share

    def call(self, kind, svc, method, body, expect=(), timeout=None):
        return self.c.call(kind, svc, method, body, expect=expect, run=self.run, timeout=timeout)

    def person(self):
        return {"name": f"{self.rng.choice(SURNAMES)} {self.rng.choice(GIVEN)}", "phone": self.phone()}

    def phone(self):
        return "13" + "".join(str(self.rng.randrange(10)) for _ in range(9))

    def id_number(self):
        body = "110105" + f"{self.rng.randrange(1950, 2004)}{self.rng.randrange(1, 13):02d}{self.rng.randrange(1, 29):02d}" + \
            f"{self.rng.randrange(1000):03d}"
        weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]

    def address(self):
        return f"No. {self.rng.randrange(1, 400)} {self.rng.choice(STREETS)}, Building {self.rng.randrange(1, 30)}"

    def staff(self, prefix, dept):
        return {"staff_id": f"{prefix}-{self.rng.randrange(1, 25):03d}", "department": dept}

    def location(self, area_class=None, in_outage=False):
        loc = {"address": self.address(), "area_class": area_class or self.rng.choice(list(AREA_LIMITS_MIN))}
        if in_outage and self.outage:
            loc.update(area_code=self.outage["area_code"], feeder_id=self.outage["feeder_id"])
        else:
            loc.update(area_code=f"A-{self.run}-{self.rng.randrange(2, 9)}",
                       feeder_id=f"F-{self.run}-{self.rng.randrange(2, 9)}")
        return loc

    def plan(self, what):
        """Notes a norm breach the current story sets up; counted once the story completes."""
        self.pending.append(what)

    def story(self, kind, fn, *a):
        self.pending = []
        try:
            fn(*a)
            self.c.kinds[kind] += 1
            for what in self.pending:
                self.c.breaches_planned[what] += 1
        except Abort:
            pass
        self.pending = []

    def enabled(self, svc):
        return svc not in self.args.skip

    # -- the day -------------------------------------------------------------------------------
    def simulate(self):
        n = self.n
        if self.enabled("risk"):
            for i in range(n):
                self.story("red_line_report", self.red_line, i)
            self.story("red_line_invalid_rule", self.red_line_invalid)
        if self.enabled("repair"):
            self.story("outage_active_fault", self.outage_active)
            self.story("outage_restored", self.outage_restored, self.share > 0)
            self.story("outage_restored", self.outage_restored, False)
            for i in range(max(2, n // 5)):
                self.story("outage_planned", self.outage_planned, i, self.breach())
            if self.share > 0:
                self.story("outage_maintenance_late_notice", self.outage_maintenance_late)
            for i in range(n):
                self.story("work_order", self.work_order, i, self.breach())
            for i in range(max(1, n // 10)):
                self.story("work_order_cancelled", self.work_order_cancelled, i == 0 and self.share > 0)
        if self.enabled("contact-center"):
            for i in range(n * 2):
                self.story("call", self.cc_call, i, self.breach())
            for i in range(n):
                self.story("consultation", self.consultation, i, self.breach())
            for i in range(n):
                self.story("fault_report", self.fault_report, i, self.breach())
            for i in range(n):
                self.story("complaint", self.case, "CASE_KIND_COMPLAINT", i, self.breach())
            for i in range(max(2, n // 2)):
                self.story("tip_off", self.case, "CASE_KIND_TIP_OFF", i, self.breach())
        if self.enabled("counter"):
            self.counter_day()
        if self.enabled("construction"):
            for i in range(n):
                self.story("project", self.project, i, self.breach())
        if self.enabled("repair") and self.enabled("contact-center"):
            self.follow_dispatches()
        self.reads()

    # -- risk ----------------------------------------------------------------------------------
    def red_line(self, i):
        now = utcnow()
        rule = f"RK-{self.rng.randrange(1, 12)}"
        dept = self.rng.choice(DEPARTMENTS)
        r = self.call("red_line_report", "risk", "ReportRedLine", {
            "rule": rule, "source": self.rng.choice(["RED_LINE_SOURCE_AUDIT", "RED_LINE_SOURCE_INSPECTION"]),
            "department": dept, "staff": self.staff("S-" + dept[:3], dept),
            "source_reference": f"audit/{self.run}/{i}",
            "occurred_at": ts(now - self.rng.uniform(1, 10) * D),
            "description": "found in the monthly service audit"})
        report_id = r["report"]["report_id"]
        self.ids["red_line"].append(report_id)
        if r.get("entry", {}).get("entry_id"):
            self.ids["ledger_entry"].append(r["entry"]["entry_id"])
        if self.rng.random() < 0.25:
            return  # still REPORTED: open investigation clock
        self.call("red_line_report", "risk", "StartInvestigation", {
            "report_id": report_id, "investigator": self.staff("INV", "operations"),
            "started_at": ts(utcnow())})  # not before the report was filed (reported_at, just now)
        if self.rng.random() < 0.2:
            return  # INVESTIGATING
        if self.breach():
            self.plan("RK confirmed")
            self.call("red_line_report", "risk", "ConfirmRedLine", {
                "report_id": report_id, "decided_by": self.staff("SUP", "operations"), "decided_at": ts(utcnow()),
                "finding": "confirmed by the customer's statement and the call record",
                "action_taken": "staff member warned and retrained"})
        else:
            self.call("red_line_report", "risk", "DismissRedLine", {
                "report_id": report_id, "decided_by": self.staff("SUP", "operations"), "decided_at": ts(utcnow()),
                "finding": "no evidence", "action_taken": "reporter informed"})

    def red_line_invalid(self):
        self.call("red_line_invalid_rule", "risk", "ReportRedLine", {
            "rule": "RK-99", "source": "RED_LINE_SOURCE_AUDIT", "department": "operations",
            "occurred_at": ts(utcnow() - H), "description": "not a clause"}, expect=("INVALID_ARGUMENT",))

    # -- repair: outages -----------------------------------------------------------------------
    def outage_active(self):
        now = utcnow()
        feeder, area = f"F-{self.run}-1", f"A-{self.run}-1"
        r = self.call("outage_active_fault", "repair", "CreateOutage", {
            "kind": "OUTAGE_KIND_FAULT", "reason": "cable fault on the feeder", "department": "repair",
            "affected_area": "Renmin Road north", "feeder_ids": [feeder], "area_codes": [area],
            "started_at": ts(now - 2 * H), "etr": ts(now + 2 * H)})
        oid = r["outage"]["outage_id"]
        self.outage = {"outage_id": oid, "feeder_id": feeder, "area_code": area, "etr": ts(now + 3 * H)}
        self.call("outage_active_fault", "repair", "UpdateOutageEtr", {
            "outage_id": oid, "etr": self.outage["etr"], "updated_at": ts(now - 30 * M),
            "reason": "replacement cable on its way"})
        self.call("outage_active_fault", "repair", "RecordOutageNotice", {
            "outage_id": oid, "audience": "NOTICE_AUDIENCE_PUBLIC", "channel": "NOTICE_CHANNEL_WEBSITE_OR_APP",
            "sent_at": ts(now - 90 * M), "content": "fault outage, restoration expected soon",
            "sent_by": self.staff("OPS", "operations")})

    def outage_restored(self, late_without_cause):
        now = utcnow()
        r = self.call("outage_restored", "repair", "CreateOutage", {
            "kind": "OUTAGE_KIND_FAULT", "reason": "transformer fault", "department": "operations",
            "affected_area": "Xinhua Road", "feeder_ids": [f"F-{self.run}-{self.rng.randrange(10, 99)}"],
            "area_codes": [f"A-{self.run}-r"], "started_at": ts(now - 6 * H), "etr": ts(now - 3 * H)})
        oid = r["outage"]["outage_id"]
        if late_without_cause:  # RK-4: restored after the ETR, no cause recorded
            self.plan("RK-4")
            self.call("outage_restored", "repair", "RecordOutageRestoration", {
                "outage_id": oid, "restored_at": ts(now - 1 * H)})
        else:
            self.call("outage_restored", "repair", "RecordOutageRestoration", {
                "outage_id": oid, "restored_at": ts(now - 4 * H)})

    def outage_planned(self, i, late_notice):
        now = utcnow()
        customers = [{"customer_id": f"IC-{self.run}-{i}-{k}", "name": f"Important customer {k}",
                      "contact": self.person()} for k in range(2)]
        # RK-3 is judged when the supply is cut: a late-notice outage is announced at the last
        # minute and started at once; the others are announced 8..12 days ahead.
        start = now + (1 * M if late_notice else self.rng.uniform(8, 12) * D)
        r = self.call("outage_planned", "repair", "CreateOutage", {
            "kind": "OUTAGE_KIND_PLANNED", "reason": "line maintenance", "department": "operations",
            "affected_area": self.rng.choice(STREETS), "feeder_ids": [f"F-{self.run}-p{i}"],
            "area_codes": [f"A-{self.run}-p{i}"], "important_customers": customers,
            "planned_start": ts(start), "planned_end": ts(start + 8 * H)})
        oid = r["outage"]["outage_id"]
        self.call("outage_planned", "repair", "RecordOutageNotice", {
            "outage_id": oid, "audience": "NOTICE_AUDIENCE_PUBLIC", "channel": "NOTICE_CHANNEL_PUBLIC_POSTING",
            "sent_at": ts(utcnow()), "content": "planned maintenance", "sent_by": self.staff("OPS", "operations")})
        noticed = customers[:1] if late_notice else customers
        if late_notice:
            self.plan("RK-3")
        for cust in noticed:
            self.call("outage_planned", "repair", "RecordOutageNotice", {
                "outage_id": oid, "audience": "NOTICE_AUDIENCE_IMPORTANT_CUSTOMER",
                "important_customer_id": cust["customer_id"], "channel": "NOTICE_CHANNEL_PHONE",
                "sent_at": ts(utcnow()), "content": "planned maintenance", "sent_by": self.staff("OPS", "operations")})
        if late_notice:
            self.call("outage_planned", "repair", "RecordOutageStart", {"outage_id": oid, "started_at": ts(utcnow())})
            return
        if i == 0:
            self.call("outage_planned", "repair", "CancelOutage", {
                "outage_id": oid, "reason": "works postponed", "cancelled_at": ts(utcnow())})

    def outage_maintenance_late(self):
        # Temporary maintenance already under way; the important customer told only now (RK-3),
        # and supply cut.
        now = utcnow()
        cust = {"customer_id": f"IC-{self.run}-tm", "name": "Hospital", "contact": self.person()}
        r = self.call("outage_maintenance_late_notice", "repair", "CreateOutage", {
            "kind": "OUTAGE_KIND_TEMPORARY_MAINTENANCE", "reason": "urgent switch maintenance",
            "department": "operations", "affected_area": "Heping Street", "feeder_ids": [f"F-{self.run}-tm"],
            "area_codes": [f"A-{self.run}-tm"], "important_customers": [cust],
            "planned_start": ts(now + 2 * M), "planned_end": ts(now + 2 * H)})
        oid = r["outage"]["outage_id"]
        self.plan("RK-3")
        self.call("outage_maintenance_late_notice", "repair", "RecordOutageNotice", {
            "outage_id": oid, "audience": "NOTICE_AUDIENCE_IMPORTANT_CUSTOMER", "important_customer_id": cust["customer_id"],
            "channel": "NOTICE_CHANNEL_PHONE", "sent_at": ts(utcnow()), "content": "maintenance starting now",
            "sent_by": self.staff("OPS", "operations")})
        self.call("outage_maintenance_late_notice", "repair", "RecordOutageStart", {
            "outage_id": oid, "started_at": ts(utcnow())})

    # -- repair: work orders -------------------------------------------------------------------
    def work_order(self, i, late):
        now = utcnow()
        area = self.rng.choice(["urban", "urban", "rural", "remote"])
        limit = AREA_LIMITS_MIN[area]
        never_arrives = late and self.rng.random() < 0.3
        arrival_min = self.rng.uniform(limit * 1.1, limit * 1.8) if late else self.rng.uniform(limit * 0.2, limit * 0.95)
        restore_min = RESTORATION_LIMITS_MIN[area] * (self.rng.uniform(1.05, 1.3) if late and self.rng.random() < 0.4
                                                     else self.rng.uniform(0.1, 0.5))
        # The whole visit (arrival, restoration, survey up to an hour later) lies in the past.
        dispatched = now - ((limit + 30) if never_arrives else
                            (arrival_min + restore_min + 75 + self.rng.uniform(0, 120))) * M
        r = self.call("work_order", "repair", "CreateWorkOrder", {
            "customer": self.person(), "location": self.location(area), "description": "no power in the house",
            "department": self.rng.choice(["repair", "operations"]), "dispatched_at": ts(dispatched)})
        wo = r["work_order"]["work_order_id"]
        self.ids["work_order"].append(wo)
        crew = [self.staff("CREW", "repair"), self.staff("CREW", "repair")]
        self.call("work_order", "repair", "AcknowledgeWorkOrder", {
            "work_order_id": wo, "crew": crew, "acknowledged_at": ts(dispatched + 2 * M)})
        if never_arrives:
            self.plan("RP-1 arrival (never)")
            return
        if late:
            self.plan("RP-1 arrival (late)")
        arrived = dispatched + arrival_min * M
        self.call("work_order", "repair", "RecordArrival", {
            "work_order_id": wo, "staff": crew[0], "arrived_at": ts(arrived), "site_surveyed": True,
            "survey_note": "asked the customer what happened; fault at the meter box"})
        t = arrived + 5 * M
        rude = late and self.rng.random() < 0.3
        entry = self.call("work_order", "repair", "RecordPremisesEntry", {
            "work_order_id": wo, "staff": crew[0], "entered_at": ts(t), "knocked": True, "id_shown": True,
            "consent_given": True, "shoe_covers": not rude})
        item = None
        if self.rng.random() < 0.3:
            item = self.call("work_order", "repair", "LogBorrowedItem", {
                "work_order_id": wo, "staff": crew[1], "description": "ladder", "permission_asked": not rude,
                "borrowed_at": ts(t + 5 * M)})
        restored = arrived + restore_min * M
        if restore_min > RESTORATION_LIMITS_MIN[area]:
            self.plan("RP-1 restoration (late)")
        self.call("work_order", "repair", "RecordRestoration", {
            "work_order_id": wo, "staff": crew[0], "restored_at": ts(restored), "fault_cause": "loose terminal",
            "action_taken": "terminal tightened, fuse replaced"})
        if item:
            self.call("work_order", "repair", "ReturnBorrowedItem", {
                "work_order_id": wo, "item_id": item["item_id"], "returned_at": ts(restored + 2 * M),
                "cleaned": True, "returned_gently": True, "thanked": True})
        self.call("work_order", "repair", "RecordPremisesExit", {
            "work_order_id": wo, "entry_id": entry["entry_id"], "exited_at": ts(restored + 5 * M),
            "cleaned_up": True, "thanked": not rude})
        if late and self.rng.random() < 0.3:  # RP-5 gate: checklist incomplete
            self.call("work_order", "repair", "CompleteWorkOrder", {
                "work_order_id": wo, "staff": crew[0], "completed_at": ts(restored + 10 * M),
                "completion_checklist": {"items": [{"item": "site_cleaned", "done": True}]}},
                expect=("FAILED_PRECONDITION", "INVALID_ARGUMENT"))
        self.call("work_order", "repair", "CompleteWorkOrder", {
            "work_order_id": wo, "staff": crew[0], "completed_at": ts(restored + 12 * M),
            "completion_checklist": {"items": [{"item": "site_cleaned", "done": True},
                                               {"item": "no_residue", "done": True}]}})
        if self.rng.random() < 0.7:
            self.call("work_order", "repair", "RecordVisitFeedback", {
                "work_order_id": wo, "civil_language": not (late and self.rng.random() < 0.4),
                "feedback": {"satisfaction": self.rng.choice([2, 3]) if late else self.rng.choice([4, 5]),
                             "collected_at": ts(min(utcnow(), restored + 60 * M)), "channel": "FEEDBACK_CHANNEL_PHONE"}})

    def work_order_cancelled(self, late):
        """An order called off before the crew arrived: in time, RP-1 is withdrawn; after the promise, a breach."""
        area = self.rng.choice(["urban", "rural"])
        limit = AREA_LIMITS_MIN[area]
        after_min = limit + 10 if late else limit * 0.3
        dispatched = utcnow() - (after_min + 5) * M
        r = self.call("work_order_cancelled", "repair", "CreateWorkOrder", {
            "customer": self.person(), "location": self.location(area), "description": "no power in the house",
            "department": "repair", "dispatched_at": ts(dispatched)})
        if late:
            self.plan("RP-1 arrival (cancelled after the promise)")
        self.call("work_order_cancelled", "repair", "CancelWorkOrder", {
            "work_order_id": r["work_order"]["work_order_id"], "staff": self.staff("DISP", "repair"),
            "reason": "customer reports supply back", "cancelled_at": ts(dispatched + after_min * M)})

    def follow_dispatches(self):
        """Drives the orders repair created from contact-center's dispatches (outbox, CC-3 → RP-1)."""
        deadline = time.monotonic() + self.args.dispatch_wait
        pending = list(self.fault_reports)
        orders = []
        while pending and time.monotonic() < deadline:
            still = []
            for fr in pending:
                try:
                    r = self.call("dispatch_follow_up", "contact-center", "GetFaultReport", {"fault_report_id": fr})
                except Abort:
                    continue
                d = r.get("fault_report", {}).get("dispatch", {})
                if d.get("status") == "DISPATCH_STATUS_DELIVERED" and d.get("work_order_id"):
                    orders.append(d["work_order_id"])
                else:
                    still.append(fr)
            pending = still
            if pending:
                time.sleep(1.0)
        self.c.kinds["dispatch_delivered"] += len(orders)
        self.c.kinds["dispatch_not_delivered"] += len(pending)
        for wo in orders:
            self.story("dispatched_work_order", self.dispatched_order, wo)

    def dispatched_order(self, wo):
        r = self.call("dispatched_work_order", "repair", "GetWorkOrder", {"work_order_id": wo})
        order = r["work_order"]
        if self.rng.random() < 0.3:
            return  # crew still on the way: open arrival clock
        crew = [self.staff("CREW", "repair")]
        self.call("dispatched_work_order", "repair", "AcknowledgeWorkOrder", {
            "work_order_id": wo, "crew": crew, "acknowledged_at": ts(utcnow())})
        self.call("dispatched_work_order", "repair", "RecordArrival", {
            "work_order_id": wo, "staff": crew[0], "arrived_at": ts(utcnow()), "site_surveyed": True})
        del order

    # -- contact center ------------------------------------------------------------------------
    def cc_call(self, i, bad):
        now = utcnow()
        in_outage = self.outage is not None and i % 6 == 0
        # Outage calls come in while the outage (started 2 h ago) is on, so the lookup covers them.
        start = now - (self.rng.uniform(5, 90) if in_outage else self.rng.uniform(15, 600)) * M
        kind = self.rng.choice(["rings", "greeting", "hangup"]) if bad else None
        if bad and in_outage:
            kind = "outage"
        rings = self.rng.randint(4, 6) if kind == "rings" else self.rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6] if not bad else [1, 2, 3])
        abandoned = not in_outage and self.rng.random() < 0.08
        agent = self.staff("CC", "customer-service")
        body = {"external_call_id": f"TEL-{self.run}-{i}", "department": "customer-service",
                "purpose": "CALL_PURPOSE_OUTAGE" if in_outage else self.rng.choice(
                    ["CALL_PURPOSE_CONSULTATION", "CALL_PURPOSE_FAULT", "CALL_PURPOSE_COMPLAINT", "CALL_PURPOSE_OTHER"]),
                "caller_phone": self.phone(), "alerting_started_at": ts(start)}
        if self.rng.random() < 0.5:
            body["rings"] = rings
        else:
            body["alerting_duration"] = f"{rings * 5 - 1}s"
        if abandoned:
            # Every abandoned call counts against CC-1 (a breach record), a 3 s one as well unless the
            # operator sets contact_center.short_abandon_threshold; the bad ones ring past the limit.
            if not bad:
                body.pop("rings", None)
                body["alerting_duration"] = "3s"
            else:
                kind = "abandoned"
            alerting = dt.timedelta(seconds=3) if not bad else rings * 5 * dt.timedelta(seconds=1)
            body.update(outcome="CALL_OUTCOME_ABANDONED", ended_at=ts(start + alerting),
                        hang_up_party="HANG_UP_PARTY_CUSTOMER")
        else:
            answered = start + rings * 5 * dt.timedelta(seconds=1)
            body.update(outcome="CALL_OUTCOME_ANSWERED", agent=agent, answered_at=ts(answered),
                        ended_at=ts(answered + self.rng.uniform(1, 10) * M),
                        greeted=kind != "greeting", unit_named=True, apologised=rings > 3 and kind != "rings",
                        disposition=self.rng.choice(["CALL_DISPOSITION_NORMAL"] * 8 + ["CALL_DISPOSITION_WRONG_NUMBER",
                                                                                       "CALL_DISPOSITION_HARASSMENT"]),
                        hang_up_party="HANG_UP_PARTY_AGENT" if kind == "hangup" else "HANG_UP_PARTY_CUSTOMER")
        if in_outage:
            body.update(caller_location=self.location(in_outage=True), apologised_for_outage=kind != "outage",
                        etr_told=kind != "outage")
            if kind != "outage":
                body["etr_given"] = self.outage["etr"]
        if kind:
            self.plan(f"CC call ({kind})")
        r = self.call("call", "contact-center", "RecordCall", body)
        call_id = r["call"]["call_id"]
        self.ids["call"].append(call_id)
        if not abandoned and self.rng.random() < 0.3:
            fail = bad and self.rng.random() < 0.5
            abusive = bad and self.rng.random() < 0.2
            self.call("call_review", "contact-center", "RecordCallReview", {
                "call_id": call_id, "abusive_language": abusive,
                "review": {"reviewer_staff_id": "QA-001", "reviewed_at": ts(utcnow()), "comment": "sampled",
                           "items": [{"clause": "CC-7", "item": "confirmed_key_content",
                                      "result": "REVIEW_RESULT_FAIL" if fail else "REVIEW_RESULT_PASS"},
                                     {"clause": "CC-6", "item": "polite_and_firm", "result": "REVIEW_RESULT_PASS"}]}})

    def consultation(self, i, bad):
        now = utcnow()
        dept = "customer-service"
        agent = self.staff("CC", dept)
        base = {"customer": self.person(), "agent": agent, "department": dept,
                "question": self.rng.choice(["How is the step tariff computed?", "When is my meter read?",
                                             "How do I apply for a capacity increase?"])}
        if self.rng.random() < 0.4 and not bad:
            self.call("consultation", "contact-center", "OpenConsultation", dict(
                base, handling="CONSULTATION_HANDLING_ANSWERED_ON_CALL", answer="explained on the call",
                opened_at=ts(now - self.rng.uniform(10, 600) * M)))
            return
        if bad and self.rng.random() < 0.3:  # CC-2 gate: deferral without apology / callback number
            self.call("consultation_gate", "contact-center", "OpenConsultation", dict(
                base, handling="CONSULTATION_HANDLING_DEFERRED", opened_at=ts(now - 30 * M)),
                expect=("INVALID_ARGUMENT",))
        opened = now - (self.rng.uniform(25, 40) * H if bad else self.rng.uniform(1, 20) * H)
        r = self.call("consultation", "contact-center", "OpenConsultation", dict(
            base, handling="CONSULTATION_HANDLING_DEFERRED", apologised=True, callback_number=self.phone(),
            escalated_to_department="business-expansion", opened_at=ts(opened)))
        cid = r["consultation"]["consultation_id"]
        self.ids["consultation"].append(cid)
        if bad:
            self.plan("CC-2 callback")
            if self.rng.random() < 0.5:
                return  # never called back: breached at expiry
            replied = utcnow()
        else:
            if self.rng.random() < 0.25:
                return  # callback still open, within its 24 h
            replied = opened + (utcnow() - opened) * self.rng.uniform(0.3, 0.9)
        self.call("consultation", "contact-center", "ReplyConsultation", {
            "consultation_id": cid, "answer": "called back with the answer", "replied_by": agent,
            "replied_at": ts(replied)})

    def fault_report(self, i, bad):
        now = utcnow()
        agent = self.staff("CC", "customer-service")
        if self.rng.random() < 0.3:
            self.call("fault_report", "contact-center", "ReportFault", {
                "reporter": self.person(), "location": self.location(), "description": "tripped breaker inside",
                "classification": "FAULT_CLASSIFICATION_CUSTOMER_INTERNAL", "guidance_given": True,
                "guidance_note": "guided the customer to reset the breaker", "agent": agent,
                "department": "customer-service", "reported_at": ts(now - self.rng.uniform(5, 300) * M)})
            return
        loc = self.location(in_outage=self.outage is not None and i % 4 == 0)
        reporter = self.person()
        if bad and self.rng.random() < 0.3:  # CC-3 gate: no phone number for the dispatch
            self.call("fault_report_gate", "contact-center", "ReportFault", {
                "reporter": {"name": reporter["name"]}, "location": loc, "description": "no power",
                "classification": "FAULT_CLASSIFICATION_UTILITY_SIDE", "agent": agent, "department": "repair",
                "reported_at": ts(now - 2 * M)}, expect=("INVALID_ARGUMENT",))
        reported = now - (self.rng.uniform(8, 30) * M if bad else self.rng.uniform(0.2, 1.5) * M)
        if bad:
            self.plan("CC-3 dispatch")
        r = self.call("fault_report", "contact-center", "ReportFault", {
            "reporter": reporter, "location": loc, "description": "no power in the whole building",
            "classification": self.rng.choice(["FAULT_CLASSIFICATION_UTILITY_SIDE"] * 3 + ["FAULT_CLASSIFICATION_UNKNOWN"]),
            "agent": agent, "department": "repair", "reported_at": ts(reported)})
        self.fault_reports.append(r["fault_report"]["fault_report_id"])

    def case(self, kind, i, bad):
        now = utcnow()
        complaint = kind == "CASE_KIND_COMPLAINT"
        due_days = 5 if complaint else 10
        dept = self.rng.choice(DEPARTMENTS)
        anonymous = not complaint and self.rng.random() < 0.5
        body = {"kind": kind, "department": dept, "anonymous": anonymous,
                "summary": "repair crew arrived late and was impolite" if complaint else "staff member asked for a gift",
                "thanked": True, "recorded_by": self.staff("CC", "customer-service")}
        if not anonymous:
            body["reporter"] = self.person()
        if not complaint or self.rng.random() < 0.15:
            body["red_line_rule"] = self.rng.choice(["RK-1", "RK-8", "RK-10", "RK-6"])
            body["accused_staff"] = self.staff("S", dept)
        state = "late" if bad else self.rng.choice(["replied", "replied", "open", "due_soon"])
        if state == "late":
            self.plan("CC-5 reply")
            received = now - (due_days + self.rng.uniform(0.2, 2)) * D
            body["thanked"] = self.rng.random() < 0.7
        elif state == "due_soon":
            received = now - (due_days - self.rng.uniform(0.2, 0.8)) * D
        else:
            received = now - self.rng.uniform(0.1, due_days - 1.5) * D
        body["received_at"] = ts(received)
        r = self.call(kind.split("_", 2)[-1].lower(), "contact-center", "RecordCase", body)
        case_id = r["customer_case"]["case_id"]
        self.ids["case"].append(case_id)
        if state == "replied" or (state == "late" and self.rng.random() < 0.4):
            replied = utcnow() if state == "late" else received + (utcnow() - received) * self.rng.uniform(0.4, 0.95)
            self.call(kind.split("_", 2)[-1].lower(), "contact-center", "ReplyCase", {
                "case_id": case_id, "reply_text": "investigated; the customer was told the result",
                "replied_by": self.staff("CS", dept), "replied_at": ts(replied)})

    # -- counter -------------------------------------------------------------------------------
    def counter_day(self):
        hall = f"HALL-{self.run}"
        self.hall = hall
        now = utcnow()
        day_start = now - 9 * H
        # Counter ids are unique suite-wide (a counter joins its hall with its first session).
        counters = [f"{hall}-C{k}" for k in range(1, 5)]
        self.sessions = {}
        self.counter_staff = {}
        self.queued_tickets = []  # (ticket_id, issued_at) of tickets left waiting: CT-7 in the failure
        for k, cid in enumerate(counters):
            staff = {"staff_id": f"BH-{k + 1:03d}", "department": "business-hall"}
            try:
                r = self.call("counter_session", "counter", "OpenSession", {
                    "hall_id": hall, "counter_id": cid, "staff": staff, "opened_at": ts(day_start + k * M)})
                self.sessions[cid] = r["session"]["session_id"]
                self.counter_staff[cid] = staff
                self.call("counter_session", "counter", "SetCounterState", {
                    "hall_id": hall, "counter_id": cid, "state": "COUNTER_STATE_IN_SERVICE", "staff": staff,
                    "changed_at": ts(day_start + (k + 1) * M)})
                self.c.kinds["counter_session"] += 1
            except Abort:
                pass
        for i in range(self.n * 2):
            self.story("ticket", self.ticket, i, self.breach())
        if self.share > 0:
            self.story("counter_back_office", self.back_office)
        for i in range(max(2, self.n // 4)):
            self.story("home_service", self.home_service, i, self.breach())
        self.story("system_failure", self.system_failure, self.share > 0)
        self.story("counter_closing", self.closing)

    def _counter(self):
        if not self.sessions:
            raise Abort("no counter session")
        cid = self.rng.choice(sorted(self.sessions))
        return cid, self.counter_staff[cid]

    def ticket(self, i, bad):
        now = utcnow()
        btype = self.rng.choice(["new_connection", "capacity_change", "payment", "payment", "consultation",
                                 "tariff_change", "meter_check"])
        needs = [self.rng.choice(["ACCESSIBILITY_NEED_WHEELCHAIR", "ACCESSIBILITY_NEED_ELDERLY",
                                  "ACCESSIBILITY_NEED_HARD_OF_HEARING"])] if self.rng.random() < 0.1 else []
        never_called = bad and self.rng.random() < 0.3
        issued = now - (self.rng.uniform(20, 50) * M if never_called else self.rng.uniform(1, 8) * H)
        r = self.call("ticket", "counter", "IssueTicket", {
            "hall_id": self.hall, "business_type": btype, "accessibility_needs": needs, "issued_at": ts(issued)})
        tid = r["ticket"]["ticket_id"]
        self.ids["ticket"].append(tid)
        if never_called:
            self.plan("CT-4 wait (never called)")
            self.queued_tickets.append((tid, issued))
            return
        wait = self.rng.uniform(16, 40) if bad else self.rng.uniform(1, 14)
        if bad:
            self.plan("CT-4 wait (late)")
        called = issued + wait * M
        cid, staff = self._counter()
        self.call("ticket", "counter", "CallTicket", {
            "ticket_id": tid, "counter_id": cid, "staff": staff, "called_at": ts(called),
            "apologised": wait > 10 and not (bad and self.rng.random() < 0.5)})
        if self.rng.random() < 0.05:
            self.call("ticket", "counter", "MarkNoShow", {"ticket_id": tid, "staff": staff,
                                                          "marked_at": ts(called + 3 * M)})
            return
        self.visit(i, bad, tid, btype, needs, staff, called + 1 * M)

    def visit(self, i, bad, tid, btype, needs, owner, started):
        customer = dict(self.person(), id_number=self.id_number())
        r = self.call("visit", "counter", "StartVisit", {
            "hall_id": self.hall, "ticket_id": tid, "owner": owner, "customer": customer, "business_type": btype,
            "accessibility_needs": needs, "started_at": ts(started)})
        vid = r["visit"]["visit_id"]
        self.ids["visit"].append(vid)
        t = started + 2 * M
        if btype == "new_connection":
            fields = {"applicant_name": customer["name"], "id_number": customer["id_number"],
                      "phone": customer["phone"], "address": self.address(), "requested_capacity_kva": "8"}
            first = dict(fields, phone="12345") if self.rng.random() < 0.3 else fields
            f = self.call("visit", "counter", "SubmitApplicationForm", {
                "visit_id": vid, "business_type": btype, "fields": first, "sample_shown": True,
                "filled_by_staff": bool(needs), **({"filled_by": owner} if needs else {}), "submitted_at": ts(t)})
            form = f["form"]
            if form.get("status") == "FORM_STATUS_NEEDS_REFILL":
                t += 3 * M
                self.call("visit", "counter", "SubmitApplicationForm", {
                    "visit_id": vid, "form_id": form["form_id"], "business_type": btype, "fields": fields,
                    "sample_shown": True, "submitted_at": ts(t)})
        if self.rng.random() < 0.2:
            t += 1 * M
            self.call("visit", "counter", "AddVisitAssist", {
                "visit_id": vid, "assistant": {"staff_id": "BH-020", "department": "business-hall"},
                "reason": "tariff question for the back office", "assisted_at": ts(t)})
        if self.rng.random() < 0.1 or (bad and self.rng.random() < 0.3):
            t += 1 * M
            argued = bad and self.rng.random() < 0.5
            if argued:
                self.plan("CT-8 argued")
            self.call("visit", "counter", "RecordEscalation", {
                "visit_id": vid, "reason": "ESCALATION_REASON_AGITATED_CUSTOMER", "from_staff": owner,
                "to_staff": {"staff_id": "BH-099", "department": "business-hall"}, "policy_explained": True,
                "argued_with_customer": argued, "note": "customer upset about the bill", "escalated_at": ts(t)})
        redirected = bad and self.rng.random() < 0.25
        if bad and self.rng.random() < 0.1:  # CT-1 gate: only the owner ends a visit
            self.call("visit", "counter", "EndVisit", {
                "visit_id": vid, "ended_by_staff_id": "BH-777", "outcome": "VISIT_OUTCOME_COMPLETED",
                "ended_at": ts(t + 1 * M)}, expect=("FAILED_PRECONDITION",))
        t += self.rng.uniform(3, 15) * M
        if redirected:
            self.plan("CT-1 redirected")
        self.call("visit", "counter", "EndVisit", {
            "visit_id": vid, "ended_by_staff_id": owner["staff_id"],
            "outcome": "VISIT_OUTCOME_REDIRECTED_UNFINISHED" if redirected else "VISIT_OUTCOME_COMPLETED",
            **({"redirected_to": "the county supply station"} if redirected else {}), "ended_at": ts(t)})
        if self.rng.random() < 0.4:
            fail = bad and self.rng.random() < 0.4
            self.call("visit_review", "counter", "RecordCounterReview", {
                "visit_id": vid, "source": "REVIEW_SOURCE_CUSTOMER_EVALUATION",
                "review": {"reviewer_staff_id": "SUP-01", "reviewed_at": ts(t + 1 * M),
                           "items": [{"clause": "CT-2", "item": "greeting_and_seat", "result": "REVIEW_RESULT_PASS"},
                                     {"clause": "CT-5", "item": "goodbye",
                                      "result": "REVIEW_RESULT_FAIL" if fail else "REVIEW_RESULT_PASS"}]},
                "feedback": {"satisfaction": 3 if fail else 5, "collected_at": ts(t + 1 * M),
                             "channel": "FEEDBACK_CHANNEL_COUNTER_DEVICE"}})

    def back_office(self):
        # A ticket waits past the limit while a counter goes to back-office work (CT-4 check).
        now = utcnow()
        r = self.call("counter_back_office", "counter", "IssueTicket", {
            "hall_id": self.hall, "business_type": "payment", "issued_at": ts(now - 20 * M)})
        self.queued_tickets.append((r["ticket"]["ticket_id"], now - 20 * M))
        cid, staff = self._counter()
        self.plan("CT-4 back office")
        self.call("counter_back_office", "counter", "SetCounterState", {
            "hall_id": self.hall, "counter_id": cid, "state": "COUNTER_STATE_BACK_OFFICE", "staff": staff,
            "changed_at": ts(utcnow())})
        self.call("counter_back_office", "counter", "ListCounters", {"hall_id": self.hall})
        self.call("counter_back_office", "counter", "SetCounterState", {
            "hall_id": self.hall, "counter_id": cid, "state": "COUNTER_STATE_IN_SERVICE", "staff": staff,
            "changed_at": ts(utcnow())})

    def home_service(self, i, bad):
        now = utcnow()
        opened = now - (self.rng.uniform(7, 10) * D if bad else self.rng.uniform(1, 20) * H)
        r = self.call("home_service", "counter", "OpenHomeService", {
            "hall_id": self.hall, "contact": self.person(), "location": {"address": self.address()},
            "needs": ["ACCESSIBILITY_NEED_WHEELCHAIR"], "business_type": "new_connection",
            "request_summary": "new connection for a wheelchair user", "opened_by": self.staff("BH", "business-hall"),
            "opened_at": ts(opened)})
        hid = r["home_service"]["home_service_id"]
        self.ids["home_service"].append(hid)
        if bad:
            self.plan("CT-9 home service")
            return
        if self.rng.random() < 0.7:
            self.call("home_service", "counter", "CompleteHomeService", {
                "home_service_id": hid, "staff": self.staff("BH", "business-hall"), "outcome_note": "form filled at home",
                "completed_at": ts(opened + (utcnow() - opened) * 0.8)})

    def system_failure(self, leave_one):
        # Visits in progress when the billing system fails for 40+ minutes (CT-7): each must be
        # turned into an appointment within 15 min of the failure turning long; so must each
        # customer still holding a waiting ticket (left unconverted here: planned breaches).
        now = utcnow()
        owners = list(self.counter_staff.values()) or [self.staff("BH", "business-hall")]
        visits = []
        for k in range(3):
            r = self.call("system_failure", "counter", "StartVisit", {
                "hall_id": self.hall, "owner": owners[k % len(owners)], "customer": self.person(),
                "business_type": "capacity_change", "started_at": ts(now - (50 - k) * M)})
            visits.append((r["visit"]["visit_id"], owners[k % len(owners)]))
        r = self.call("system_failure", "counter", "OpenSystemFailure", {
            "hall_id": self.hall, "description": "billing system unavailable",
            "opened_by": owners[0], "started_at": ts(now - 45 * M)})
        fid = r["system_failure"]["failure_id"]
        # CT-7 for the customers still in the queue: each waiting ticket's conversion clock runs from the
        # later of the turn (now - 30 min) and its issue, 15 min; nobody books them, so a ticket issued
        # 15 min ago or earlier is breached by now (recorded by the sweep or when the failure closes).
        for _tid, issued in getattr(self, "queued_tickets", []):
            if max(now - 30 * M, issued) + 15 * M <= now:
                self.plan("CT-7 conversion (queued ticket)")
        self.visit_left_open = None
        for k, (vid, owner) in enumerate(visits):
            if leave_one and k == len(visits) - 1:
                self.plan("CT-7 conversion")
                self.visit_left_open = (vid, owner)
                continue
            a = self.call("system_failure", "counter", "ConvertVisitToAppointment", {
                "visit_id": vid, "failure_id": fid, "contact": self.person(), "apologised": True,
                # the first customer comes back the same afternoon, once the system is up again
                "scheduled_at": ts(now - 10 * M if k == 0 else now + k * D), "booked_by": owner,
                "booked_at": ts(now - (28 - k) * M)})
            self.ids["appointment"].append(a["appointment"]["appointment_id"])
        self.call("system_failure", "counter", "GetSystemFailure", {"failure_id": fid})
        self.failure_id = fid

    def closing(self):
        # Sessions close; one with a visit still in progress is refused (CT-10 gate) then forced.
        left = getattr(self, "visit_left_open", None)
        fid = getattr(self, "failure_id", None)
        if fid:
            self.call("counter_closing", "counter", "CloseSystemFailure", {"failure_id": fid, "ended_at": ts(utcnow())})
        if self.ids["appointment"]:
            self.call("counter_closing", "counter", "KeepAppointment", {
                "appointment_id": self.ids["appointment"][0], "staff": self.staff("BH", "business-hall"),
                "kept_at": ts(utcnow())})
        for cid, sid in sorted(self.sessions.items()):
            staff = self.counter_staff[cid]
            if left and left[1]["staff_id"] == staff["staff_id"]:
                self.plan("CT-10 forced session close")
                r = self.call("counter_closing", "counter", "CloseSession", {
                    "session_id": sid, "closed_at": ts(utcnow())}, expect=("FAILED_PRECONDITION",))
                if r is None:
                    self.call("counter_closing", "counter", "CloseSession", {
                        "session_id": sid, "closed_at": ts(utcnow()), "force": True,
                        "force_reason": "staff member taken ill"})
                continue
            self.call("counter_closing", "counter", "CloseSession", {"session_id": sid, "closed_at": ts(utcnow())},
                      expect=("FAILED_PRECONDITION",))
        r = self.call("counter_closing", "counter", "CloseHall", {
            "hall_id": self.hall, "closed_by": self.staff("BH", "business-hall"), "closed_at": ts(utcnow())},
            expect=("FAILED_PRECONDITION",))
        if r is None:
            self.plan("CT-10 forced hall close")
            self.call("counter_closing", "counter", "CloseHall", {
                "hall_id": self.hall, "closed_by": self.staff("BH", "business-hall"), "closed_at": ts(utcnow()),
                "force": True, "force_reason": "building evacuation drill"})

    # -- construction --------------------------------------------------------------------------
    def project(self, i, bad):
        ptype = self.rng.choice(["PROJECT_TYPE_RESIDENTIAL", "PROJECT_TYPE_RESIDENTIAL",
                                 "PROJECT_TYPE_LOW_VOLTAGE_NON_RESIDENTIAL", "PROJECT_TYPE_HIGH_VOLTAGE_SINGLE",
                                 "PROJECT_TYPE_HIGH_VOLTAGE_DUAL"])
        hv = "HIGH_VOLTAGE" in ptype
        variant = None
        if bad:
            variant = self.rng.choice(["late_guidance", "late_guidance", "reinspection_overdue", "forced_start",
                                       "feedback", "supplier"] + (["no_plan"] if hv else []))
            self.plan(f"CN ({variant})")
        now = utcnow()
        span = {"late_guidance": 9 * D, "reinspection_overdue": 40 * D}.get(variant, 22 * H)
        applied = now - span
        manager = self.staff("BE", "business-expansion")
        r = self.call("project", "construction", "CreateProject", {
            "project_type": ptype, "customer": self.person(), "site": self.location("urban"),
            "department": "business-expansion", "manager": manager,
            "requested_capacity_kva": 8 if not hv else self.rng.choice([400, 800, 1250]),
            "description": "new supply connection", "applied_at": ts(applied)})
        pid = r["project"]["project_id"]
        self.ids["project"].append(pid)
        if variant == "late_guidance":
            if self.rng.random() < 0.5:
                self.call("project", "construction", "RecordGuidanceContact", {
                    "project_id": pid, "staff": manager, "channel": "GUIDANCE_CHANNEL_PHONE",
                    "summary": "late first call", "contacted_at": ts(utcnow())})
            return
        if not bad and self.rng.random() < 0.2:
            return  # just applied: first-guidance clock open
        # Timeline as fractions of the span, so every event stays in the past and in order.
        step = [0]

        def at():
            step[0] += 1
            return ts(applied + span * (step[0] / 24.0))

        self.call("project", "construction", "RecordGuidanceContact", {
            "project_id": pid, "staff": manager, "channel": "GUIDANCE_CHANNEL_ON_SITE",
            "summary": "explained the preparations", "contacted_at": at(),
            "preparations": {"items": [{"item": "property_certificate", "done": True},
                                       {"item": "load_list", "done": True}]}})
        self.call("project", "construction", "AdvanceStage", {
            "project_id": pid, "to_stage": "PROJECT_STAGE_SURVEY", "staff": manager, "advanced_at": at()})
        if hv:
            if variant != "no_plan":
                self.call("project", "construction", "RecordCoordinatedPlan", {
                    "project_id": pid, "description": "customer substation sited next to the new ring main unit",
                    "supply_works_ref": f"SW-{self.run}-{i}", "no_duplicate_building": True, "customer_agreed": True,
                    "planned_by": manager, "planned_at": at(), "document_ref": f"DWG-{i}"})
            self.call("project", "construction", "AdvanceStage", {
                "project_id": pid, "to_stage": "PROJECT_STAGE_DESIGN_APPROVAL", "staff": manager, "advanced_at": at()})
        if variant == "supplier":
            self.call("project", "construction", "ReportDesignatedSupplierPressure", {
                "project_id": pid, "supplier_kind": "SUPPLIER_KIND_EQUIPMENT", "supplier_name": "a named vendor",
                "description": "customer told to buy the meter box from a named vendor", "reporter": self.person(),
                "accused_staff": manager, "occurred_at": at(), "reported_at": at()})
        self.call("project", "construction", "AdvanceStage", {
            "project_id": pid, "to_stage": "PROJECT_STAGE_CONSTRUCTION", "staff": manager, "advanced_at": at()})
        traffic = self.rng.random() < 0.4
        scheduled = at()
        starts = applied + span * (step[0] + 2) / 24.0
        ends = applied + span * (step[0] + 6) / 24.0
        a = self.call("project", "construction", "ScheduleAppointment", {
            "project_id": pid, "work_content": "lay the service cable and fit the meter box", "place": "front yard",
            "starts_at": ts(starts), "ends_at": ts(ends), "cooperation_requested": True, "traffic_affecting": traffic,
            "scheduled_by": manager, "scheduled_at": scheduled})
        appt = a["appointment"]["appointment_id"]
        crew = [self.staff("CN", "business-expansion")]
        if variant == "forced_start":  # CN-2 gate: no confirmed appointment → refused, then forced
            at()
            self.call("project", "construction", "StartSiteWork", {
                "project_id": pid, "appointment_id": appt, "crew": crew, "started_at": at()},
                expect=("FAILED_PRECONDITION",))
            w = self.call("project", "construction", "StartSiteWork", {
                "project_id": pid, "appointment_id": appt, "crew": crew, "started_at": at(), "force": True,
                "force_reason": "burst cable endangering pedestrians"})
        else:
            self.call("project", "construction", "ConfirmAppointment", {
                "project_id": pid, "appointment_id": appt, "confirmed_by": self.person(), "confirmed_at": at()})
            if traffic:
                self.call("project", "construction", "RecordSafetyChecklist", {
                    "project_id": pid, "appointment_id": appt, "contractor_sign": True, "safety_sign": True,
                    "courtesy_sign": True, "recorded_by": crew[0], "recorded_at": at(),
                    "measures": {"items": [{"item": "fencing", "done": True}, {"item": "lighting", "done": True}]}})
            else:
                at()
            w = self.call("project", "construction", "StartSiteWork", {
                "project_id": pid, "appointment_id": appt, "crew": crew, "started_at": at()})
        damage = self.rng.random() < 0.15
        if damage:
            d = self.call("project", "construction", "RecordDamage", {
                "project_id": pid, "description": "garden wall scraped by the cable drum", "reported_by": crew[0],
                "discovered_at": at()})
            did = d["damage"]["damage_id"]
        self.call("project", "construction", "EndSiteWork", {
            "project_id": pid, "work_session_id": w["work_session"]["work_session_id"], "ended_at": at()})
        if damage:
            self.call("project", "construction", "RecordDamageRemedy", {
                "project_id": pid, "damage_id": did, "kind": "REMEDY_KIND_RESTORED", "description": "wall repaired",
                "remedied_by": crew[0], "remedied_at": at()})
            self.call("project", "construction", "ConfirmDamageRemedy", {
                "project_id": pid, "damage_id": did, "customer_satisfied": True, "confirmed_at": at()})
        self.call("project", "construction", "AdvanceStage", {
            "project_id": pid, "to_stage": "PROJECT_STAGE_INSPECTION", "staff": manager, "advanced_at": at()})
        inspector = self.staff("INSP", "business-expansion")
        if variant == "reinspection_overdue" or self.rng.random() < 0.2:
            f = self.call("project", "construction", "RecordInspection", {
                "project_id": pid, "result": "INSPECTION_RESULT_FAILED", "inspector": inspector, "inspected_at": at(),
                "notice": {"items": ["meter box earthing missing"], "text": "fit the earthing and call us back",
                           "delivered_at": at(), "delivered_to": self.person(), "explained": True}})
            if variant == "reinspection_overdue":
                return  # never re-inspected: reinspection clock breaches
            self.call("project", "construction", "RecordInspection", {
                "project_id": pid, "result": "INSPECTION_RESULT_PASSED", "inspector": inspector, "inspected_at": at(),
                "previous_inspection_id": f["inspection"]["inspection_id"]})
        else:
            self.call("project", "construction", "RecordInspection", {
                "project_id": pid, "result": "INSPECTION_RESULT_PASSED", "inspector": inspector, "inspected_at": at()})
        self.call("project", "construction", "AdvanceStage", {
            "project_id": pid, "to_stage": "PROJECT_STAGE_CONNECTION", "staff": manager, "advanced_at": at()})
        respected = variant != "feedback"
        self.call("project", "construction", "RecordSiteFeedback", {
            "project_id": pid, "site_rules_respected": respected, "local_customs_respected": True,
            "feedback": {"satisfaction": 5 if respected else 2, "collected_at": at(), "channel": "FEEDBACK_CHANNEL_ON_SITE"}})
        if self.rng.random() < 0.15:  # CN-8 gate: checklist incomplete
            self.call("project", "construction", "CompleteProject", {
                "project_id": pid, "checklist": {"items": [{"item": "site_cleaned", "done": True}]},
                "contact_number_left": "0571-95598", "completed_by": manager, "completed_at": at()},
                expect=("FAILED_PRECONDITION", "INVALID_ARGUMENT"))
        self.call("project", "construction", "CompleteProject", {
            "project_id": pid, "checklist": {"items": [{"item": "site_cleaned", "done": True},
                                                       {"item": "no_residue", "done": True}]},
            "contact_number_left": "0571-95598", "completed_by": manager, "completed_at": at()})

    # -- reads ---------------------------------------------------------------------------------
    def reads(self):
        now = utcnow()
        month = {"start": ts(now - 30 * D), "end": ts(now + M)}
        reads = []
        if self.enabled("contact-center"):
            reads += [("contact-center", "ListCalls", {"department": "customer-service", "page_size": 20}),
                      ("contact-center", "ListCases", {"state": "CASE_STATE_OPEN", "due_before": ts(now + 2 * D)}),
                      ("contact-center", "ListConsultations", {"state": "CONSULTATION_STATE_AWAITING_CALLBACK"}),
                      ("contact-center", "ListFaultReports", {"page_size": 10})]
            if self.outage:
                reads.append(("contact-center", "LookupOutage", {"location": {
                    "address": self.address(), "feeder_id": self.outage["feeder_id"], "area_code": self.outage["area_code"]}}))
            for cid in self.ids["call"][:3]:
                reads.append(("contact-center", "GetCall", {"call_id": cid}))
            for cid in self.ids["consultation"][:2]:
                reads.append(("contact-center", "GetConsultation", {"consultation_id": cid}))
            for cid in self.ids["case"][:2]:
                reads.append(("contact-center", "GetCase", {"case_id": cid}))
        if self.enabled("repair"):
            reads += [("repair", "ListWorkOrders", {"breached_only": True}),
                      ("repair", "ListOutages", {"state": "OUTAGE_STATE_ACTIVE"}),
                      ("repair", "GetArrivalStatistics", {"period": month, "granularity": "STATISTICS_GRANULARITY_DAY"})]
            if self.outage:
                reads.append(("repair", "LookupOutage", {"location": {"feeder_id": self.outage["feeder_id"]}}))
                reads.append(("repair", "GetOutage", {"outage_id": self.outage["outage_id"]}))
            for wo in self.ids["work_order"][:3]:
                reads.append(("repair", "GetWorkOrder", {"work_order_id": wo}))
        if self.enabled("counter") and getattr(self, "hall", None):
            reads += [("counter", "ListCounters", {"hall_id": self.hall}),
                      ("counter", "ListTickets", {"hall_id": self.hall, "state": "TICKET_STATE_WAITING"}),
                      ("counter", "ListVisits", {"hall_id": self.hall}),
                      ("counter", "ListAppointments", {"hall_id": self.hall}),
                      ("counter", "ListHomeServices", {"hall_id": self.hall})]
            reads += [("counter", "GetTicket", {"ticket_id": i}) for i in self.ids["ticket"][:2]]
            reads += [("counter", "GetVisit", {"visit_id": i}) for i in self.ids["visit"][:2]]
            reads += [("counter", "GetAppointment", {"appointment_id": i}) for i in self.ids["appointment"][:1]]
            reads += [("counter", "GetHomeService", {"home_service_id": i}) for i in self.ids["home_service"][:1]]
        if self.enabled("construction"):
            reads += [("construction", "ListProjects", {"department": "business-expansion", "page_size": 20})]
            for pid in self.ids["project"][:3]:
                reads.append(("construction", "GetProject", {"project_id": pid}))
        if self.enabled("risk"):
            reads += [("risk", "ListClauses", {}),
                      ("risk", "GetStatistics", {"period": month}),
                      ("risk", "GetRiskScores", {"include_staff": True}),
                      ("risk", "ListWarnings", {}),
                      ("risk", "ListLedgerEntries", {"page_size": 50}),
                      ("risk", "ListRedLineReports", {"state": "RED_LINE_STATE_REPORTED"})]
            for rid in self.ids["red_line"][:3]:
                reads.append(("risk", "GetRedLineReport", {"report_id": rid}))
            for eid in self.ids["ledger_entry"][:1]:
                reads.append(("risk", "GetLedgerEntry", {"entry_id": eid}))
        for svc, method, body in reads:
            try:
                self.call("read", svc, method, body)
                self.c.kinds["read"] += 1
            except Abort:
                pass
        if self.enabled("risk") and self.ids["ledger_entry"]:
            # An auditor's note on a ledger entry (append-only: a correction entry).
            self.story("ledger_annotation", lambda: self.call("ledger_annotation", "risk", "AddLedgerCorrection", {
                "entry_id": self.ids["ledger_entry"][-1], "kind": "CORRECTION_KIND_ANNOTATE",
                "reason": "customer called back with more detail", "corrected_by": self.staff("AUD", "operations"),
                "corrected_at": ts(utcnow())}))
        # The live streams, as a dashboard backend would tail them: what is there, then the
        # deadline ends the call (DEADLINE_EXCEEDED is the normal end here).
        streams = [("contact-center", "WatchBreaches"), ("counter", "WatchBreaches"),
                   ("construction", "WatchBreaches"), ("repair", "WatchBreaches"),
                   ("risk", "WatchLedger"), ("risk", "WatchWarnings")]
        for svc, method in streams:
            if self.enabled(svc):
                try:
                    self.call("watch", svc, method, {"after_sequence": 0}, expect=("DEADLINE_EXCEEDED",),
                              timeout=self.args.watch_seconds)
                    self.c.kinds["watch"] += 1
                except Abort:
                    pass


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    for svc, (_, port) in SERVICES.items():
        p.add_argument(f"--{svc}", default=f"localhost:{port}", metavar="HOST:PORT",
                       help=f"{svc} gRPC address (default localhost:{port})")
    here = pathlib.Path(__file__).resolve().parent
    p.add_argument("--descriptors", default=str(here.parent.parent / "build" / "gridserve_descriptors.pb"),
                   help="FileDescriptorSet written by the build (default build/gridserve_descriptors.pb)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--scale", type=int, default=20, help="records per kind (default 20)")
    p.add_argument("--breach-share", type=float, default=0.2,
                   help="share 0..1 of records made to break a norm (default 0.2)")
    p.add_argument("--dispatch-wait", type=float, default=10.0,
                   help="seconds to wait for contact-center's dispatches to reach repair (default 10)")
    p.add_argument("--watch-seconds", type=float, default=0.5,
                   help="how long to tail each Watch* stream at the end (default 0.5)")
    p.add_argument("--skip", action="append", default=[], choices=list(SERVICES),
                   help="leave a service out (repeatable)")
    p.add_argument("--strict", action="store_true", help="exit 1 on any unexpected error code")
    p.add_argument("--verbose", action="store_true", help="print every call and its status")
    a = p.parse_args(argv)
    if not 0 <= a.breach_share <= 1:
        p.error("--breach-share must be within 0..1")
    if a.scale < 1:
        p.error("--scale must be at least 1")
    return a


def main(argv=None):
    args = parse_args(argv)
    pool = load_pool(args.descriptors)
    targets = {svc: getattr(args, svc.replace("-", "_")) for svc in SERVICES}
    client = Client(pool, targets, args.verbose)
    day = Day(client, args)
    started = time.monotonic()
    day.simulate()
    took = time.monotonic() - started

    print(f"gridserve simulator: run {day.run}, seed {args.seed}, scale {args.scale}, "
          f"breach share {args.breach_share}, {sum(client.stats.values())} calls in {took:.1f}s")
    print("\nCalls by RPC and status code:")
    by_rpc = collections.defaultdict(dict)
    for (rpc, code), n in client.stats.items():
        by_rpc[rpc][code] = n
    width = max((len(r) for r in by_rpc), default=10)
    for rpc in sorted(by_rpc):
        codes = "  ".join(f"{c}={n}" for c, n in sorted(by_rpc[rpc].items()))
        print(f"  {rpc:<{width}}  {codes}")
    print("\nRecords completed by kind:")
    for k, n in sorted(client.kinds.items()):
        print(f"  {k:<32} {n}")
    print("\nNorm breaches set up by completed records (each counts once its rule is enforced):")
    for k, n in sorted(client.breaches_planned.items()):
        print(f"  {k:<32} {n}")
    if client.unimplemented:
        print("\nUNIMPLEMENTED (service not finished yet; the stories using them stopped there):")
        for rpc, n in sorted(client.unimplemented.items()):
            print(f"  {rpc:<{width}}  {n}")
    if client.unavailable:
        print("\nUNAVAILABLE (service not reachable):")
        for svc, n in sorted(client.unavailable.items()):
            print(f"  {svc} at {targets[svc]}: {n} calls")
    if client.unexpected:
        print(f"\nUnexpected errors ({len(client.unexpected)}):")
        for kind, rpc, code, details in client.unexpected[:50]:
            print(f"  [{kind}] {rpc} -> {code}: {details}")
    if client.unavailable and all(client.unavailable.get(s) for s in SERVICES if s not in args.skip) \
            and not any(code == "OK" for (_, code) in client.stats):
        return 2
    if args.strict and client.unexpected:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
