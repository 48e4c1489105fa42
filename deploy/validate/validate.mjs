// Offline validation of gridserve's Kubernetes manifests.
//
// Renders the base and every overlay under deploy/k8s/overlays with `kubectl kustomize`, parses the
// output, and checks:
//   - every object against its schema (kubernetes-models; @kubernetes-models/prometheus-operator
//     for ServiceMonitor/PrometheusRule); a kind outside KINDS fails;
//   - the app.kubernetes.io/* labels on every object and pod template;
//   - the security settings, probes, ports, resources and volumes of every container;
//   - transport: plaintext (base, dev: probes on the grpc port) or mutual TLS (prod, components/mtls):
//     every TLS flag, each file on a read-only directory mount of the service's own Secret
//     gridserve-<service>-tls under the right key, probes on the plaintext `health` port that
//     --health_listen serves;
//   - Services, PDBs, HPAs and the ServiceMonitor select the pods they are meant for;
//   - the NetworkPolicies allow exactly the paths of issue 7 (and deny the rest; no pod reaches a
//     health port);
//   - the rendered PrometheusRules' groups equal monitoring/rules/*.yml, and the dashboard
//     ConfigMaps equal dashboards/*.json;
//   - deploy/k8s/base/config/gridserve.json, and every file each container's --config=FILE[,FILE...]
//     names in its rendered ConfigMap, use only fields of gridserve.v1.SuiteConfig; laid in order,
//     dev keeps SQLite backups on its PVC and prod sets none (PostgreSQL refuses them).
// Usage: node validate.mjs   (kubectl on PATH; npm ci done in this folder; see run.sh)
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import YAML from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.GRIDSERVE_ROOT ?? path.resolve(here, "../..");
const k8s = path.join(root, "deploy/k8s");

const SERVICES = {
  "contact-center": { grpc: 50051, metrics: 9461, grpcService: "gridserve.v1.ContactCenter" },
  counter: { grpc: 50052, metrics: 9462, grpcService: "gridserve.v1.Counter" },
  construction: { grpc: 50053, metrics: 9463, grpcService: "gridserve.v1.Construction" },
  repair: { grpc: 50054, metrics: 9464, grpcService: "gridserve.v1.Repair" },
  risk: { grpc: 50055, metrics: 9465, grpcService: "gridserve.v1.RiskMonitor" },
};
const REQUIRED_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/component",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/version",
];
// The kinds the manifests may contain, and the module of their model.
const KINDS = {
  "v1/Namespace": "kubernetes-models/v1/Namespace",
  "v1/ServiceAccount": "kubernetes-models/v1/ServiceAccount",
  "v1/Service": "kubernetes-models/v1/Service",
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
  "v1/PersistentVolumeClaim": "kubernetes-models/v1/PersistentVolumeClaim",
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
  "policy/v1/PodDisruptionBudget": "kubernetes-models/policy/v1/PodDisruptionBudget",
  "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/networking.k8s.io/v1/NetworkPolicy",
  "autoscaling/v2/HorizontalPodAutoscaler": "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
  "monitoring.coreos.com/v1/ServiceMonitor":
    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor",
  "monitoring.coreos.com/v1/PrometheusRule":
    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule",
};
// Secrets the manifests may reference but never contain (created by the operator, deploy/README.md).
const EXTERNAL_SECRETS = {
  "gridserve-postgresql": ["database-url", "password"],
  // components/mtls: one per service, as cert-manager writes it (kubernetes.io/tls + ca.crt).
  ...Object.fromEntries(Object.keys(SERVICES).map((s) => [`gridserve-${s}-tls`, ["tls.crt", "tls.key", "ca.crt"]])),
};
// The TLS flags naming files, and the Secret key each must be (components/mtls).
const TLS_FILE_FLAGS = {
  tls_cert: "tls.crt",
  tls_key: "tls.key",
  tls_client_ca: "ca.crt",
  tls_client_cert: "tls.crt",
  tls_client_key: "tls.key",
  tls_ca: "ca.crt",
};

let passed = 0;
let failed = 0;
function check(ok, what, detail = "") {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL ${what}${detail ? `: ${detail}` : ""}`);
  }
  return ok;
}

// ---- helpers --------------------------------------------------------------------------------------
const id = (o) => `${o.kind}/${o.metadata?.namespace ? o.metadata.namespace + "/" : ""}${o.metadata?.name}`;

function selectorMatches(selector, labels) {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels?.[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = labels && Object.hasOwn(labels, e.key);
    const value = labels?.[e.key];
    if (e.operator === "In" && !(has && e.values.includes(value))) return false;
    if (e.operator === "NotIn" && has && e.values.includes(value)) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

function render(dir) {
  const out = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 << 20 });
  const docs = YAML.parseAllDocuments(out);
  const objects = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${dir}: YAML error ${d.errors[0].message}`);
    const o = d.toJS();
    if (o) objects.push(o);
  }
  return objects;
}

function ruleFiles() {
  const dir = path.join(root, "monitoring/rules");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ rel: `monitoring/rules/${f}`, doc: YAML.parse(readFileSync(path.join(dir, f), "utf8")) }))
    .filter((r) => r.doc && Array.isArray(r.doc.groups));
}

function dashboardFiles() {
  const dir = path.join(root, "dashboards");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ rel: `dashboards/${f}`, json: JSON.parse(readFileSync(path.join(dir, f), "utf8")) }));
}

// ---- schema validation ----------------------------------------------------------------------------
const modelCache = new Map();
async function modelFor(o) {
  const key = `${o.apiVersion}/${o.kind}`;
  const mod = KINDS[key];
  if (!mod) return null;
  if (!modelCache.has(key)) modelCache.set(key, (await import(mod))[o.kind]);
  return modelCache.get(key);
}

async function validateSchemas(where, objects) {
  const seen = new Set();
  for (const o of objects) {
    const Model = await modelFor(o);
    if (!check(Model, `${where}: ${id(o)}`, `unknown kind ${o.apiVersion}/${o.kind} (not in KINDS)`)) continue;
    try {
      new Model(o).validate();
      check(true);
    } catch (e) {
      check(false, `${where}: ${id(o)} schema`, e.message);
    }
    check(!seen.has(id(o)), `${where}: ${id(o)}`, "defined twice");
    seen.add(id(o));
  }
}

// ---- labels ---------------------------------------------------------------------------------------
function checkLabels(where, objects, namespace) {
  for (const o of objects) {
    for (const l of REQUIRED_LABELS) {
      check(o.metadata?.labels?.[l], `${where}: ${id(o)}`, `label ${l} missing`);
    }
    check(o.metadata.labels?.["app.kubernetes.io/part-of"] === "gridserve", `${where}: ${id(o)}`, "part-of is not gridserve");
    const tpl = o.spec?.template?.metadata?.labels;
    if (o.spec?.template) {
      for (const l of REQUIRED_LABELS) check(tpl?.[l], `${where}: ${id(o)} pod template`, `label ${l} missing`);
    }
    if (namespace && o.kind !== "Namespace") {
      check(o.metadata.namespace === namespace, `${where}: ${id(o)}`, `not in namespace ${namespace}`);
    }
  }
}

// ---- workloads ------------------------------------------------------------------------------------
function argValue(args, flag) {
  const hits = (args ?? []).filter((a) => a.startsWith(`--${flag}=`));
  return hits.length ? hits[hits.length - 1].slice(flag.length + 3) : undefined; // the last one wins
}

function checkDeployments(where, objects, overlay) {
  const byKind = (k) => objects.filter((o) => o.kind === k);
  const deployments = byKind("Deployment");
  const names = (k) => new Set(byKind(k).map((o) => o.metadata.name));
  const configMaps = names("ConfigMap");
  const pvcs = names("PersistentVolumeClaim");
  const serviceAccounts = new Map(byKind("ServiceAccount").map((o) => [o.metadata.name, o]));
  check(
    isDeepStrictEqual(deployments.map((d) => d.metadata.labels["app.kubernetes.io/component"]).sort(), Object.keys(SERVICES).sort()),
    `${where}: Deployments`,
    "expected exactly one per service",
  );
  const images = new Set();
  for (const d of deployments) {
    const what = `${where}: ${id(d)}`;
    const svc = d.metadata.labels["app.kubernetes.io/component"];
    const want = SERVICES[svc];
    if (!check(want, what, `component ${svc} is not a gridserve service`)) continue;
    const pod = d.spec.template.spec;
    check(selectorMatches(d.spec.selector, d.spec.template.metadata.labels), what, "selector does not match its pod template");
    check(pod.securityContext?.runAsNonRoot === true, what, "pod runAsNonRoot is not true");
    check(pod.securityContext?.seccompProfile?.type === "RuntimeDefault", what, "pod seccompProfile is not RuntimeDefault");
    check(pod.automountServiceAccountToken === false, what, "pod automountServiceAccountToken is not false");
    const sa = serviceAccounts.get(pod.serviceAccountName);
    check(sa, what, `ServiceAccount ${pod.serviceAccountName} is not in the manifests`);
    check(sa?.automountServiceAccountToken === false, what, `ServiceAccount ${pod.serviceAccountName} automounts its token`);
    check(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC, what, "uses a host namespace");

    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
    for (const v of pod.volumes ?? []) {
      if (v.configMap) check(configMaps.has(v.configMap.name), what, `volume ${v.name}: ConfigMap ${v.configMap.name} not in the manifests`);
      if (v.persistentVolumeClaim) check(pvcs.has(v.persistentVolumeClaim.claimName), what, `volume ${v.name}: PVC ${v.persistentVolumeClaim.claimName} not in the manifests`);
      if (v.secret) {
        const name = v.secret.secretName;
        check(EXTERNAL_SECRETS[name], what, `volume ${v.name}: Secret ${name} is not a documented Secret`);
        for (const i of v.secret.items ?? []) check(EXTERNAL_SECRETS[name]?.includes(i.key), what, `volume ${v.name}: Secret ${name} has no documented key ${i.key}`);
        if (/^gridserve-.+-tls$/.test(name)) check(name === `gridserve-${svc}-tls`, what, `volume ${v.name}: mounts ${name}, another service's identity`);
      }
      check(!v.hostPath, what, `volume ${v.name} is a hostPath`);
    }

    const containers = [...(pod.initContainers ?? []), ...pod.containers];
    check(pod.containers.length === 1, what, "expected one container");
    for (const c of containers) {
      const cw = `${what} container ${c.name}`;
      const sc = c.securityContext ?? {};
      check(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, cw, "runAsNonRoot is not true");
      check((sc.runAsUser ?? pod.securityContext?.runAsUser) !== 0, cw, "runs as uid 0");
      check(sc.readOnlyRootFilesystem === true, cw, "readOnlyRootFilesystem is not true");
      check(sc.allowPrivilegeEscalation === false, cw, "allowPrivilegeEscalation is not false");
      check(sc.privileged !== true, cw, "privileged");
      check((sc.capabilities?.drop ?? []).includes("ALL"), cw, "capabilities do not drop ALL");
      check(!(sc.capabilities?.add ?? []).length, cw, "adds capabilities");
      check((sc.seccompProfile ?? pod.securityContext?.seccompProfile)?.type === "RuntimeDefault", cw, "seccompProfile is not RuntimeDefault");
      for (const r of ["cpu", "memory"]) {
        check(c.resources?.requests?.[r], cw, `no ${r} request`);
        check(c.resources?.limits?.[r], cw, `no ${r} limit`);
      }
      const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === "/tmp");
      check(tmp && volumes.get(tmp.name)?.emptyDir, cw, "/tmp is not a writable emptyDir");
      for (const m of c.volumeMounts ?? []) check(volumes.has(m.name), cw, `mount ${m.mountPath}: no volume ${m.name}`);
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) check(EXTERNAL_SECRETS[ref.name]?.includes(ref.key), cw, `env ${e.name}: Secret ${ref.name} key ${ref.key} is not documented`);
      }
      check(!(c.args ?? []).some((a) => /password/i.test(a)), cw, "a password in the arguments");
    }

    const c = pod.containers[0];
    const cw = `${what} container ${c.name}`;
    images.add(c.image);
    check(isDeepStrictEqual(c.command, [`/usr/local/bin/gridserve-${svc}`]), cw, `command is not /usr/local/bin/gridserve-${svc}`);
    const ports = Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
    check(ports.grpc === want.grpc, cw, `port grpc is not ${want.grpc}`);
    check(ports.metrics === want.metrics, cw, `port metrics is not ${want.metrics}`);
    check(argValue(c.args, "listen") === `0.0.0.0:${want.grpc}`, cw, "--listen does not match the grpc port");
    check(argValue(c.args, "metrics_listen") === `0.0.0.0:${want.metrics}`, cw, "--metrics_listen does not match the metrics port");
    check(argValue(c.args, "repair_target") === "gridserve-repair:50054", cw, "--repair_target");
    check(argValue(c.args, "risk_target") === "gridserve-risk:50055", cw, "--risk_target");
    // --config=FILE[,FILE...]: each file a key of a ConfigMap mounted here, each a valid SuiteConfig;
    // laid in order, as the services do, for the checks that need the result.
    const layered = {};
    for (const file of (argValue(c.args, "config") ?? "").split(",")) {
      const mount = (c.volumeMounts ?? []).find((m) => file.startsWith(m.mountPath + "/"));
      const source = mount && volumes.get(mount.name)?.configMap;
      if (!check(source, cw, `--config file ${file || "(none)"} is not on a ConfigMap volume`)) continue;
      const key = file.slice(mount.mountPath.length + 1);
      const text = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === source.name)?.data?.[key];
      if (!check(text !== undefined, cw, `--config file ${file}: ConfigMap ${source.name} has no key ${key}`)) continue;
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        check(false, cw, `--config file ${file}: ${e.message}`);
        continue;
      }
      checkSuiteConfigJson(`${where}: ConfigMap ${source.name} key ${key}`, parsed);
      overlayConfig(parsed, layered);
    }
    const backupDir = layered.platform?.backupDir ?? "";

    // Transport. Plaintext: no TLS flag, the probes on the grpc port. Mutual TLS (components/mtls):
    // every flag; each file on a read-only directory mount (a subPath mount never sees a renewed
    // Secret) of the service's own Secret, under the right key; the probes on the plaintext health
    // port --health_listen serves (the kubelet's gRPC probe cannot speak TLS).
    const tls = argValue(c.args, "tls_cert") !== undefined;
    let probePort = want.grpc;
    if (tls) {
      for (const flag of [...Object.keys(TLS_FILE_FLAGS), "health_listen"]) check(argValue(c.args, flag), cw, `--tls_cert without --${flag}`);
      for (const [flag, key] of Object.entries(TLS_FILE_FLAGS)) {
        const file = argValue(c.args, flag);
        if (!file) continue;
        const mount = (c.volumeMounts ?? [])
          .filter((m) => file === m.mountPath || file.startsWith(m.mountPath.replace(/\/+$/, "") + "/"))
          .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
        const secret = mount && volumes.get(mount.name)?.secret;
        if (!check(secret, cw, `--${flag}=${file} is not on a Secret volume`)) continue;
        check(mount.readOnly === true, cw, `--${flag}: mount ${mount.mountPath} is not read-only`);
        if (!check(!mount.subPath && !mount.subPathExpr && file !== mount.mountPath, cw, `--${flag}: mount ${mount.mountPath} uses subPath (never updated: no rotation)`)) continue;
        check(secret.secretName === `gridserve-${svc}-tls`, cw, `--${flag}: Secret ${secret.secretName} is not gridserve-${svc}-tls`);
        check(secret.optional !== true, cw, `--${flag}: Secret ${secret.secretName} is optional`);
        const rel = file.slice(mount.mountPath.replace(/\/+$/, "").length + 1);
        const projected = secret.items ? secret.items.find((i) => i.path === rel)?.key : rel;
        check(projected === key, cw, `--${flag}=${file} is not the Secret's ${key} (it is ${projected ?? "no key"})`);
      }
      const health = argValue(c.args, "health_listen") ?? "";
      check(ports.health !== undefined && ![want.grpc, want.metrics].includes(ports.health), cw, "no containerPort `health` apart from grpc and metrics");
      check(health === `0.0.0.0:${ports.health}`, cw, `--health_listen=${health} is not 0.0.0.0:<containerPort health ${ports.health}>`);
      probePort = ports.health;
    } else {
      const stray = Object.keys(TLS_FILE_FLAGS).filter((f) => argValue(c.args, f) !== undefined);
      check(!stray.length, cw, `${stray.map((f) => `--${f}`).join(", ")} without --tls_cert (the TLS flags come together, components/mtls)`);
    }
    for (const [probe, service] of [["readinessProbe", want.grpcService], ["livenessProbe", undefined], ["startupProbe", undefined]]) {
      const p = c[probe];
      check(probePort !== undefined && p?.grpc?.port === probePort, cw, `${probe} is not a gRPC probe on the ${tls ? "health" : "grpc"} port ${probePort}`);
      if (service) check(p?.grpc?.service === service, cw, `${probe} does not ask for ${service}`);
    }
    if (overlay === "prod") check(tls, cw, "prod runs mutual TLS: include components/mtls");
    if (overlay === "dev" || overlay === "base") check(!tls, cw, `${overlay} stays plaintext`);

    const database = argValue(c.args, "database");
    if (overlay === "dev") {
      check(d.spec.replicas === 1, what, "dev runs one replica");
      check(d.spec.strategy?.type === "Recreate", what, "SQLite on a RWO volume needs the Recreate strategy");
      check(database === `sqlite:///var/lib/gridserve/${svc}.db`, cw, `--database is ${database}`);
      const data = (c.volumeMounts ?? []).find((m) => m.mountPath === "/var/lib/gridserve");
      check(data && volumes.get(data.name)?.persistentVolumeClaim?.claimName === `gridserve-${svc}-data`, cw, "/var/lib/gridserve is not its PVC");
      // SQLite's online backups on, on a PersistentVolumeClaim (under /tmp they would go with the pod).
      const backupMount = (c.volumeMounts ?? []).find((m) => backupDir.startsWith(m.mountPath + "/"));
      check(backupMount && volumes.get(backupMount.name)?.persistentVolumeClaim, cw, `platform.backupDir "${backupDir}" is not on a PersistentVolumeClaim`);
    } else if (overlay === "prod") {
      check(d.spec.replicas === undefined, what, "prod leaves the replica count to the HPA");
      check(database === "$(GRIDSERVE_DATABASE_URL)", cw, `--database is ${database}`);
      check(backupDir === "", cw, "platform.backupDir is set: a service on PostgreSQL refuses to start with it");
      check(layered.security?.requireAuth === true, cw, "prod does not require an identity and a role for every call");
      const startup = c.startupProbe ?? {};
      check((startup.failureThreshold ?? 3) * (startup.periodSeconds ?? 10) >= 600, cw, "prod's startupProbe allows less than 10 min for migrations");
      const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
      check(env.GRIDSERVE_DATABASE_URL?.valueFrom?.secretKeyRef?.name === "gridserve-postgresql", cw, "database URL not from the Secret");
      const passwordFile = env.GRIDSERVE_DB_PASSWORD_FILE?.value ?? "";
      const mount = (c.volumeMounts ?? []).find((m) => passwordFile.startsWith(m.mountPath + "/"));
      const secret = mount && volumes.get(mount.name)?.secret;
      check(secret?.secretName === "gridserve-postgresql" && mount.readOnly, cw, "GRIDSERVE_DB_PASSWORD_FILE is not on the read-only Secret volume");
      check(secret?.items?.some((i) => i.key === "password" && passwordFile === `${mount.mountPath}/${i.path}`), cw, "GRIDSERVE_DB_PASSWORD_FILE is not the Secret's password key");
      check(!(c.env ?? []).some((e) => /PASSWORD$/.test(e.name) && e.valueFrom?.secretKeyRef), cw, "a password in the environment");
    }
  }
  check(images.size === 1, `${where}: images`, `one image for all services, found ${[...images].join(", ")}`);
}

function checkServicesAndPolicies(where, objects, overlay) {
  const deployments = objects.filter((o) => o.kind === "Deployment");
  const podsOf = (selector) => deployments.filter((d) => selectorMatches(selector, d.spec.template.metadata.labels));
  for (const s of objects.filter((o) => o.kind === "Service")) {
    const what = `${where}: ${id(s)}`;
    const matched = podsOf({ matchLabels: s.spec.selector });
    if (!check(matched.length === 1, what, `selects ${matched.length} Deployments`)) continue;
    const c = matched[0].spec.template.spec.containers[0];
    const names = new Set((c.ports ?? []).map((p) => p.name));
    for (const name of ["grpc", "metrics"]) {
      const p = s.spec.ports.find((x) => x.name === name);
      check(p && (p.targetPort === name || c.ports.some((cp) => cp.containerPort === p.targetPort)) && names.has(name), what, `port ${name} missing or not targeting the container's ${name} port`);
    }
    const health = c.ports.find((cp) => cp.name === "health")?.containerPort;
    check(!s.spec.ports.some((p) => p.name === "health" || p.targetPort === "health" || (health && (p.targetPort ?? p.port) === health)), what, "exposes the plaintext health port");
    if (argValue(c.args, "tls_cert") !== undefined) {
      check(s.spec.ports.find((x) => x.name === "grpc")?.appProtocol !== "kubernetes.io/h2c", what, "port grpc claims cleartext HTTP/2 (h2c) but serves TLS");
    }
  }
  for (const pdb of objects.filter((o) => o.kind === "PodDisruptionBudget")) {
    const what = `${where}: ${id(pdb)}`;
    check(podsOf(pdb.spec.selector).length === 1, what, "does not select exactly one Deployment's pods");
    if (overlay === "prod") check(pdb.spec.minAvailable === 1 && pdb.spec.maxUnavailable === undefined, what, "prod PDB is not minAvailable 1");
    else check(pdb.spec.maxUnavailable === 1, what, "a one-replica PDB must allow one disruption");
  }
  check(objects.filter((o) => o.kind === "PodDisruptionBudget").length === 5, `${where}: PodDisruptionBudgets`, "expected one per service");
  const hpas = objects.filter((o) => o.kind === "HorizontalPodAutoscaler");
  if (overlay === "prod") {
    for (const d of deployments) {
      const h = hpas.find((x) => x.spec.scaleTargetRef.kind === "Deployment" && x.spec.scaleTargetRef.name === d.metadata.name);
      const what = `${where}: ${id(d)} HPA`;
      if (!check(h, what, "missing")) continue;
      check(h.spec.minReplicas >= 2 && h.spec.maxReplicas >= h.spec.minReplicas, what, "minReplicas < 2");
      check(h.spec.metrics?.some((m) => m.type === "Resource" && m.resource?.name === "cpu"), what, "does not scale on CPU");
    }
  } else {
    check(hpas.length === 0, `${where}: HPAs`, "SQLite overlays must not autoscale");
  }
  for (const sm of objects.filter((o) => o.kind === "ServiceMonitor")) {
    const what = `${where}: ${id(sm)}`;
    const selected = objects.filter((o) => o.kind === "Service" && selectorMatches(sm.spec.selector, o.metadata.labels));
    check(selected.length === 5, what, `selects ${selected.length} Services, expected 5`);
    check(sm.spec.endpoints.every((e) => selected.every((s) => s.spec.ports.some((p) => p.name === e.port))), what, "endpoint port not on every Service");
    check(sm.spec.jobLabel && selected.every((s) => s.metadata.labels[sm.spec.jobLabel] === "gridserve"), what, 'job label is not "gridserve" (monitoring/rules use up{job="gridserve"})');
    check(sm.spec.endpoints.every((e) => (e.relabelings ?? []).some((r) => r.action?.toLowerCase() === "labeldrop" && r.regex === "service")), what, "the target label `service` would shadow the services' own `service` label");
  }
}

// ---- network policies -----------------------------------------------------------------------------
function checkNetworkPolicies(where, objects, namespace, overlay) {
  const ns = namespace ?? "default";
  const nsObject = objects.find((o) => o.kind === "Namespace" && o.metadata.name === ns);
  const nsLabels = { "kubernetes.io/metadata.name": ns, ...(nsObject?.metadata.labels ?? {}) };
  const policies = objects.filter((o) => o.kind === "NetworkPolicy").map((p) => ({ ...p, ns: p.metadata.namespace ?? ns }));

  const pods = {};
  for (const d of objects.filter((o) => o.kind === "Deployment")) {
    const c = d.spec.template.spec.containers[0];
    pods[d.metadata.labels["app.kubernetes.io/component"]] = {
      ns, nsLabels, labels: d.spec.template.metadata.labels,
      ports: Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort])),
    };
  }
  const ext = (name, labels, extraNsLabels = {}, ports = {}) => ({
    ns: name.split("/")[0], nsLabels: { "kubernetes.io/metadata.name": name.split("/")[0], ...extraNsLabels }, labels, ports,
  });
  const prometheus = ext("monitoring/prometheus", { "app.kubernetes.io/name": "prometheus" });
  const clientPod = ext("crm/client", { app: "crm", "gridserve/client": "true" });
  const clientNamespacePod = ext("telephony/gateway", { app: "gateway" }, { "gridserve/client": "true" });
  const stranger = ext("default/stranger", { app: "stranger" });
  const strangerInNs = { ns, nsLabels, labels: { app: "debug" }, ports: {} };
  const dns = ext("kube-system/coredns", { "k8s-app": "kube-dns" }, {}, { dns: 53 });
  const postgresql = ext("gridserve-postgresql/postgresql", { "app.kubernetes.io/name": "postgresql" }, {}, { postgresql: 5432 });

  const peerMatches = (peer, policyNs, pod) => {
    if (peer.ipBlock) return false; // pods are not addressed by CIDR in this model
    const nsOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, pod.nsLabels) : pod.ns === policyNs;
    const podOk = peer.podSelector ? selectorMatches(peer.podSelector, pod.labels) : true;
    return nsOk && podOk;
  };
  const portMatches = (rulePorts, target, port, protocol) =>
    !rulePorts?.length ||
    rulePorts.some((p) => {
      if ((p.protocol ?? "TCP") !== protocol) return false;
      if (p.port === undefined) return true;
      const n = typeof p.port === "string" ? target.ports[p.port] : p.port;
      return n === port || (p.endPort !== undefined && n <= port && port <= p.endPort);
    });
  const types = (p) => p.spec.policyTypes ?? ["Ingress", ...(p.spec.egress ? ["Egress"] : [])];
  const direction = (self, other, port, protocol, type) => {
    const selecting = policies.filter((p) => p.ns === self.ns && types(p).includes(type) && selectorMatches(p.spec.podSelector, self.labels));
    if (!selecting.length) return true; // not isolated
    const key = type === "Ingress" ? "ingress" : "egress";
    const peers = type === "Ingress" ? "from" : "to";
    const target = type === "Ingress" ? self : other;
    return selecting.some((p) =>
      (p.spec[key] ?? []).some((r) => (!r[peers]?.length || r[peers].some((peer) => peerMatches(peer, p.ns, other))) && portMatches(r.ports, target, port, protocol)),
    );
  };
  const allowed = (src, dst, port, protocol = "TCP") =>
    direction(src, dst, port, protocol, "Egress") && direction(dst, src, port, protocol, "Ingress");

  const expect = (want, label, src, dst, port, protocol) =>
    check(allowed(src, dst, port, protocol) === want, `${where}: network path ${label}`, want ? "blocked, must be open" : "open, must be blocked");

  const may = new Set(["contact-center>repair", ...["contact-center", "counter", "construction", "repair"].map((s) => `${s}>risk`)]);
  for (const [from, src] of Object.entries(pods)) {
    for (const [to, dst] of Object.entries(pods)) {
      expect(may.has(`${from}>${to}`), `${from} -> ${to} grpc`, src, dst, dst.ports.grpc);
      expect(false, `${from} -> ${to} metrics`, src, dst, dst.ports.metrics);
    }
    expect(true, `${from} -> kube-dns 53/UDP`, src, dns, 53, "UDP");
    expect(true, `${from} -> kube-dns 53/TCP`, src, dns, 53, "TCP");
    expect(false, `${from} -> kube-dns 80/TCP`, src, dns, 80, "TCP");
    expect(false, `${from} -> outside pod 443`, src, stranger, 443, "TCP");
    expect(overlay === "prod", `${from} -> PostgreSQL 5432`, src, postgresql, 5432, "TCP");
    expect(true, `Prometheus -> ${from} metrics`, prometheus, src, src.ports.metrics);
    expect(false, `Prometheus -> ${from} grpc`, prometheus, src, src.ports.grpc);
    expect(true, `labelled client -> ${from} grpc`, clientPod, src, src.ports.grpc);
    expect(true, `client namespace -> ${from} grpc`, clientNamespacePod, src, src.ports.grpc);
    expect(false, `labelled client -> ${from} metrics`, clientPod, src, src.ports.metrics);
    expect(false, `unlabelled pod elsewhere -> ${from} grpc`, stranger, src, src.ports.grpc);
    expect(false, `unlabelled pod in the namespace -> ${from} grpc`, strangerInNs, src, src.ports.grpc);
    // The plaintext health port is for the kubelet (from the node, not policed): no pod reaches it.
    if (src.ports.health !== undefined) {
      const others = [...Object.entries(pods), ["Prometheus", prometheus], ["labelled client", clientPod], ["client namespace", clientNamespacePod],
        ["unlabelled pod elsewhere", stranger], ["unlabelled pod in the namespace", strangerInNs]];
      for (const [name, other] of others) expect(false, `${name} -> ${from} health`, other, src, src.ports.health);
    }
  }
  check(Object.keys(pods).length === 5, `${where}: network model`, "expected five services");
  if (overlay === "prod") check(Object.values(pods).every((p) => p.ports.health !== undefined), `${where}: network model`, "prod pods have no health port");
}

// ---- monitoring -----------------------------------------------------------------------------------
function checkMonitoring(where, objects) {
  const rules = objects.filter((o) => o.kind === "PrometheusRule");
  const files = ruleFiles();
  for (const f of files) {
    const r = rules.find((x) => x.metadata.annotations?.["gridserve/source"] === f.rel);
    if (!check(r, `${where}: PrometheusRule for ${f.rel}`, "missing: run deploy/k8s/generate-monitoring.sh")) continue;
    check(isDeepStrictEqual(r.spec.groups, f.doc.groups), `${where}: ${id(r)}`, `groups differ from ${f.rel}: run deploy/k8s/generate-monitoring.sh`);
  }
  check(
    isDeepStrictEqual(rules.flatMap((r) => r.spec.groups), files.flatMap((f) => f.doc.groups)),
    `${where}: PrometheusRules`,
    "the rendered groups are not exactly the groups of monitoring/rules/*.yml",
  );
  const dashboards = objects.filter((o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard === "1");
  for (const f of dashboardFiles()) {
    const cm = dashboards.find((x) => x.metadata.annotations?.["gridserve/source"] === f.rel);
    if (!check(cm, `${where}: dashboard ConfigMap for ${f.rel}`, "missing: run deploy/k8s/generate-monitoring.sh")) continue;
    const values = Object.values(cm.data ?? {});
    check(values.length === 1 && isDeepStrictEqual(JSON.parse(values[0]), f.json), `${where}: ${id(cm)}`, `differs from ${f.rel}`);
  }
  check(dashboards.length === dashboardFiles().length, `${where}: dashboard ConfigMaps`, "one per dashboards/*.json");
}

// ---- configuration files against config.proto -----------------------------------------------------
const configSchema = (() => {
  const proto = readFileSync(path.join(root, "protos/gridserve/v1/config.proto"), "utf8").replace(/\/\/.*$/gm, "");
  const messages = {};
  const enums = {};
  for (const m of proto.matchAll(/message\s+(\w+)\s*\{([^}]*)\}/g)) {
    messages[m[1]] = {};
    for (const f of m[2].matchAll(/(optional\s+|repeated\s+)?(map<\s*\w+\s*,\s*([\w.]+)\s*>|[\w.]+)\s+(\w+)\s*=\s*\d+\s*;/g)) {
      const field = { repeated: f[1]?.trim() === "repeated", map: f[2].startsWith("map<"), type: f[3] ?? f[2] };
      messages[m[1]][f[4]] = field;
      messages[m[1]][f[4].replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())] = field;
    }
  }
  for (const e of proto.matchAll(/enum\s+(\w+)\s*\{([^}]*)\}/g)) enums[e[1]] = [...e[2].matchAll(/(\w+)\s*=\s*\d+/g)].map((x) => x[1]);
  return { messages, enums };
})();

// One file's JSON (any subset of gridserve.v1.SuiteConfig) against the schema: what the services'
// parser would refuse at start-up.
function checkSuiteConfigJson(file, config) {
  const { messages, enums } = configSchema;
  const scalar = (type, v, at) => {
    if (messages[type]) return walk(type, v, at);
    if (enums[type]) return check(enums[type].includes(v), `${file} ${at}`, `not a ${type} value`);
    if (type === "google.protobuf.Duration") return check(typeof v === "string" && /^-?\d+(\.\d{1,9})?s$/.test(v), `${file} ${at}`, "not a Duration such as \"10s\"");
    if (type === "string") return check(typeof v === "string", `${file} ${at}`, "not a string");
    if (/int|double|float/.test(type)) return check(typeof v === "number", `${file} ${at}`, "not a number");
    if (type === "bool") return check(typeof v === "boolean", `${file} ${at}`, "not a boolean");
    return check(false, `${file} ${at}`, `type ${type} unknown to this check`);
  };
  const walk = (type, obj, at) => {
    if (!check(obj && typeof obj === "object" && !Array.isArray(obj), `${file} ${at}`, `not a ${type} object`)) return;
    for (const [k, v] of Object.entries(obj)) {
      const f = messages[type][k];
      if (!check(f, `${file} ${at}.${k}`, `unknown field of gridserve.v1.${type} (the services refuse to start)`)) continue;
      if (f.map) for (const [mk, mv] of Object.entries(v)) scalar(f.type, mv, `${at}.${k}.${mk}`);
      else if (f.repeated) check(Array.isArray(v), `${file} ${at}.${k}`, "not a list") && v.forEach((x, i) => scalar(f.type, x, `${at}.${k}[${i}]`));
      else scalar(f.type, v, `${at}.${k}`);
    }
  };
  check(messages.SuiteConfig, "config.proto", "no SuiteConfig message found");
  walk("SuiteConfig", config, "$");
}

// Lays `overlay` over `base` as services/common/config.cc does: objects merge, lists and scalars replace.
function overlayConfig(overlay, base) {
  for (const [k, v] of Object.entries(overlay)) {
    if (v && typeof v === "object" && !Array.isArray(v) && base[k] && typeof base[k] === "object") overlayConfig(v, base[k]);
    else base[k] = structuredClone(v);
  }
  return base;
}

// The base's file, the one every overlay starts from: a full, sensible configuration.
function checkBaseConfig() {
  const file = "deploy/k8s/base/config/gridserve.json";
  const config = JSON.parse(readFileSync(path.join(root, file), "utf8"));
  checkSuiteConfigJson(file, config);
  check(config.departments?.length > 0 && !config.departments.includes("other"), file, "departments must be listed and not include \"other\"");
  for (const d of [...(config.calendar?.holidays ?? []), ...(config.calendar?.makeupWorkingDays ?? [])]) {
    check(/^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d)), `${file} calendar`, `${d} is not YYYY-MM-DD`);
  }
}

// ---- main -----------------------------------------------------------------------------------------
const overlays = readdirSync(path.join(k8s, "overlays")).filter((d) => existsSync(path.join(k8s, "overlays", d, "kustomization.yaml"))).sort();
const targets = [{ name: "base", dir: path.join(k8s, "base") }, ...overlays.map((o) => ({ name: o, dir: path.join(k8s, "overlays", o) }))];
check(overlays.includes("dev") && overlays.includes("prod"), "overlays", "dev and prod must exist");

for (const t of targets) {
  const before = failed;
  let objects;
  try {
    objects = render(t.dir);
  } catch (e) {
    check(false, `kubectl kustomize ${path.relative(root, t.dir)}`, e.message);
    continue;
  }
  const namespace = objects.find((o) => o.kind === "Namespace")?.metadata.name;
  if (t.name !== "base") check(namespace, `${t.name}: Namespace`, "an overlay creates its namespace");
  await validateSchemas(t.name, objects);
  checkLabels(t.name, objects, namespace);
  checkDeployments(t.name, objects, t.name);
  checkServicesAndPolicies(t.name, objects, t.name);
  checkNetworkPolicies(t.name, objects, namespace, t.name);
  if (objects.some((o) => o.kind === "ServiceMonitor")) checkMonitoring(t.name, objects);
  else check(t.name !== "prod", "prod: monitoring", "the prod overlay includes components/monitoring");
  const kinds = {};
  for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
  console.log(`${failed === before ? "ok  " : "FAIL"} ${t.name}: ${objects.length} objects (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ")})`);
}
checkBaseConfig();

console.log(`validate: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
