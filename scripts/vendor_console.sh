#!/usr/bin/env bash
# Refreshes the console's vendored ES modules (Preact, its hooks, htm) and the tests' axe-core from the
# npm registry, at the pinned versions below. The files are committed: nothing is built at run or test time.
# The one change: hooks.mjs imports "preact" by a bare name, which a browser without an import map cannot
# resolve, so it is pointed at the file beside it.
set -euo pipefail

PREACT=11.2.0
HTM=3.1.1
AXE=4.14.1

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/handover/console/static/js/vendor"
axe_dir="$root/tests/handover/console/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "preact@$PREACT" "htm@$HTM" "axe-core@$AXE" >/dev/null
for archive in *.tgz; do mkdir "${archive%.tgz}" && tar xzf "$archive" -C "${archive%.tgz}"; done

cp "preact-$PREACT/package/dist/preact.mjs" "$vendor/preact.mjs"
sed 's/from"preact"/from".\/preact.mjs"/' "preact-$PREACT/package/hooks/dist/hooks.mjs" > "$vendor/hooks.mjs"
cp "htm-$HTM/package/dist/htm.mjs" "$vendor/htm.mjs"
cp "preact-$PREACT/package/LICENSE" "$vendor/LICENSE-preact.txt"
cp "htm-$HTM/package/LICENSE" "$vendor/LICENSE-htm.txt"
cp "axe-core-$AXE/package/axe.min.js" "$axe_dir/axe.min.js"
cp "axe-core-$AXE/package/LICENSE" "$axe_dir/LICENSE-axe-core.txt"
grep -q 'from"./preact.mjs"' "$vendor/hooks.mjs" || { echo "hooks.mjs: the import of preact was not rewritten" >&2; exit 1; }
echo "preact $PREACT, htm $HTM, axe-core $AXE copied"
