#!/usr/bin/env python3
"""Writes the Grafana dashboards (dashboards/*.json) from one description.

Every dashboard gets a fixed uid, a `datasource` variable that every panel and
query is bound to, `service`/`department` variables where they filter, a unit
on every panel, and $__rate_interval in rates. Run it after editing; the test
suite fails when the committed JSON differs from what this writes.
"""
import json
import pathlib
import sys

DS = {"type": "prometheus", "uid": "${datasource}"}
RATE = "[$__rate_interval]"
HERE = pathlib.Path(__file__).resolve().parent

SERVICES = {
    # service label: (gRPC service, title)
    "contact-center": ("gridserve.v1.ContactCenter", "Contact center (95598)"),
    "counter": ("gridserve.v1.Counter", "Business hall counter"),
    "construction": ("gridserve.v1.Construction", "Customer construction works"),
    "repair": ("gridserve.v1.Repair", "Fault repair and outages"),
    "risk": ("gridserve.v1.RiskMonitor", "Risk points and red lines"),
}


def stored(selector):
    """A gauge counted from the database (open clocks, cases, tickets, ...): every replica of a
    service exports the same count of the database they share (production runs 2-6 on one
    PostgreSQL), so replicas are collapsed with max before any sum across other labels."""
    return f"max without (instance, pod) ({selector})"


def datasource_var():
    return {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []}


def query_var(name, label, query, multi=True):
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "query": {"query": query, "refId": "StandardVariableQuery"}, "definition": query,
            "includeAll": multi, "multi": multi, "allValue": ".*" if multi else None,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]} if multi else {},
            "refresh": 2, "sort": 1, "hide": 0, "options": [], "regex": ""}


def target(expr, legend="", ref="A", instant=False, table=False):
    t = {"refId": ref, "datasource": DS, "expr": expr, "legendFormat": legend or "__auto",
         "range": not instant, "instant": instant}
    if table:
        t["format"] = "table"
    return t


def clause_titles():
    """Clause ID -> "ID title" from the catalogue (norms/catalogue.json), so every clause is named on the
    violations dashboard whether or not it has been breached yet."""
    catalogue = json.loads((HERE.parent / "norms" / "catalogue.json").read_text())
    return {c["id"]: {"text": f'{c["id"]} {c["title"]}'} for c in catalogue["clauses"]}


class Board:
    def __init__(self, uid, title, description, variables):
        self.uid, self.title, self.description = uid, title, description
        self.variables = [datasource_var()] + variables
        self.panels = []
        self.x = self.y = 0
        self.row_h = 0

    def panel(self, kind, title, unit, targets, description, w=12, h=8, **options):
        if self.x + w > 24:
            self.x, self.y = 0, self.y + self.row_h
            self.row_h = 0
        defaults = {"unit": unit, **options.pop("defaults", {})}
        if kind in ("stat", "bargauge") and "thresholds" not in defaults:
            defaults["thresholds"] = NEUTRAL  # Grafana's default turns any count red at 80
        p = {"id": len(self.panels) + 1, "type": kind, "title": title, "description": description,
             "datasource": DS, "gridPos": {"h": h, "w": w, "x": self.x, "y": self.y},
             "fieldConfig": {"defaults": defaults, "overrides": []},
             "options": options.pop("panel_options", {}), "targets": targets}
        p["fieldConfig"]["overrides"] = options.pop("fieldConfig_overrides", [])
        p.update(options)
        self.panels.append(p)
        self.x += w
        self.row_h = max(self.row_h, h)
        return p

    def json(self):
        return {"uid": self.uid, "title": self.title, "description": self.description,
                "tags": ["gridserve"], "editable": False, "schemaVersion": 38, "version": 1,
                "timezone": "browser", "refresh": "1m", "time": {"from": "now-24h", "to": "now"},
                "graphTooltip": 1, "links": [{"type": "dashboards", "tags": ["gridserve"], "title": "gridserve",
                                             "asDropdown": True}],
                "annotations": {"list": []}, "templating": {"list": self.variables}, "panels": self.panels}


# Threshold sets. Counts and states are neutral; a share is red below its
# objective (monitoring/rules/sla-objectives.yml); what should be zero is red from 1.
NEUTRAL = {"mode": "absolute", "steps": [{"color": "blue", "value": None}]}


# A share with no events in the range is NaN: shown as such, in a neutral colour, not as a red miss.
NO_EVENTS = [{"type": "special", "options": {"match": "nan", "result": {"text": "no events", "color": "blue"}}}]


def share(objective):
    return {"min": 0, "max": 1, "noValue": "no events", "mappings": NO_EVENTS,
            "thresholds": {"mode": "absolute", "steps": [{"color": "red", "value": None},
                                                         {"color": "green", "value": objective}]}}


def share_graded():
    """Several SLAs with objectives from 0.95 to 0.99 on one panel."""
    return {"min": 0, "max": 1, "thresholds": {"mode": "absolute", "steps": [{"color": "red", "value": None},
                                                                            {"color": "yellow", "value": 0.95},
                                                                            {"color": "green", "value": 0.99}]}}


def zero_expected():
    return {"thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "red", "value": 1}]}}


def sla_share(service, sla):
    """Share of an SLA's instances met over the dashboard's range, from gridserve_sla_total: the
    same judgement as the service's own (abandoned calls count against CC-1; each area class
    against its own promise), and no histogram bucket that must sit exactly at a configured limit."""
    sel = f'service="{service}", sla="{sla}"'
    return (f'sum(increase(gridserve_sla_total{{{sel}, outcome="met"}}[$__range])) / '
            f'sum(increase(gridserve_sla_total{{{sel}}}[$__range]))')


def age_in_intervals(yellow, red):
    """An age counted in a loop's own intervals: green while fresh, yellow from `yellow`, red from `red`."""
    return {"decimals": 2 if yellow < 2 else 1,
            "thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": None},
                                                         {"color": "yellow", "value": yellow},
                                                         {"color": "red", "value": red}]}}


def levels():
    return {"mappings": [{"type": "value", "options": {"0": {"text": "green", "color": "green"},
                                                      "1": {"text": "yellow", "color": "yellow"},
                                                      "2": {"text": "red", "color": "red"}}}],
            "thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": None},
                                                         {"color": "yellow", "value": 1},
                                                         {"color": "red", "value": 2}]}}


def sla_overview():
    b = Board("gridserve-sla", "gridserve / SLA overview",
              "Every SLA of the suite (gridserve_sla_total): compliance, error budget, burn rate, due soon.",
              [query_var("service", "Service", "label_values(gridserve_sla_total, service)"),
               query_var("department", "Department", "label_values(gridserve_norm_breaches_total, department)")])
    sel = 'service=~"$service"'
    b.panel("bargauge", "Compliance over the selected range", "percentunit",
            [target(f'1 - (sum by (service, sla) (increase(gridserve_sla_total{{outcome="breached", {sel}}}[$__range])) '
                    f'/ sum by (service, sla) (increase(gridserve_sla_total{{{sel}}}[$__range])))', "{{sla}}", instant=True)],
            "Share of SLA instances met in time among those that ended in the range (red below 95 %, green from 99 %).",
            defaults=share_graded(), panel_options={"displayMode": "gradient", "orientation": "horizontal"})
    b.panel("bargauge", "Compliance over 30 days", "percentunit",
            [target(f'1 - service_sla:gridserve_sla_error_ratio:ratio_rate30d{{{sel}}}', "{{sla}}", instant=True)],
            "From the 30-day recording rule (red below 95 %, green from 99 %).", defaults=share_graded(),
            panel_options={"displayMode": "gradient", "orientation": "horizontal"})
    b.panel("table", "Error budget left (30 days)", "percentunit",
            [target(f'1 - (service_sla:gridserve_sla_error_ratio:ratio_rate30d{{{sel}}} '
                    '/ on (service, sla) (1 - service_sla:gridserve_sla_objective:ratio))', "{{sla}}", instant=True)],
            "1 = untouched budget, 0 = used up, below 0 = objective missed (objectives in monitoring/rules/sla-objectives.yml).")
    b.panel("timeseries", "Burn rate (1 h window)", "none",
            [target(f'service_sla:gridserve_sla_error_ratio:ratio_rate1h{{{sel}}} '
                    '/ on (service, sla) (1 - service_sla:gridserve_sla_objective:ratio)', "{{sla}}")],
            "How fast the error budget burns: 1 = exactly on budget; 14.4 over 1 h pages.")
    b.panel("timeseries", "SLA outcomes", "ops",
            [target(f'sum by (sla, outcome) (rate(gridserve_sla_total{{{sel}}}[$__rate_interval]))', "{{sla}} {{outcome}}")],
            "Instances met and breached per second.")
    b.panel("timeseries", "Breaches by department", "short",
            [target(f'sum by (department) (increase(gridserve_norm_breaches_total{{{sel}, department=~"$department"}}[$__rate_interval]))',
                    "{{department}}")],
            "Norm breaches (all mechanisms) per department.")
    b.panel("table", "Items due soon", "short",
            [target(f'sum by (service, sla) ({stored(f"gridserve_sla_due_soon{{{sel}}}")})', "{{sla}}", instant=True)],
            "Open SLA instances due within their due-soon window (24 h for complaints and tip-offs).")
    b.panel("timeseries", "Open SLA instances", "short",
            [target(f'sum by (sla) ({stored(f"gridserve_sla_open{{{sel}}}")})', "{{sla}}")], "Clocks still running.")
    b.panel("table", "Breaches that may be false: facts reported after the expiry", "short",
            [target(f'sum by (service, sla) (increase(gridserve_sla_late_facts_total{{{sel}}}[$__range]))', "{{sla}}",
                    instant=True)],
            "Clocks that ended in time by their event time (goal reached or case withdrawn) but were synced after "
            "the clock had expired; each logs sla_fact_after_expiry with the breach id, rule and occurred_at, for an "
            "auditor to void in risk (AddLedgerCorrection). Many here: raise platform.sla_expiry_grace.")
    return b


def violations():
    b = Board("gridserve-violations", "gridserve / Violations and red lines",
              "Norm breaches by clause and department, red-line reports, investigations and warning levels.",
              [query_var("service", "Service", "label_values(gridserve_norm_breaches_total, service)"),
               query_var("department", "Department", "label_values(gridserve_norm_breaches_total, department)")])
    sel = 'service=~"$service", department=~"$department"'
    b.panel("timeseries", "Breaches by clause", "short",
            [target(f'sum by (rule) (increase(gridserve_norm_breaches_total{{{sel}}}[$__rate_interval]))', "{{rule}}")],
            "Every breach, by clause ID (CC, CT, CN, RP).", w=24)
    # One query, so one value column. The two sets share the RK clauses (risk exports its own RK series
    # of gridserve_norm_breaches_total at zero, repair records RK-3/RK-4 breaches), so they are added where
    # both have a clause and taken alone elsewhere: `or` alone would keep the breaches' zero and drop the
    # reports. The reports have no service label (risk alone receives them): they count when the Service
    # filter includes risk.
    breaches = f'sum by (rule) (increase(gridserve_norm_breaches_total{{{sel}}}[$__range]))'
    reports = ('sum by (rule) (increase(gridserve_redline_reports_total{department=~"$department", status="reported"}'
               '[$__range])) and on() (count(gridserve_norm_breaches_total{service=~"$service", service="risk"}) > 0)')
    b.panel("table", "Every clause: breaches and red-line reports over the range", "short",
            [target(f'({breaches} + {reports}) or {breaches} or {reports}', "{{rule}}", instant=True, table=True)],
            "One row per clause of the catalogue (CC-1 ... RK-11, each present at zero from start-up; RK under the "
            "risk service), named by its title: norm breaches (CC, CT, CN, RP) and red-line reports received (RK).",
            w=24, h=12,
            transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True},
                                                            "renameByName": {"rule": "Clause",
                                                                             "Value": "Breaches / reports"}}}],
            fieldConfig_overrides=[{"matcher": {"id": "byName", "options": "Clause"},
                                    "properties": [{"id": "mappings",
                                                    "value": [{"type": "value", "options": clause_titles()}]}]}])
    b.panel("bargauge", "Top clauses over the range", "short",
            [target(f'topk(10, sum by (rule) (increase(gridserve_norm_breaches_total{{{sel}}}[$__range])))', "{{rule}}",
                    instant=True)], "The ten clauses breached most often.",
            panel_options={"displayMode": "gradient", "orientation": "horizontal"})
    b.panel("bargauge", "Breaches by department over the range", "short",
            [target(f'sum by (department) (increase(gridserve_norm_breaches_total{{{sel}}}[$__range]))', "{{department}}",
                    instant=True)], "All clauses.", panel_options={"displayMode": "gradient", "orientation": "horizontal"})
    b.panel("table", "Red-line reports by clause and status", "short",
            [target('sum by (rule, status) (increase(gridserve_redline_reports_total{department=~"$department"}[$__range]))',
                    "{{rule}} {{status}}", instant=True)], "RK-1 … RK-11 reports entering each status in the range.")
    b.panel("stat", "Open investigations", "short",
            [target(f'sum by (rule) ({stored("gridserve_redline_open_investigations")})', "{{rule}}", instant=True)],
            "Red-line reports reported or under investigation.")
    b.panel("stat", "Department warning levels", "none",
            [target('max by (department) (gridserve_risk_warning_level{department=~"$department"})', "{{department}}",
                    instant=True)], "Early warning: 0 green, 1 yellow, 2 red (rolling risk score).",
            defaults=levels(), w=24)
    b.panel("timeseries", "Ledger entries by clause", "short",
            [target('sum by (rule) (increase(gridserve_ledger_entries_total[$__rate_interval]))', "{{rule}}")],
            "Everything arriving in risk's ledger.", w=24)
    return b


# Domain panels per service: (kind, title, unit, expr, legend, description[, field defaults]).
DOMAIN_PANELS = {
    "contact-center": [
        ("stat", "Answered within the ring limit (CC-1)", "percentunit", sla_share("contact-center", "answer_within_rings"),
         "within the ring limit", "Share of calls over the range answered within contact_center.answer_ring_limit "
         "rings (3 by default; answer_within_rings SLA, all "
         "departments): every abandoned call counts against it (unless contact_center.short_abandon_threshold, off by default, "
         "excludes those hung up sooner). "
         "Red below the 95 % objective.", share(0.95)),
        ("bargauge", "Rings before answer (CC-1)", "short",
         'sum by (le) (increase(gridserve_contact_center_call_rings_bucket{outcome="answered", department=~"$department"}[$__range]))',
         "{{le}}", "Cumulative ring histogram of answered calls over the range; the 3 bucket is the target."),
        ("timeseries", "Calls by outcome", "ops",
         'sum by (outcome) (rate(gridserve_contact_center_calls_total{department=~"$department"}' + RATE + '))',
         "{{outcome}}", "Calls recorded per second, answered and abandoned."),
        ("table", "Complaints and tip-offs by state (CC-5)", "short",
         "sum by (kind, state) (" + stored("gridserve_contact_center_cases") + ")", "{{kind}} {{state}}",
         "Cases by kind and state."),
        ("stat", "Cases past their reply due time (CC-5)", "short",
         "sum by (kind) (" + stored("gridserve_contact_center_cases_overdue") + ")", "{{kind}}",
         "Complaints (5 days) and tip-offs (10 days) still open past their due time.", zero_expected()),
        ("bargauge", "Reply time p90 over the range by kind (CC-2, CC-5)", "s",
         "histogram_quantile(0.9, sum by (le, kind) (increase(gridserve_contact_center_reply_seconds_bucket[$__range])))",
         "{{kind}}", "90th percentile from receipt to reply of the replies in the range: callbacks of deferred "
         "consultations (24 h), complaints (5 days), tip-offs (10 days); each limit is a bucket bound.",
         {"mappings": NO_EVENTS, "thresholds": NEUTRAL}),
    ],
    "counter": [
        ("timeseries", "Queue wait p90 (CT-4)", "s",
         "histogram_quantile(0.9, sum by (le) (rate(gridserve_hall_ticket_wait_seconds_bucket" + RATE + ")))",
         "p90", "90th percentile wait from ticket to call; the limit is 900 s, apology from 600 s (CT-6)."),
        ("stat", "Called within the wait limit (CT-4)", "percentunit", sla_share("counter", "ticket_wait"), "in time",
         "Share of tickets over the range called within the wait limit (ticket_wait SLA; 15 minutes by default). "
         "Red below the 95 % objective.", share(0.95)),
        ("stat", "Tickets waiting", "short", "sum(" + stored("gridserve_hall_tickets_waiting") + ")", "waiting",
         "Tickets in the queue now."),
        ("stat", "Tickets waiting past the wait limit (CT-4)", "short", "sum(" + stored("gridserve_hall_tickets_overdue") + ")", "overdue",
         "Tickets still waiting beyond the wait limit (15 minutes by default).", zero_expected()),
        ("stat", "Counters by state (CT-4)", "short", "sum by (state) (" + stored("gridserve_hall_counters") + ")", "{{state}}",
         "Counters in service, in back office, closed."),
        ("stat", "Open system failures (CT-7)", "short", "sum(" + stored("gridserve_hall_system_failures_open") + ")", "open",
         "System-failure periods still open."),
        ("stat", "Appointments booked (CT-7)", "short", "sum(" + stored("gridserve_hall_appointments_booked") + ")", "booked",
         "Visits turned into appointments during long failures, not yet kept."),
        ("stat", "Home services open (CT-9)", "short", "sum(" + stored("gridserve_hall_home_services_open") + ")", "open",
         "Home-service follow-ups for disabled customers still open."),
        ("timeseries", "Application forms by outcome (CT-3)", "ops",
         "sum by (status, filled_by_staff) (rate(gridserve_hall_forms_total" + RATE + "))",
         "{{status}} staff={{filled_by_staff}}", "Forms submitted, accepted or returned for re-fill; staff-filled for customers who need it (CT-9)."),
        ("timeseries", "Escalations (CT-8)", "ops",
         "sum by (reason) (rate(gridserve_hall_escalations_total" + RATE + "))", "{{reason}}",
         "Agitated customers handed to a dedicated staff member."),
        ("timeseries", "Reviews and customer evaluations (CT-2, CT-5)", "ops",
         "sum by (source) (rate(gridserve_hall_reviews_total" + RATE + "))", "{{source}}",
         "Counter quality reviews and customer evaluations recorded, by source."),
    ],
    "construction": [
        ("table", "Projects by stage", "short", "sum by (project_type, stage) (" + stored("gridserve_construction_projects") + ")",
         "{{project_type}} {{stage}}", "Open projects by type and stage."),
        ("table", "Open damages by project stage (CN-6)", "short",
         "sum by (stage) (" + stored("gridserve_construction_open_damages") + ")", "{{stage}}",
         "Damages to customer facilities not yet confirmed remedied by the customer, by the stage of their "
         "project (gridserve_construction_open_damages). CN-6: a damaged facility is restored or compensated "
         "equivalently until the customer is fully satisfied; a damage closes only with the customer's "
         "confirmation, and a project with an open damage cannot complete (gate refusal CN-6). A damage found "
         "after the project completed or was cancelled is still owed: it counts under completed or cancelled "
         "until confirmed (ListProjects with open_damage_only lists the projects)."),
        ("bargauge", "Whole-process duration in working days", "short",
         "sum by (le) (increase(gridserve_construction_project_workdays_bucket[$__range]))", "{{le}}",
         "Completed projects by working days taken; limits 5 / 6 / 22 / 32 have buckets of their own."),
        ("timeseries", "Gate refusals by clause", "ops",
         "sum by (rule) (rate(gridserve_construction_gate_refusals_total" + RATE + "))", "{{rule}}",
         "Steps refused: CN-2 no appointment, CN-7 no safety checklist, CN-6 open damage, CN-8 completion checklist."),
    ],
    "repair": [
        ("timeseries", "Average arrival time by area class (RP-1)", "s",
         "sum by (area_class) (rate(gridserve_repair_arrival_seconds_sum" + RATE + ")) / "
         "sum by (area_class) (rate(gridserve_repair_arrival_seconds_count" + RATE + "))", "{{area_class}}",
         "State Grid states its targets as averages: urban 45 min (2700 s), rural 90 min, remote 120 min."),
        ("stat", "Arrivals within the promised time (RP-1)", "percentunit", sla_share("repair", "repair_arrival"),
         "in time", "Share of work orders over the range whose crew arrived within its area class's promise (repair_arrival SLA: "
         "urban 45 min, rural 90, remote 120 by default). Red below the 95 % objective.", share(0.95)),
        ("timeseries", "Restoration time p90 by area class (RP-1)", "s",
         "histogram_quantile(0.9, sum by (le, area_class) (rate(gridserve_repair_restoration_seconds_bucket" + RATE + ")))",
         "{{area_class}}", "From arrival to restoration; promises urban 3 h, rural 4 h."),
        ("stat", "Open work orders", "short", "sum by (area_class) (" + stored("gridserve_repair_open_work_orders") + ")",
         "{{area_class}}", "Work orders neither completed nor cancelled."),
        ("bargauge", "Work orders cancelled before arrival", "short",
         "sum by (area_class) (increase(gridserve_repair_work_orders_cancelled_total[$__range]))", "{{area_class}}",
         "Called off before the crew arrived (RP-1 withdrawn; a breach if after the promise). Many here, with "
         "re-created orders, would mean promises restarted by cancel-and-recreate."),
        ("stat", "Active outages", "short", "sum by (kind) (" + stored("gridserve_repair_active_outages") + ")", "{{kind}}",
         "Planned, fault and temporary-maintenance outages in progress."),
    ],
    "risk": [
        ("stat", "Department warning levels", "none",
         'max by (department) (gridserve_risk_warning_level{department=~"$department"})', "{{department}}",
         "Early warning: 0 green, 1 yellow, 2 red."),
        ("table", "Red-line reports by clause and status", "short",
         'sum by (rule, status) (increase(gridserve_redline_reports_total{department=~"$department"}[$__range]))',
         "{{rule}} {{status}}", "RK-1 ... RK-11."),
        ("stat", "Open investigations", "short", "sum by (rule) (" + stored("gridserve_redline_open_investigations") + ")", "{{rule}}",
         "Reports reported or under investigation."),
        ("timeseries", "Ledger entries by service", "ops",
         "sum by (service) (rate(gridserve_ledger_entries_total" + RATE + "))", "{{service}}",
         "Breaches and reports arriving from the four services and from audits."),
    ],
}


def failures_in_range(b, title, counter, description):
    """A stat of a failure counter's increase over the dashboard's range: red from one."""
    b.panel("stat", title, "short", [target(f"sum(increase({counter}[$__range]))", "failed", instant=True)],
            description, defaults=zero_expected())


def service_board(name):
    grpc_service, title = SERVICES[name]
    b = Board(f"gridserve-{name}", f"gridserve / {title}", f"{title}: domain figures and gRPC traffic.",
              [query_var("department", "Department", f'label_values(gridserve_norm_breaches_total{{service="{name}"}}, department)')])
    for kind, ptitle, unit, expr, legend, description, *field_defaults in DOMAIN_PANELS[name]:
        extra = {"defaults": levels()} if "warning levels" in ptitle else {}
        if field_defaults:
            extra = {"defaults": field_defaults[0]}
        b.panel(kind, ptitle, unit, [target(expr, legend, instant=kind in ("stat", "table", "bargauge"))],
                description, **extra)
    b.panel("timeseries", "SLA outcomes", "ops",
            [target(f'sum by (sla, outcome) (rate(gridserve_sla_total{{service="{name}"}}[$__rate_interval]))',
                    "{{sla}} {{outcome}}")], "Instances met and breached per second.")
    b.panel("timeseries", "Breaches by clause", "short",
            [target(f'sum by (rule) (increase(gridserve_norm_breaches_total{{service="{name}", department=~"$department"}}[$__rate_interval]))',
                    "{{rule}}")], "Norm breaches of this service's clauses.")
    b.panel("timeseries", "Outbox to peers", "short",
            [target(f'max by (topic) (gridserve_outbox_pending{{service="{name}"}})', "{{topic}} waiting"),
             target(f'sum by (topic) (rate(gridserve_outbox_failed_attempts_total{{service="{name}"}}[$__rate_interval]))',
                    "{{topic}} failed attempts/s", ref="B"),
             target(f'sum by (topic) (increase(gridserve_outbox_rejected_total{{service="{name}"}}[1h]))',
                    "{{topic}} rejected in the last hour", ref="C")],
            "Breaches, red-line reports and dispatches stored but not yet delivered to their peer (they are "
            "delivered once it answers; GridserveOutboxStuck alerts), failed delivery attempts per second, and "
            "attempts the peer rejected as invalid in the last hour (retried hourly; GridserveOutboxRejected).", w=24)
    this_service = f'service="{name}"'
    b.panel("stat", "Newest backup age, in backup intervals", "none",
            [target(f"(time() - max(gridserve_backup_last_success_timestamp_seconds{{{this_service}}}))"
                    f" / (max(gridserve_backup_interval_seconds{{{this_service}}}) > 0)"
                    f" and (max(gridserve_backup_last_success_timestamp_seconds{{{this_service}}}) > 0)", "age", instant=True)],
            "Time since the newest online backup of the SQLite store was written (platform.backup_dir; no data when "
            "backups are off, none has been written yet, or the store is PostgreSQL, which is backed up with its own "
            "tools). "
            "GridserveBackupMissing alerts past two intervals (platform.backup_interval, 6 h by default): "
            "1 = one interval since the last backup; yellow past 1.1, red from 2.",
            defaults=age_in_intervals(1.1, 2))
    failures_in_range(b, "Failed backups", f'gridserve_backups_total{{{this_service}, outcome="failure"}}',
                      "Backup attempts that failed in the dashboard's time range; the service's backup_failed log "
                      "lines say why.")
    b.panel("bargauge", "Background loops: time since the last good run, share of the alert's limit", "none",
            [target(f"max by (task) ((timestamp(gridserve_background_last_success_timestamp_seconds{{{this_service}}})"
                    f" - gridserve_background_last_success_timestamp_seconds{{{this_service}}})"
                    f" / (3 * gridserve_background_interval_seconds{{{this_service}}} + 300))", "{{task}}", instant=True)],
            "For each background loop (sla_sweep records breaches of expired SLA clocks, outbox_relay sends to risk "
            "and repair, gauges and service_pass refresh the gauges, retention removes expired stored answers), the "
            "time since its last run without an error (as of the scrape) on the worst replica, as a share of the "
            "alert's limit (3 of its intervals, platform.*_interval, plus 5 minutes): near 0 when healthy; from 1 "
            "GridserveBackgroundTaskFailing is pending, and fires 5 minutes later. Yellow from 0.5, red from 1.",
            defaults=age_in_intervals(0.5, 1))
    failures_in_range(b, "Failed background runs", f'gridserve_background_runs_total{{{this_service}, outcome="failed"}}',
                      "Background loop runs that ended in an error in the dashboard's time range; the service's "
                      "background_task_failed log lines name the loop and the error.")
    saturation = [("gridserve_calls_queued", "gridserve_calls_queued_max", "calls waiting for a worker"),
                  ("gridserve_calls_queued_bytes", "gridserve_calls_queued_bytes_max", "their request bytes"),
                  ("gridserve_call_workers_busy", "gridserve_call_workers", "busy workers"),
                  ("gridserve_watches_open", "gridserve_watches_open_max", "open watches")]
    b.panel("timeseries", "Saturation: calls waiting, busy workers and open watches, share of their bound",
            "percentunit",
            [target(f"max({used}{{{this_service}}} / {bound}{{{this_service}}})", legend, ref=ref)
             for (used, bound, legend), ref in zip(saturation, "ABCD")],
            "On the busiest replica: unary calls waiting for a worker, as a share of platform.max_queued_calls (at "
            "100% new calls are refused RESOURCE_EXHAUSTED; GridserveCallQueueFilling alerts past half for 5 "
            "minutes), and their requests' bytes, as a share of platform.max_queued_bytes (at 100% new calls are "
            "refused too); workers running a call, as a share of platform.call_threads; watches open, as a share "
            "of platform.max_streams (GridserveWatchesNearLimit past 90% for 15 minutes).", w=24)
    sel = f'grpc_service="{grpc_service}"'
    b.panel("timeseries", "gRPC requests by method", "reqps",
            [target(f'sum by (grpc_method) (rate(grpc_server_handled_total{{{sel}}}[$__rate_interval]))', "{{grpc_method}}")],
            "Completed calls per second.", w=8)
    b.panel("timeseries", "gRPC errors by code", "reqps",
            [target(f'sum by (grpc_code) (rate(grpc_server_handled_total{{{sel}, grpc_code!="OK"}}[$__rate_interval]))',
                    "{{grpc_code}}")], "Calls ending in a non-OK code (client errors such as InvalidArgument included).", w=8)
    b.panel("timeseries", "gRPC latency p99 by method", "s",
            [target(f'histogram_quantile(0.99, sum by (le, grpc_method) (rate(grpc_server_handling_seconds_bucket{{{sel}}}[$__rate_interval])))',
                    "{{grpc_method}}")], "99th percentile of server handling time.", w=8)
    return b


def main():
    boards = [sla_overview(), violations()] + [service_board(name) for name in SERVICES]
    check = "--check" in sys.argv
    stale = []
    for board in boards:
        path = HERE / f"{board.uid.removeprefix('gridserve-')}.json"
        text = json.dumps(board.json(), indent=2, ensure_ascii=False) + "\n"
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print("dashboards out of date (run dashboards/generate.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
