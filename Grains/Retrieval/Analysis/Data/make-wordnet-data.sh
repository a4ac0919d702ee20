#!/usr/bin/env bash
# Regenerates the compact WordNet 3.0 tables embedded in Pastanoodles.Grains from Debian's wordnet-base
# (apt-get install wordnet-base): the lemma column of index.<pos> (license header lines, which start with a
# space, dropped) and the <pos>.exc exception lists as they are. Only what morphy needs; see WordNetMorphy.cs.
set -euo pipefail
cd "$(dirname "$0")"
src=${1:-/usr/share/wordnet}
for pos in noun verb adj adv; do
  grep -v '^ ' "$src/index.$pos" | cut -d' ' -f1 | gzip -9n > "$pos.lemmas.gz"
  gzip -9n < "$src/$pos.exc" > "$pos.exc.gz"
done
ls -l *.gz
