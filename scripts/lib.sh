# shellcheck shell=bash
# Shared settings of the project's scripts. Sourced, never run: scripts/setup,
# scripts/testbed and scripts/test all read their paths and ports from here so
# that one override (an exported variable) reaches every one of them.

HHNBS_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export HHNBS_REPO

# Everything that is installed or generated lives outside the work tree so a
# fresh clone reuses it and `git clean` does not throw away a 5-minute migrate.
export HHNBS_HOME="${HHNBS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/hedgehog-netbox-sync}"
export HHNBS_TOOLS_VENV="${HHNBS_TOOLS_VENV:-$HHNBS_HOME/venv-tools}"
# HHNBS_TOPOLOGY_VIEWS=1: the test bed's NetBox also runs the netbox-topology-views plugin,
# from a venv of its own so the default NetBox stays plain.
export HHNBS_TOPOLOGY_VIEWS="${HHNBS_TOPOLOGY_VIEWS:-0}"
if [[ $HHNBS_TOPOLOGY_VIEWS == 1 ]]; then
    export HHNBS_NETBOX_VENV="${HHNBS_NETBOX_VENV:-$HHNBS_HOME/venv-netbox-topology}"
else
    export HHNBS_NETBOX_VENV="${HHNBS_NETBOX_VENV:-$HHNBS_HOME/venv-netbox}"
fi
export HHNBS_COLLECTIONS="${HHNBS_COLLECTIONS:-$HHNBS_HOME/collections}"
export HHNBS_RUN="${HHNBS_RUN:-$HHNBS_HOME/run}"

# Versions the test bed is built from.
export HHNBS_NETBOX_VERSION="${HHNBS_NETBOX_VERSION:-4.7.3}"
# The first release for NetBox 4.7 is 4.7.0; 5.0.0 (min_version 4.7.0) is the newest.
export HHNBS_TOPOLOGY_VIEWS_VERSION="${HHNBS_TOPOLOGY_VIEWS_VERSION:-5.0.0}"
export HHNBS_PG_VERSION="${HHNBS_PG_VERSION:-15}"
# The test bed's own PostgreSQL cluster (pg_lsclusters shows it as 15/hhnbs).
export HHNBS_PG_CLUSTER="${HHNBS_PG_CLUSTER:-hhnbs}"

# Ports on 127.0.0.1, chosen away from the services' defaults so the test bed
# never collides with a PostgreSQL or Redis that the machine runs for itself.
export NETBOX_PORT="${NETBOX_PORT:-8000}"
export HHNBS_PG_PORT="${HHNBS_PG_PORT:-15432}"
export HHNBS_REDIS_PORT="${HHNBS_REDIS_PORT:-16379}"
export HHNBS_KUBE_PORT="${HHNBS_KUBE_PORT:-16443}"

# Dependency collections, taken out of `ansible` wheels from PyPI (no Galaxy
# here): "<ansible version>:<namespace>/<name>". awx.awx left the `ansible`
# package after 12.x; 24.6.1 from ansible 12.3.0 is its last release anyway.
HHNBS_COLLECTION_SOURCES=(
    14.5.0:netbox/netbox
    14.5.0:kubernetes/core
    14.5.0:community/general
    14.5.0:ansible/posix
    12.3.0:awx/awx
)
# shellcheck disable=SC2034  # used by the scripts that source this file
HHNBS_DEP_COLLECTIONS=("${HHNBS_COLLECTION_SOURCES[@]#*:}")

hhnbs_log() {
    if [[ -t 2 ]]; then printf '\033[1m==> %s\033[0m\n' "$*" >&2; else printf '==> %s\n' "$*" >&2; fi
}
hhnbs_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Prints the path of a Python 3.12 interpreter, or fails saying where it looked.
# A pyenv shim answers `command -v python3.12` even when 3.12 is not the active
# version, so every candidate is run once before it is trusted.
hhnbs_find_python312() {
    local candidates=() root c
    [[ -n "${HHNBS_PYTHON:-}" ]] && candidates+=("$HHNBS_PYTHON")
    c="$(command -v python3.12 2>/dev/null || true)"
    [[ -n "$c" ]] && candidates+=("$c")
    if command -v pyenv >/dev/null 2>&1; then
        root="$(pyenv root)"
    else
        root="${PYENV_ROOT:-$HOME/.pyenv}"
    fi
    # Newest 3.12.x first.
    # An unmatched glob stays literal and fails the check below.
    for c in $(printf '%s\n' "$root"/versions/3.12*/bin/python3.12 | sort -rV); do
        candidates+=("$c")
    done
    candidates+=(/usr/local/bin/python3.12 /usr/bin/python3.12)
    for c in "${candidates[@]}"; do
        if [[ -x "$c" || -n "$(command -v "$c" 2>/dev/null)" ]] &&
            "$c" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1; then
            printf '%s\n' "$c"
            return 0
        fi
    done
    echo "no working Python 3.12 found (tried: ${candidates[*]}); set HHNBS_PYTHON" >&2
    return 1
}

# Runs a step with its output in a log file; on failure names the step and
# shows the log's tail so the reader does not have to go looking.
hhnbs_step() {
    local name="$1" log="$2"
    shift 2
    mkdir -p "$(dirname "$log")"
    if ! "$@" >"$log" 2>&1; then
        echo "ERROR: step '$name' failed; full log: $log" >&2
        tail -n 25 "$log" >&2
        return 1
    fi
}
