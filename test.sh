#!/usr/bin/env bash
# The README's test command. Installs what the tests need and this machine lacks, then runs every test:
#   - Debian's chromium, for the dashboard-in-a-browser test (Tests/Processes/SiloProcessTests), with apt-get (sudo when not root);
#   - Debian's time (/usr/bin/time), which measures a training process's peak memory (Tests/Processes/AdmissionEstimateTests).
# Nothing else: the tests' Redis is a Garnet embedded in the test process, and the tests make their own checkpoints, PDFs and data.
# Arguments go to `dotnet test` (e.g. ./test.sh --filter "FullyQualifiedName~Retrieval").
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing Debian's ${missing[*]} (missing here; the tests need them)"
  SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

dotnet test Pastanoodles.sln "$@"
