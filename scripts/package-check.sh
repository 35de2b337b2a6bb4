#!/usr/bin/env bash
# The engine crate is publishable: `cargo package` (without its verify build, which compiled
# the whole dependency tree again for ~5 minutes of the test command) and a check that every
# file the crate's sources include at compile time (include_str!/include_bytes!: the
# embedded model, the crate docs) is inside the package, so the packaged crate builds as the
# workspace does. `cargo doc -D warnings` follows in test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
listed=$(cargo package -p speech-emotion --allow-dirty --no-verify --list)
cargo package -p speech-emotion --allow-dirty --no-verify --quiet
missing=0
while IFS=: read -r file rest; do
  rel=$(sed -E 's/.*include_(str|bytes)!\("([^"]+)"\).*/\2/' <<<"$rest")
  path=$(realpath -m --relative-to=. "$(dirname "$file")/$rel")
  if ! grep -qxF "$path" <<<"$listed"; then
    echo "package-check: $file includes $path, which the package leaves out" >&2
    missing=1
  fi
done < <(grep -rnoE 'include_(str|bytes)!\("[^"]+"\)' src/ | sed -E 's/^([^:]+):[0-9]+:/\1:/')
[ "$missing" = 0 ] && echo "package-check: every file the sources include is in the package ($(wc -l <<<"$listed") files)"
exit "$missing"
