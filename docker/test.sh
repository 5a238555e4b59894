#!/usr/bin/env bash
# `make test-docker`: the README's Docker commands, for real. Starts a Docker engine if none
# is running (root; Debian's docker.io), makes the Dockerfile's base image if it cannot be
# pulled (docker/base-image.sh), then, in a copy of the project owned by the user they run as,
# checks as the invoking user and, when that is root, as a throwaway unprivileged user too:
#   docker-compose build; the prompt on a terminal answered with a count; a run with
#   --n-models 2; results owned by that user; .env reaching the container (MAX_EPOCHS=3);
#   Data/ read-only inside it; a closed standard input's error; (unprivileged) the error
#   that says what to run when the folders belong to different users; (invoking user) the
#   cluster profile: a scheduler and two workers, and a run on them equal to a local one.
# Removes its containers, images, user and copies, and stops the engine if it started it.
#
# DOCKER_TEST_OPTIONAL=1 (CI): no engine to be had is a skip (exit 0, one line saying why).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
optional=${DOCKER_TEST_OPTIONAL:-0}
max_epochs=3
test_user=deepfeat-test
# System python: the throwaway user may not reach a python under root's home.
python=$(command -v /usr/bin/python3 || command -v python3)
user_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { printf 'test-docker: %s\n' "$*"; }
die() { say "error: $*" >&2; exit 1; }
unavailable() {  # no engine to be had: a skip where that is allowed, else an error
    if [ "$optional" = 1 ]; then
        say "skipped: no Docker engine: $*"
        exit 0
    fi
    die "no Docker engine: $*"
}

work=$(mktemp -d /tmp/deepfeat-docker-test.XXXXXX)
chmod 755 "$work"  # the throwaway user works in a folder below it
engine_pid=
base_made=0
user_made=0
projects=()
passed=0
failed=0

cleanup() {
    local status=$?
    set +e
    trap - INT TERM
    if docker info >/dev/null 2>&1; then
        local dir project
        for dir in "${projects[@]}"; do
            project=$(basename "$dir")
            docker ps -aq --filter "label=com.docker.compose.project=$project" | xargs -r docker rm -f >/dev/null
            (cd "$dir" && "${compose[@]}" --profile cluster down --rmi local --remove-orphans >/dev/null 2>&1)
        done
        [ "$base_made" = 1 ] && docker rmi "$base" >/dev/null
        if [ -n "$engine_pid" ]; then  # its own engine: what a failed build left, too
            docker image prune -f >/dev/null
            docker builder prune -f >/dev/null 2>&1
        fi
    fi
    if [ -n "$engine_pid" ]; then
        kill -TERM "$engine_pid" 2>/dev/null
        for _ in $(seq 60); do kill -0 "$engine_pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$engine_pid" 2>/dev/null && say "dockerd did not stop in 30 s: killed it"
        say "stopped the Docker engine it had started"
    fi
    [ "$user_made" = 1 ] && userdel "$test_user"
    rm -rf --one-file-system "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One snapshot of what git would commit (tracked and new files), taken once, so that every
# user's copy is the same even while the working tree changes.
snapshot=$work/snapshot
mkdir "$snapshot"
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$repo" && git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
        | tar --null -T - -cf -) | tar -C "$snapshot" -xf -
else
    tar -C "$repo" --exclude=./.venv --exclude=./.git --exclude='./ExpOutput/*' --exclude='./Models/*' -cf - . \
        | tar -C "$snapshot" -xf -
fi
echo "MAX_EPOCHS=$max_epochs" >>"$snapshot/.env"

# --- the engine and Compose ---------------------------------------------------------------
compose=()
find_compose() {  # the README's docker-compose, else the v2 plugin
    if command -v docker-compose >/dev/null; then
        compose=(docker-compose)
    elif docker compose version >/dev/null 2>&1; then
        compose=(docker compose)
    fi
}
find_compose
if [ "$(id -u)" -eq 0 ]; then
    missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    [ ${#compose[@]} -gt 0 ] || missing+=(docker-compose)
    command -v debootstrap >/dev/null || missing+=(debootstrap)  # for the base image, if needed
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]} with apt-get"
        # An unreachable extra source fails `update`, not necessarily the install.
        { apt-get update -q || true; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
            >"$work/apt.log" 2>&1 \
            || unavailable "'apt-get install ${missing[*]}' failed: $(tail -n 1 "$work/apt.log")"
        find_compose
    fi
elif ! docker info >/dev/null 2>&1 || [ ${#compose[@]} -eq 0 ]; then
    unavailable "none is running (or Compose is missing), and setting one up needs root: run 'sudo make test-docker'"
fi
[ ${#compose[@]} -gt 0 ] || unavailable "neither docker-compose nor 'docker compose' is installed, even after 'apt-get install docker-compose'"
if ! docker info >/dev/null 2>&1; then
    # A pid file left by a killed engine whose pid now belongs to another process stops dockerd.
    pidfile=/var/run/docker.pid
    if [ -f "$pidfile" ] && [ "$(cat "/proc/$(cat "$pidfile")/comm" 2>/dev/null)" != dockerd ]; then
        rm -f "$pidfile"
    fi
    say "starting dockerd (log: $work/dockerd.log while it runs)"
    # Its own session, so a Ctrl-C here does not stop it before the clean-up has used it.
    setsid dockerd >"$work/dockerd.log" 2>&1 &
    engine_pid=$!
    for _ in $(seq 120); do
        docker info >/dev/null 2>&1 && break
        kill -0 "$engine_pid" 2>/dev/null || break
        sleep 0.5
    done
    if ! docker info >/dev/null 2>&1; then
        reason=$(grep -E 'level=(error|fatal)|failed' "$work/dockerd.log" | tail -n 1)
        kill -0 "$engine_pid" 2>/dev/null || engine_pid=
        unavailable "dockerd did not start: ${reason:-no error logged; see 'dockerd' run by hand}"
    fi
fi
say "engine: Docker $(docker version --format '{{.Server.Version}}'); compose: ${compose[*]} ($("${compose[@]}" version --short 2>/dev/null || echo '?'))"

# Leftovers of a run that was killed before its clean-up (same names as below).
docker ps -a --format '{{.ID}} {{.Label "com.docker.compose.project"}}' \
    | awk '$2 ~ /^deepfeat-test-/ { print $1 }' | xargs -r docker rm -f >/dev/null
docker images --format '{{.Repository}}:{{.Tag}}' | grep '^deepfeat-test-' | xargs -r docker rmi >/dev/null || true
if [ "$(id -u)" -eq 0 ] && id "$test_user" >/dev/null 2>&1; then
    say "removing user $test_user, left by an earlier run"
    userdel "$test_user"
fi

# --- the base image -----------------------------------------------------------------------
base=$(awk 'toupper($1) == "FROM" { print $2; exit }' "$repo/Dockerfile")
if ! docker image inspect "$base" >/dev/null 2>&1; then
    start=$SECONDS
    bash "$repo/docker/base-image.sh" >/dev/null
    base_made=1
    say "base image $base ready ($((SECONDS - start)) s)"
fi

# --- the checks ---------------------------------------------------------------------------
faults=0
fault() {
    say "  $*" >&2
    faults=$((faults + 1))
}
check() {  # check WHAT FUNCTION [ARGS]: runs a check, counts it, says how it went
    local what=$1 start=$SECONDS
    shift
    faults=0
    if "$@" && [ "$faults" -eq 0 ]; then
        passed=$((passed + 1))
        say "ok: $what ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        say "FAILED: $what (log: above)"
    fi
}

# Set per user by checks_as: who runs compose, and where.
run_user='' run_uid='' run_gid='' dir='' label=''
in_dir() {  # in_dir COMMAND...: in the copy, as the user under test
    if [ "$run_uid" -eq "$(id -u)" ]; then
        (cd "$dir" && "$@")
    else
        (cd "$dir" && runuser -u "$run_user" -- env HOME="$(dirname "$dir")" PATH="$user_path" "$@")
    fi
}
log_tail() { tail -n "${2:-15}" "$1" | sed 's/^/    | /' >&2; }

build() {
    in_dir timeout 1800 "${compose[@]}" build >"$work/$label-build.log" 2>&1 || {
        log_tail "$work/$label-build.log"
        fault "'${compose[*]} build' failed"
    }
}

expect_results() {  # expect_results N: the files of a run of N models, and its logs' epochs
    local n=$1 f
    for f in ExpOutput/ranking_$n.csv ExpOutput/ranking_$n.png ExpOutput/output_weights_$n.csv \
        Models/logs_$n.json Models/model_${n}_0.keras; do
        [ -s "$dir/$f" ] || fault "$f is missing"
    done
    [ ! -e "$dir/Models/.deepfeat-run-$n" ] || fault "Models/.deepfeat-run-$n (unfinished progress) is left"
    # PATIENCE is 15, so only .env's MAX_EPOCHS (not the default 2000) stops a model at 3 epochs.
    [ -f "$dir/Models/logs_$n.json" ] || return 0
    "$python" - "$dir/Models/logs_$n.json" "$n" "$max_epochs" <<'EOF' || fault "Models/logs_$n.json: not $n models of $max_epochs epochs each (.env's MAX_EPOCHS not seen?)"
import json, sys
logs = json.load(open(sys.argv[1]))
n, epochs = int(sys.argv[2]), int(sys.argv[3])
sys.exit(len(logs) != n or any(model["epochs_run"] != epochs for model in logs.values()))
EOF
}

prompt_on_terminal() {
    local project top
    top="$(dirname "$dir")/top.txt"  # written as the user under test
    project=$(basename "$dir")
    # While deepfeat waits at the prompt, look at who it runs as.
    in_dir "$python" docker/pty_run.py --timeout 600 --expect "How many models to train?" --answer 3 \
        --on-prompt "echo; docker top \$(docker ps -q --filter label=com.docker.compose.project=$project) -eo pid,uid,args >$top" \
        -- "${compose[@]}" run experiment >"$work/$label-prompt.log" 2>&1 \
        || { log_tail "$work/$label-prompt.log"; fault "'${compose[*]} run experiment' answered with 3 failed"; }
    local deepfeat_uid
    deepfeat_uid=$(awk '/bin\/deepfeat/ && !/entrypoint/ { print $2; exit }' "$top" 2>/dev/null)
    if [ -z "$deepfeat_uid" ]; then
        fault "no deepfeat process seen in the container at the prompt"
    elif [ "$deepfeat_uid" -eq 0 ]; then
        fault "deepfeat ran as root in the container"
    elif [ "$run_uid" -ne 0 ] && [ "$deepfeat_uid" -ne "$run_uid" ]; then
        fault "deepfeat ran as uid $deepfeat_uid, not $run_uid (the owner of ExpOutput/)"
    fi
    expect_results 3
}

run_with_flag() {
    in_dir "$python" docker/pty_run.py --timeout 600 -- "${compose[@]}" run experiment --n-models 2 \
        >"$work/$label-flag.log" 2>&1 \
        || { log_tail "$work/$label-flag.log"; fault "'${compose[*]} run experiment --n-models 2' failed"; }
    ! grep -q "How many models" "$work/$label-flag.log" || fault "--n-models 2 did not reach deepfeat: it asked"
    expect_results 2
}

owned_by_user() {
    local others
    others=$(cd "$dir" && find ExpOutput Models ! -uid "$run_uid" -printf '%p (uid %U)\n')
    [ -z "$others" ] || fault "not owned by uid $run_uid: $others"
    [ -n "$(find "$dir/ExpOutput" -name 'ranking_*.csv')" ] || fault "no results to look at"
}

closed_stdin() {
    local status=0
    in_dir timeout 600 "${compose[@]}" run -T experiment </dev/null >"$work/$label-stdin.log" 2>&1 || status=$?
    [ "$status" -eq 2 ] || fault "exit status $status, not 2"
    grep -q "deepfeat: error: .*N_MODELS" "$work/$label-stdin.log" \
        || { log_tail "$work/$label-stdin.log" 5; fault "no 'deepfeat: error:' line naming N_MODELS"; }
}

data_read_only() {
    in_dir timeout 600 "${compose[@]}" run --rm -T --entrypoint sh experiment -c 'touch Data/probe' \
        </dev/null >"$work/$label-ro.log" 2>&1 && fault "Data/ was writable in the container"
    grep -q "Read-only file system" "$work/$label-ro.log" || { log_tail "$work/$label-ro.log" 5; fault "no 'Read-only file system' error"; }
    [ ! -e "$dir/Data/probe" ] || fault "Data/probe appeared on the host"
}

cluster_profile() {  # a scheduler and two worker containers; a run on them writes what a local run writes
    local n=4 f log="$work/$label-cluster.log"
    in_dir timeout 900 "${compose[@]}" --profile cluster up -d --scale worker=2 scheduler worker >"$log" 2>&1 \
        || { log_tail "$log"; fault "'${compose[*]} --profile cluster up' failed"; return 0; }
    in_dir timeout 900 "${compose[@]}" run -T -e DASK_SCHEDULER_ADDRESS=tcp://scheduler:8786 -e SEED=7 experiment \
        --n-models $n --output-dir ExpOutput/cluster --model-dir Models/cluster </dev/null >>"$log" 2>&1 \
        || { log_tail "$log"; fault "the run on the cluster failed"; }
    grep -q "Training on tcp://scheduler:8786: " "$log" || fault "the run did not say it trained on the scheduler"
    in_dir timeout 900 "${compose[@]}" run -T -e SEED=7 experiment \
        --n-models $n --output-dir ExpOutput/local --model-dir Models/local </dev/null >>"$log" 2>&1 \
        || { log_tail "$log"; fault "the local run failed"; }
    for f in ExpOutput/%s/ranking_$n.csv ExpOutput/%s/output_weights_$n.csv Models/%s/logs_$n.json; do
        # shellcheck disable=SC2059  # the pattern holds the folder's place
        cmp -s "$dir/$(printf "$f" cluster)" "$dir/$(printf "$f" local)" \
            || fault "$(printf "$f" cluster) differs from a local run's"
    done
    in_dir timeout 300 "${compose[@]}" --profile cluster down >>"$log" 2>&1 || fault "'--profile cluster down' failed"
}

mixed_owners_error() {  # Models/ not the owner of ExpOutput/'s: refused with what to run
    local status=0
    chown root:root "$dir/Models"
    in_dir timeout 600 "${compose[@]}" run -T experiment --n-models 1 </dev/null >"$work/$label-owners.log" 2>&1 || status=$?
    chown "$run_uid:$run_gid" "$dir/Models"
    [ "$status" -eq 2 ] || fault "exit status $status, not 2"
    grep -q "run 'sudo chown -R $run_uid:$run_gid ExpOutput Models'" "$work/$label-owners.log" \
        || { log_tail "$work/$label-owners.log" 5; fault "the error does not say what to run"; }
}

checks_as() {  # checks_as USER: every check, in a copy owned by USER
    run_user=$1
    run_uid=$(id -u "$run_user")
    run_gid=$(id -g "$run_user")
    label=uid$run_uid
    dir=$work/$label/deepfeat-test-$$-$label  # its name is the compose project's
    mkdir -p "$dir"
    cp -a "$snapshot/." "$dir/"
    chown -R "$run_uid:$run_gid" "$(dirname "$dir")"
    projects+=("$dir")
    say "as $run_user (uid $run_uid), in $dir"
    check "$label: ${compose[*]} build" build
    [ "$faults" -eq 0 ] || return 0  # nothing else can run
    check "$label: the prompt on a terminal, answered with 3" prompt_on_terminal
    check "$label: ${compose[*]} run experiment --n-models 2" run_with_flag
    check "$label: results owned by uid $run_uid" owned_by_user
    check "$label: closed standard input gives exit 2 and one error line" closed_stdin
    check "$label: Data/ is read-only in the container" data_read_only
    if [ "$run_uid" -eq "$(id -u)" ]; then
        check "$label: the cluster profile: a run on a scheduler and two workers equals a local run" cluster_profile
    fi
    if [ "$run_uid" -ne 0 ] && [ "$(id -u)" -eq 0 ]; then
        check "$label: Models/ of another owner is refused with what to run" mixed_owners_error
    fi
}

total=$SECONDS
checks_as "$(id -un)"
if [ "$(id -u)" -eq 0 ]; then
    # A uid no one has (1234 if free), so nothing depends on being the usual first user, 1000.
    uid=1234
    while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do uid=$((uid + 1)); done
    socket_group=$(stat -c %G /var/run/docker.sock)
    useradd --no-create-home --uid "$uid" --user-group --groups "$socket_group" --shell /bin/sh "$test_user"
    user_made=1
    checks_as "$test_user"
else
    say "not root: checked as uid $(id -u) only; 'sudo make test-docker' checks as root and as a throwaway user"
fi
say "checks took $((SECONDS - total)) s"
say "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
