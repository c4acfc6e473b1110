#!/usr/bin/env bash
# Checks the deploy files offline, one line per check, and exits non-zero when any check fails.
#
#   ops/check-deploy.sh [DIR]      # DIR holds systemd/ and kubernetes/ (default: deploy/)
#
# systemd/ (*.service, and drop-ins NAME.service.d/*.conf): each unit is installed into a scratch root
# (with the stock units of /usr/lib/systemd/system and a stub for every program its Exec*= lines name, so
# the check does not depend on what this machine has installed) and checked with
#   systemd-analyze verify --root=ROOT UNIT           (any message counts as a failure: verify warns about
#                                                      unknown keys and bad values but exits 0)
#   systemd-analyze security --offline=true --root=ROOT --threshold=N UNIT
#                                                     (fails above LONGSHOT_MAX_EXPOSURE, default 2.0)
# A template NAME@.service is checked as NAME@1.service; each drop-in once more, alone, on NAME@0.service.
# Neither needs systemd running as PID 1 (a container is fine).
#
# kubernetes/ (every *.yaml below it):
#   kubernetes-validate --strict for Kubernetes LONGSHOT_K8S_VERSION (default 1.31.0) on every file; it
#     has no schemas for custom resources and only warns about them, so any other unknown kind fails here;
#   KEDA's ScaledObject and TriggerAuthentication against ops/keda-schema.json (a JSON schema written
#     from KEDA's documented fields: unknown fields fail, the postgresql trigger's metadata key by key);
#   references: ScaledObject -> its Deployment and TriggerAuthentication, TriggerAuthentication -> its
#     Secret and key, probes' named ports, prometheus.io/port annotations, Secret and ConfigMap keys;
#   each postgresql trigger's query, run in a scratch PostgreSQL on the farm's schema (the migrations in
#     Sources/LongshotStore/FarmSchema.swift) over a fixture of jobs in every state, must count 8 units of
#     work (skipped where PostgreSQL's server programs are missing).
# kubernetes-validate (PyPI) is installed when missing, like ops/install-deps.sh does.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$(cd "${1:-$repo/deploy}" && pwd)"
k8s_version="${LONGSHOT_K8S_VERSION:-1.31.0}"
max_exposure="${LONGSHOT_MAX_EXPOSURE:-2.0}"
keda_schema="$repo/ops/keda-schema.json"
farm_schema="$repo/Sources/LongshotStore/FarmSchema.swift"

passed=0
failed=0
pass() { printf 'ok    %s\n' "$1"; passed=$((passed + 1)); }
fail() {
  printf 'FAIL  %s\n' "$1"
  if [[ -n "${2:-}" ]]; then printf '%s\n' "$2" | sed 's/^/      /'; fi
  failed=$((failed + 1))
}
skip() { printf 'skip  %s\n' "$1"; }
as_postgres() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

work="$(mktemp -d)"
pg_data=""
cleanup() {
  if [[ -n "$pg_data" && -f "$pg_data/postmaster.pid" ]]; then as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -s stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# ---- systemd -------------------------------------------------------------------------------------------
root="$work/root"
units="$root/etc/systemd/system"
threshold="$(awk -v m="$max_exposure" 'BEGIN { printf "%d", m * 10 + 0.5 }')"  # systemd counts in tenths

# A stub for every absolute program an Exec*= line names (after its prefixes - @ : + !).
stub_programs() {
  local path
  sed -n -E 's/^Exec[A-Za-z]*=[-@:+!]*(\/[^[:space:]]+).*/\1/p' "$@" | sort -u | while read -r path; do
    mkdir -p "$root$(dirname "$path")"
    printf '#!/bin/sh\nexit 0\n' >"$root$path"
    chmod 0755 "$root$path"
  done
}

check_unit() {  # UNIT LABEL
  local unit="$1" label="$2" out rc score
  if out="$(systemd-analyze verify --man=no --root="$root" "$unit" 2>&1)" && [[ -z "$out" ]]; then
    pass "systemd-analyze verify $label"
  else
    fail "systemd-analyze verify $label" "$out"
  fi
  if out="$(systemd-analyze security --no-pager --offline=true --root="$root" --threshold="$threshold" "$unit" 2>&1)"; then rc=0; else rc=$?; fi
  score="$(sed -n -E 's/.*Overall exposure level for [^:]*: ([0-9.]+ [A-Z]+).*/\1/p' <<<"$out")"
  if [[ $rc -eq 0 && -n "$score" ]]; then
    pass "systemd-analyze security $label: $score (at most $max_exposure)"
  else
    fail "systemd-analyze security $label: ${score:-no score} (at most $max_exposure)" "$(grep -v '✓' <<<"$out" | tail -n 15)"
  fi
}

instance() {  # NAME@.service -> NAME@N.service; other names unchanged
  if [[ "$1" == *@.service ]]; then printf '%s@%s.service' "${1%@.service}" "$2"; else printf '%s' "$1"; fi
}

stock=""
for candidate in /usr/lib/systemd/system /lib/systemd/system; do
  if [[ -f "$candidate/sysinit.target" ]]; then stock="$candidate"; break; fi
done
shopt -s nullglob
service_files=("$dir"/systemd/*.service)
dropins=("$dir"/systemd/*.service.d/*.conf)
if ! command -v systemd-analyze >/dev/null 2>&1; then
  fail "systemd-analyze is not installed (apt-get install systemd)"
elif [[ -z "$stock" ]]; then
  fail "no stock systemd units (sysinit.target) in /usr/lib/systemd/system"
elif ((${#service_files[@]} == 0)); then
  fail "no units in $dir/systemd"
else
  mkdir -p "$units" "$root/usr/lib/systemd"
  cp -a "$stock" "$root/usr/lib/systemd/"
  cp "${service_files[@]}" "$units/"
  stub_programs "${service_files[@]}"
  for file in "${service_files[@]}"; do
    name="$(instance "$(basename "$file")" 1)"
    check_unit "$name" "$name"
  done
  for conf in "${dropins[@]}"; do
    base="$(basename "$(dirname "$conf")")"  # NAME.service.d
    base="${base%.d}"
    name="$(instance "$base" 0)"
    mkdir -p "$units/$base.d"
    cp "$conf" "$units/$base.d/"
    stub_programs "$conf"
    check_unit "$name" "$name with $(basename "$conf")"
    rm -rf "${units:?}/$base.d"
  done
fi

# ---- Kubernetes ----------------------------------------------------------------------------------------
mapfile -t manifests < <(find "$dir/kubernetes" -type f \( -name '*.yaml' -o -name '*.yml' \) 2>/dev/null | sort)
if ! python3 -c "import kubernetes_validate" >/dev/null 2>&1; then
  echo "installing: kubernetes-validate (pip)" >&2
  pip=(python3 -m pip install --quiet kubernetes-validate)
  "${pip[@]}" >&2 || "${pip[@]}" --break-system-packages >&2 || true  # Debian's own python3 is externally managed
fi
if ((${#manifests[@]} == 0)); then
  fail "no manifests in $dir/kubernetes"
elif ! kv_version="$(python3 -c 'from kubernetes_validate.version import __version__ as v; print(v)' 2>/dev/null)"; then
  fail "kubernetes-validate is not installed and could not be installed (python3 -m pip install kubernetes-validate)"
else
  for file in "${manifests[@]}"; do
    rel="${file#"$dir"/}"
    if out="$(python3 -m kubernetes_validate --strict --kubernetes-version "$k8s_version" "$file" 2>&1)"; then rc=0; else rc=$?; fi
    unknown="$(grep "Couldn't find schema" <<<"$out" | grep -v 'api version keda\.sh/' || true)"
    count="$(grep -c ' passed for resource ' <<<"$out" || true)"
    keda="$(grep "Couldn't find schema" <<<"$out" | grep -c 'api version keda\.sh/' || true)"
    note=""
    [[ "$keda" == 0 ]] || note=" (and $keda KEDA resources, checked below)"
    if [[ $rc -eq 0 && -z "$unknown" ]]; then
      pass "kubernetes-validate $kv_version --strict (Kubernetes $k8s_version) $rel: $count resources$note"
    else
      fail "kubernetes-validate $kv_version --strict (Kubernetes $k8s_version) $rel" "$(grep -v '^INFO' <<<"$out")"
    fi
  done

  # KEDA's schema, the references between documents, and the queries and farm schema for PostgreSQL.
  mkdir -p "$work/sql"
  queries=()
  schema_versions=""
  while IFS=$'\t' read -r status label detail; do
    case "$status" in
      ok) pass "$label" ;;
      FAIL) fail "$label" "${detail//"  |  "/$'\n'}" ;;
      query) queries+=("$label"$'\t'"$detail") ;;
      schema) schema_versions="$label" ;;
    esac
  done < <(python3 - "$keda_schema" "$farm_schema" "$work/sql" "$dir" "${manifests[@]}" <<'PY' || echo $'FAIL\tthe structural checks of the manifests stopped (see above)'
import json, os, re, sys

import jsonschema
import yaml

schema_path, swift_path, sql_dir, base, *files = sys.argv[1:]


def say(status, label, detail=""):
    print("\t".join([status, label, " ".join(str(detail).split("\n")).replace("\t", " ") if detail else ""]))


docs = []
for path in files:
    rel = os.path.relpath(path, base)
    try:
        with open(path) as f:
            docs += [(rel, d) for d in yaml.safe_load_all(f) if isinstance(d, dict)]
    except yaml.YAMLError as error:
        say("FAIL", f"YAML {rel}", error)


def meta(d):
    return d.get("metadata") or {}


def ident(d):
    return f"{d.get('kind')}/{meta(d).get('name')}"


def namespace(d):
    return meta(d).get("namespace", "default")


index = {(d.get("kind"), namespace(d), meta(d).get("name")): d for _, d in docs}


def keys_of(d):
    return set((d.get("data") or {}).keys()) | set((d.get("stringData") or {}).keys())


# KEDA's custom resources against ops/keda-schema.json.
with open(schema_path) as f:
    validator = jsonschema.Draft202012Validator(json.load(f))
for rel, d in docs:
    if not str(d.get("apiVersion", "")).startswith("keda.sh/"):
        continue
    errors = sorted(validator.iter_errors(d), key=lambda e: list(map(str, e.absolute_path)))
    label = f"KEDA schema (ops/keda-schema.json) {rel}: {ident(d)}"
    if errors:
        say("FAIL", label, "  |  ".join(f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors[:6]))
    else:
        say("ok", label)

# References between documents, and inside pod templates.
for rel, d in docs:
    kind, ns, spec, problems = d.get("kind"), namespace(d), d.get("spec") or {}, []
    if kind == "ScaledObject":
        target = spec.get("scaleTargetRef") or {}
        if (target.get("kind", "Deployment"), ns, target.get("name")) not in index:
            problems.append(f"scaleTargetRef: no {target.get('kind', 'Deployment')} {target.get('name')} in namespace {ns}")
        for trigger in spec.get("triggers") or []:
            auth = trigger.get("authenticationRef") or {}
            if auth and auth.get("kind", "TriggerAuthentication") == "TriggerAuthentication" \
                    and ("TriggerAuthentication", ns, auth.get("name")) not in index:
                problems.append(f"authenticationRef: no TriggerAuthentication {auth.get('name')} in namespace {ns}")
            if trigger.get("type") == "postgresql" and "query" in (trigger.get("metadata") or {}):
                number = sum(1 for name in os.listdir(sql_dir))
                path = os.path.join(sql_dir, f"query-{number}.sql")
                with open(path, "w") as f:
                    f.write(trigger["metadata"]["query"].rstrip().rstrip(";") + ";\n")
                say("query", f"{rel}: {ident(d)} trigger {trigger.get('name', trigger['type'])}", path)
    elif kind == "TriggerAuthentication":
        for ref in spec.get("secretTargetRef") or []:
            secret = index.get(("Secret", ns, ref.get("name")))
            if secret is None:
                problems.append(f"secretTargetRef: no Secret {ref.get('name')} in namespace {ns}")
            elif ref.get("key") not in keys_of(secret):
                problems.append(f"secretTargetRef: Secret {ref.get('name')} has no key {ref.get('key')}")
    pod = ((spec.get("template") or {}).get("spec")) if kind in ("Deployment", "StatefulSet", "DaemonSet") else None
    if pod is not None:
        containers = (pod.get("initContainers") or []) + (pod.get("containers") or [])
        numbers = {p.get("containerPort") for c in containers for p in c.get("ports") or []}
        annotations = ((spec.get("template") or {}).get("metadata") or {}).get("annotations") or {}
        port = annotations.get("prometheus.io/port")
        if port is not None and (not str(port).isdigit() or int(port) not in numbers):
            problems.append(f"prometheus.io/port {port} is no containerPort")
        for c in containers:
            names = {p.get("name") for p in c.get("ports") or []}
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                for handler in ("httpGet", "tcpSocket", "grpc"):
                    value = ((c.get(probe) or {}).get(handler) or {}).get("port")
                    if isinstance(value, str) and value not in names:
                        problems.append(f"{c.get('name')}: {probe} port {value} is no port name of the container")
            for env in c.get("env") or []:
                ref = (env.get("valueFrom") or {}).get("secretKeyRef") or {}
                secret = index.get(("Secret", ns, ref.get("name")))
                if ref and secret is not None and ref.get("key") not in keys_of(secret):
                    problems.append(f"{c.get('name')}: env {env.get('name')}: Secret {ref.get('name')} has no key {ref.get('key')}")
        for volume in pod.get("volumes") or []:
            for source, kind_name, field in (("secret", "Secret", "secretName"), ("configMap", "ConfigMap", "name")):
                ref = volume.get(source) or {}
                target = index.get((kind_name, ns, ref.get(field)))
                for item in ref.get("items") or [] if target is not None else []:
                    if item.get("key") not in keys_of(target):
                        problems.append(f"volume {volume.get('name')}: {kind_name} {ref.get(field)} has no key {item.get('key')}")
    if kind in ("ScaledObject", "TriggerAuthentication") or pod is not None:
        label = f"references {rel}: {ident(d)}"
        if problems:
            say("FAIL", label, "  |  ".join(problems))
        else:
            say("ok", label)

# The farm's schema: every migration's statements, in order, from the Swift source.
if any(name.startswith("query-") for name in os.listdir(sql_dir)):
    with open(swift_path) as f:
        source = f.read()
    literal = re.compile(r'//[^\n]*|"""\n(.*?)\n\s*"""|"((?:[^"\\\n]|\\.)*)"', re.S)
    migrations = []
    for match in re.finditer(r"static let v(\d+) = Migration\(", source):
        start = source.index("statements: [", match.end())
        end = source.find("static let v", start)
        chunk = source[start:end if end >= 0 else len(source)]
        chunk = chunk[: chunk.find("])") if "])" in chunk else len(chunk)]
        statements = [m.group(1) or m.group(2) for m in literal.finditer(chunk) if m.group(1) or m.group(2)]
        migrations.append((int(match.group(1)), statements))
    with open(os.path.join(sql_dir, "schema.sql"), "w") as f:
        for version, statements in sorted(migrations):
            f.write(f"-- migration {version}\n" + "".join(s.strip() + ";\n" for s in statements))
    print("\t".join(["schema", ",".join(f"v{v}" for v, _ in sorted(migrations)), ""]))
PY
)

  # Each postgresql trigger's query on the farm's schema, over a fixture: 8 units of work for its engine.
  if ((${#queries[@]} > 0)); then
    pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    [[ -n "$pg_bin" ]] || pg_bin="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"
    if [[ ! -x "$pg_bin/initdb" || ! -x "$pg_bin/pg_ctl" ]] || ! command -v psql >/dev/null 2>&1 \
        || { [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; }; then
      skip "the postgresql triggers' queries on the farm schema: no PostgreSQL server programs (apt-get install postgresql)"
    else
      chmod 0755 "$work"
      mkdir -p "$work/pg"
      [[ $(id -u) -ne 0 ]] || chown postgres "$work/pg"
      chmod -R a+rX "$work/sql"
      pg_data="$work/pg/data"
      if ! out="$(as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres -A trust --no-sync -E UTF8 2>&1)" \
          || ! out="$(as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -w -s -l "$work/pg/log" \
                -o "-c listen_addresses='' -k $work/pg -c fsync=off" start 2>&1)"; then
        fail "a scratch PostgreSQL for the queries" "$out$(cat "$work/pg/log" 2>/dev/null || true)"
      elif ! out="$(as_postgres psql -h "$work/pg" -U postgres -X -q -v ON_ERROR_STOP=1 -f "$work/sql/schema.sql" 2>&1)"; then
        fail "the farm schema ($schema_versions) from $(basename "$farm_schema") in PostgreSQL" "$out"
      else
        for entry in "${queries[@]}"; do
          label="${entry%%$'\t'*}"
          query="${entry#*$'\t'}"
          engine="$(grep -o -E "spec->>'engine' = '[^']*'" "$query" | head -n 1 | sed -E "s/.*= '([^']*)'/\1/" || true)"
          {
            printf '\\set engine %s\n' "'${engine:-procedural}'"
            cat <<'SQL'
BEGIN;
INSERT INTO workers (id, name) VALUES ('w1', 'w1');
INSERT INTO jobs (id, state, spec) VALUES
    ('independent', 'running', jsonb_build_object('engine', :'engine', 'fusion', 'independent')),
    ('unplanned', 'queued', jsonb_build_object('engine', :'engine', 'fusion', 'codenoise')),
    ('grouped', 'running', jsonb_build_object('engine', :'engine', 'fusion', 'codenoise')),
    ('encoding', 'encoding', jsonb_build_object('engine', :'engine', 'fusion', 'codenoise')),
    ('cancelled', 'cancelled', jsonb_build_object('engine', :'engine', 'fusion', 'independent')),
    ('other', 'queued', jsonb_build_object('engine', 'another-engine', 'fusion', 'independent'));
-- independent: a window done, one leased, one pending: 2
INSERT INTO windows (job_id, index, first_frame, frame_count, state, lease_id, lease_owner, lease_expires_at) VALUES
    ('independent', 0, 0, 16, 'done', NULL, NULL, NULL),
    ('independent', 1, 12, 16, 'leased', 'l1', 'w1', now() + interval '1 minute'),
    ('independent', 2, 24, 16, 'pending', NULL, NULL, NULL);
-- a codenoise job before its first lease: 4 windows, 4
INSERT INTO windows (job_id, index, first_frame, frame_count) SELECT 'unplanned', i, i * 12, 16 FROM generate_series(0, 3) i;
-- a codenoise job in two groups, one leased and one done (the windows stay pending): 1
INSERT INTO windows (job_id, index, first_frame, frame_count) SELECT 'grouped', i, i * 12, 16 FROM generate_series(0, 4) i;
INSERT INTO groups (job_id, index, first_window, window_count, state, lease_id, lease_owner, lease_expires_at) VALUES
    ('grouped', 0, 0, 3, 'leased', 'g1', 'w1', now() + interval '1 minute'),
    ('grouped', 1, 3, 2, 'done', NULL, NULL, NULL);
-- an encoding job: a decode segment pending, one done: 1
INSERT INTO windows (job_id, index, first_frame, frame_count, state) VALUES ('encoding', 0, 0, 16, 'done');
INSERT INTO segments (job_id, index, first_frame, frame_count, latent_first, latent_count, latents, state) VALUES
    ('encoding', 0, 0, 48, 0, 12, '\x00', 'pending'),
    ('encoding', 1, 48, 48, 12, 12, '\x00', 'done');
-- a cancelled job and another engine's job: 0
INSERT INTO windows (job_id, index, first_frame, frame_count) VALUES ('cancelled', 0, 0, 16), ('other', 0, 0, 16);
SQL
            cat "$query"
            printf 'ROLLBACK;\n'
          } >"$query.run"
          chmod a+r "$query.run"
          if out="$(as_postgres psql -h "$work/pg" -U postgres -X -q -A -t -v ON_ERROR_STOP=1 -f "$query.run" 2>&1)" \
              && [[ "$(tr -d '[:space:]' <<<"$out")" == 8 ]]; then
            pass "postgresql query of $label: 8 units of work of engine ${engine:-procedural} on the farm schema ($schema_versions)"
          else
            fail "postgresql query of $label: expected 8 units of work of engine ${engine:-procedural} on the farm schema, got" "$out"
          fi
        done
      fi
    fi
  fi
fi

echo "check-deploy: $passed passed, $failed failed"
((failed == 0))
