#!/usr/bin/env bash
# The process tests with CPU load beside them, as on a busy developer machine or a shared CI runner: two busy loops per core
# (like `stress --cpu`), each bounded by `timeout` and killed by this script when the tests end, however they end.
# Each test writes how long it took (and the load average) to its output, which the detailed console logger prints.
#   Tests/Processes/under-load.sh [extra dotnet test arguments]     LOAD_PER_CORE (2) and LOAD_SECONDS (3600) change the load.
set -euo pipefail
cd "$(dirname "$0")/../.."

burners=()
stop_burners() {
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_burners EXIT

dotnet build Tests -v q -nologo
count=$(( $(nproc) * ${LOAD_PER_CORE:-2} ))
for _ in $(seq "$count"); do
  timeout "${LOAD_SECONDS:-3600}" bash -c 'while :; do :; done' &
  burners+=($!)
done
echo "under-load.sh: $count busy loops (pids ${burners[*]}) for at most ${LOAD_SECONDS:-3600} s"
uptime
start=$SECONDS
status=0
dotnet test Tests --no-build --filter "FullyQualifiedName~Pastanoodles.Tests.Processes" --logger "console;verbosity=detailed" "$@" || status=$?
echo "under-load.sh: the process tests took $(( SECONDS - start )) s beside $count busy loops; exit $status"
uptime
exit $status
