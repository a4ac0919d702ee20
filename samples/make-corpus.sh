#!/usr/bin/env bash
# Regenerates samples/corpus/*.pdf from the texts in samples/corpus-src (written for this project).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf samples/corpus
dotnet run --project Client -- corpus pdf samples/corpus-src samples/corpus
