#!/bin/sh
# A test program that meson runs in parts (tests/meson.build, test_parts)
# must have each of its test paths in some part: fails, naming them, when a
# case is in none (it would never run).
# Usage: check-test-parts.sh TEST-PROGRAM PATH...
exe=${1:?usage: check-test-parts.sh TEST-PROGRAM PATH...}
shift
paths=$("$exe" -l | grep '^/') || { echo "$exe -l listed no tests" >&2; exit 1; }
missing=$(echo "$paths" | while read -r path; do
  found=
  for p in "$@"; do
    # GLib's -p runs the case named PATH and the cases directly under it,
    # not those of deeper suites
    if [ "$path" = "$p" ] || [ "${path%/*}" = "$p" ]; then found=1; break; fi
  done
  [ -n "$found" ] || echo "$path"
done)
if [ -n "$missing" ]; then
  echo "in no part of $(basename "$exe") (add them to test_parts in tests/meson.build):" >&2
  echo "$missing" >&2
  exit 1
fi
echo "$(echo "$paths" | wc -l) test paths, each in a part"
