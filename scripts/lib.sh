# Helpers for the scripts beside this file: the project's Python tools, free ports, and
# background servers that stop when the script exits. Source it from the repository root.

# Each step says how long the run has been going when it starts (from the first script of the run:
# `make test` runs setup, then check).
: "${RUN_STARTED_AT:=$(date +%s)}"
export RUN_STARTED_AT
step() {
  local elapsed=$(($(date +%s) - RUN_STARTED_AT))
  printf '\n==> %s  [%dm%02ds]\n' "$*" $((elapsed / 60)) $((elapsed % 60))
}

UV_VERSION=0.13.9

# Creates .venv and installs requirements-dev.txt into it when that file (or how it is installed)
# changed.
ensure_python_tools() {
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  local installed
  installed="$(cat requirements-dev.txt)
# installed by uv $UV_VERSION, bytecode compiled"
  if [ "$installed" != "$(cat .venv/.installed-requirements 2>/dev/null)" ]; then
    # uv (a PyPI package with its binary in the wheel) installs the tools in seconds where pip
    # took most of a minute.
    # Bytecode is compiled once here (~8 s): where PYTHONDONTWRITEBYTECODE is set, Python would
    # otherwise compile every module of moto, botocore and the SAM CLI again at each start
    # (`sam validate` 2.3 s -> 4.5 s, the deployment checks 8 s -> 30 s beside the tests).
    # `--reinstall` so that packages already there are compiled too.
    # uv reads the system's certificates as pip does here; should it fail anyway, pip installs
    # (and compiles).
    if ! { .venv/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" &&
      UV_NATIVE_TLS=1 .venv/bin/uv pip install --quiet --reinstall --compile-bytecode --python .venv/bin/python -r requirements-dev.txt; }; then
      .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
    fi
    printf '%s\n' "$installed" >.venv/.installed-requirements
  fi
  export PATH="$PWD/.venv/bin:$PATH"
}

# checkov in a virtualenv of its own inside .venv (requirements-checkov.txt), when that file changed.
ensure_checkov() {
  local venv=.venv/checkov installed
  installed="$(cat requirements-checkov.txt)"
  if [ "$installed" != "$(cat "$venv/.installed-requirements" 2>/dev/null)" ]; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    if ! UV_NATIVE_TLS=1 .venv/bin/uv pip install --quiet --compile-bytecode --python "$venv/bin/python" -r requirements-checkov.txt; then
      "$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-checkov.txt
    fi
    printf '%s\n' "$installed" >"$venv/.installed-requirements"
  fi
}

# The Node.js peer of the benchmark (bench/node-peer): its npm packages when its lock changed,
# then its two functions bundled with esbuild into bench/node-peer/dist.
ensure_peer_packages() {
  if ! cmp -s bench/node-peer/package-lock.json bench/node-peer/node_modules/.installed-package-lock.json 2>/dev/null; then
    npm --prefix bench/node-peer ci --no-audit --no-fund
    cp bench/node-peer/package-lock.json bench/node-peer/node_modules/.installed-package-lock.json
  fi
}
build_peer() {
  (cd bench/node-peer && node build.mjs dist)
}

# free_port: a loopback port for a server started next, free when checked and not handed out
# before in this run. It comes from below the kernel's ephemeral range (32768 and up on Linux):
# one from that range can be taken before the server binds it by any process binding port 0 or
# opening a connection, as the checks running beside each other keep doing.
free_port() {
  python3 - "$background_logs/ports" <<'PY'
import random, socket, sys
with open(sys.argv[1], "a+") as handed_out:
    handed_out.seek(0)
    taken = set(handed_out.read().split())
    while True:
        port = random.randrange(20000, 32768)
        if str(port) in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        handed_out.write(f"{port}\n")
        print(port)
        break
PY
}

background_pids=()
background_logs=$(mktemp -d)
trap 'kill "${background_pids[@]}" 2>/dev/null || true; rm -rf "$background_logs"' EXIT

# spawn NAME COMMAND...: runs COMMAND until the script exits, its output in NAME's log.
declare -A spawned_pids
spawn() {
  local name=$1
  shift
  "$@" >"$background_logs/$name.log" 2>&1 &
  background_pids+=($!)
  spawned_pids[$name]=$!
}

# wait_ready NAME READY_URL: waits until what `spawn NAME` started answers at READY_URL (any HTTP
# status); ends the script (or the check beside it that waits) if it exits or never answers.
wait_ready() {
  local name=$1 ready=$2
  for _ in $(seq 1 300); do
    if python3 - "$ready" 2>/dev/null <<'PY'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass
PY
    then
      return 0
    fi
    if ! kill -0 "${spawned_pids[$name]}" 2>/dev/null; then
      cat "$background_logs/$name.log" >&2
      echo "$name exited before it was ready" >&2
      exit 1
    fi
    sleep 0.2
  done
  cat "$background_logs/$name.log" >&2
  echo "$name did not answer at $ready" >&2
  exit 1
}

# start_background NAME READY_URL COMMAND...: spawn, then wait_ready.
start_background() {
  local name=$1 ready=$2
  shift 2
  spawn "$name" "$@"
  wait_ready "$name" "$ready"
}

# create_table ENDPOINT NAME: the table as the deployment has it (partition key pk, TTL on ttl).
create_table() {
  python3 - "$1" "$2" <<'PY'
import sys, boto3
client = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
try:
    client.create_table(TableName=sys.argv[2], BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    client.update_time_to_live(TableName=sys.argv[2],
                               TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
except client.exceptions.ResourceInUseException:
    pass
PY
}

# side_by_side NAME COMMAND...: runs a check beside the ones that follow, its output kept apart;
# `await NAME` waits for it, prints its output and ends the script if it failed.
declare -A side_pids
side_by_side() {
  local name=$1
  shift
  local started=$SECONDS
  { local status=0
    "$@" >"$background_logs/$name.side" 2>&1 || status=$?
    echo $((SECONDS - started)) >"$background_logs/$name.took"; exit "$status"; } &
  side_pids[$name]=$!
  background_pids+=($!)
}

await() {
  local name=$1 status=0
  wait "${side_pids[$name]}" || status=$?
  printf '\n--- %s (ran beside the steps above, %ss) ---\n' "$name" "$(cat "$background_logs/$name.took" 2>/dev/null)"
  cat "$background_logs/$name.side"
  if [ "$status" -ne 0 ]; then
    echo "$name failed" >&2
    exit "$status"
  fi
}
