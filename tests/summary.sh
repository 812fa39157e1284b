#!/bin/sh
# Prints "N passed, N failed[, N skipped]" for a meson test run, counting the
# individual TAP results of every test program (meson 1.0 only counts programs).
#
#   tests/summary.sh build/meson-logs/testlog.json [MESON_STATUS]
#
# A program that failed without a "not ok" line (it crashed, timed out or broke
# its plan) counts as one failure; a program without TAP output counts as one
# result by its exit status. A non-zero MESON_STATUS with nothing failed in the
# log counts as one failure too. Exits 1 if anything failed or nothing ran.
#
# Copyright 2026 The Relevance authors
# SPDX-License-Identifier: GPL-3.0-or-later

log=${1:?usage: summary.sh TESTLOG.json [MESON_STATUS]}
meson_status=${2:-0}

if [ ! -s "$log" ]; then
  echo "no test log at $log: no test ran" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# testlog.json holds one JSON object per test program, one per line.
awk -v meson_status="$meson_status" '
# The JSON string value of "key" in line s, unescaped (just enough of JSON for
# TAP text: \n \t \" \\ \/ and \uXXXX, which becomes "?"). Whole-string gsubs
# keep it linear: a conformance test can print megabytes.
function json_string(s, key,    start, end_) {
  start = index(s, "\"" key "\": \"")
  if (start == 0)
    return ""
  s = substr(s, start + length(key) + 5)
  gsub(/\\\\/, "\001", s)     # \\ first, so \\" is not taken for \"
  gsub(/\\"/, "\002", s)
  end_ = index(s, "\"")
  if (end_ > 0)
    s = substr(s, 1, end_ - 1)
  gsub(/\\n/, "\n", s)
  gsub(/\\t/, "\t", s)
  gsub(/\\r/, "", s)
  gsub(/\\\//, "/", s)
  gsub(/\\u[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]/, "?", s)
  gsub(/\002/, "\"", s)
  gsub(/\001/, "\\", s)
  return s
}

{
  name = json_string($0, "name")
  result = json_string($0, "result")
  n = split(json_string($0, "stdout"), lines, "\n")
  ok = 0; bad = 0; skip = 0
  for (j = 1; j <= n; j++) {
    line = lines[j]
    if (line ~ /^(not )?ok([ \t]|$)/) {
      directive = line
      sub(/^[^#]*#?/, "", directive)
      if (toupper(directive) ~ /^[ \t]*(SKIP|TODO)/)
        skip++
      else if (line ~ /^not /) {
        bad++
        failures = failures "  " name ": " line "\n"
      } else
        ok++
    } else if (line ~ /^Bail out!/) {
      bad++
      failures = failures "  " name ": " line "\n"
    }
  }
  if (ok + bad + skip == 0) {
    if (result == "OK") ok = 1
    else if (result == "SKIP" || result == "EXPECTEDFAIL") skip = 1
    else { bad = 1; failures = failures "  " name ": " result "\n" }
  } else if (bad == 0 && result != "OK" && result != "SKIP" && result != "EXPECTEDFAIL") {
    bad = 1
    failures = failures "  " name ": " result " after " ok " passing result(s)\n"
  }
  passed += ok; failed += bad; skipped += skip; programs++
}

END {
  if (failed == 0 && meson_status != 0) {
    failed = 1
    failures = failures "  meson test exited with status " meson_status "\n"
  }
  if (passed + failed == 0 && skipped == 0) {
    failed = 1
    failures = failures "  no test ran\n"
  }
  if (failures != "")
    printf "Failures:\n%s", failures
  printf "%d passed, %d failed", passed, failed
  if (skipped > 0)
    printf ", %d skipped", skipped
  printf "\n"
  exit failed > 0 ? 1 : 0
}' "$log"
