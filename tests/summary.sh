#!/bin/sh
# Prints "N passed, N failed[, N skipped]" for one or more meson test runs,
# counting the individual TAP results of every test program (meson 1.0 only
# counts programs).
#
#   tests/summary.sh build/meson-logs/testlog.json [MESON_STATUS [LOG2 STATUS2 ...]]
#
# A program that failed without a "not ok" line (it crashed, timed out or broke
# its plan) counts as one failure; a program without TAP output counts as one
# result by its exit status. A non-zero MESON_STATUS with nothing failed in its
# log counts as one failure too, as does a missing log. A TAP program that also
# prints plain (non-TAP, non-comment) lines on stdout fails once for them. Failures from the second
# and later logs are named with their build folder (e.g. "build-san: tensor").
# Exits 1 if anything failed or nothing ran.
#
# Copyright 2026 The Relevance authors
# SPDX-License-Identifier: GPL-3.0-or-later

[ $# -ge 1 ] || { echo "usage: summary.sh TESTLOG.json [MESON_STATUS [TESTLOG2.json STATUS2 ...]]" >&2; exit 2; }

# Pairs of log and status; a missing log is a failure of its own.
files=""
statuses=""
labels=""
missing=""
n=0
while [ $# -gt 0 ]; do
  log=$1
  st=${2:-0}
  shift
  [ $# -gt 0 ] && shift
  n=$((n + 1))
  label=""
  if [ $n -gt 1 ]; then
    label=$(basename "$(dirname "$(dirname "$log")")")
  fi
  if [ ! -s "$log" ]; then
    echo "no test log at $log: no test ran" >&2
    missing="$missing  ${label:+$label: }no test log at $log (meson status $st)
"
    continue
  fi
  files="$files
$log"
  statuses="$statuses $st"
  labels="$labels ${label:--}"
done

if [ -z "$files" ]; then
  printf 'Failures:\n%s' "$missing"
  echo "0 passed, 1 failed"
  exit 1
fi

# testlog.json holds one JSON object per test program, one per line.
# One awk over all logs; file i gets statuses[i] and labels[i] ("-": none).
old_ifs=$IFS
IFS='
'
# shellcheck disable=SC2086  # the list is newline-separated on purpose
set -- $files
IFS=$old_ifs
SUMMARY_MISSING=$missing awk -v statuses="$statuses" -v labels="$labels" '
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

BEGIN {
  nfiles = split(statuses, status_of, " ")
  split(labels, label_of, " ")
  file = 0
  missing = ENVIRON["SUMMARY_MISSING"]
  if (missing != "") {
    failed = gsub(/\n/, "\n", missing)
    failures = missing
  }
}

FNR == 1 {
  if (file > 0) finish_file()
  file++
  file_failed = 0
  prefix = label_of[file] == "-" ? "" : label_of[file] ": "
}

function finish_file() {
  if (file_failed == 0 && status_of[file] != 0) {
    failed++
    failures = failures "  " prefix "meson test exited with status " status_of[file] "\n"
  }
}

{
  name = prefix json_string($0, "name")
  result = json_string($0, "result")
  n = split(json_string($0, "stdout"), lines, "\n")
  ok = 0; bad = 0; skip = 0; unknown = 0
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
    } else if (line !~ /^(#|1\.\.|TAP version|[ \t]|$)/) {
      # Plain text in a TAP stream: meson only warns about it, and it hides
      # diagnostics that belong in g_test_message ("# ...").
      if (unknown++ == 0)
        first_unknown = line
    }
  }
  if (unknown > 0 && ok + bad + skip > 0) {
    bad++
    failures = failures "  " name ": " unknown " line(s) of unknown TAP output, the first: " substr(first_unknown, 1, 120) "\n"
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
  file_failed += bad
}

END {
  if (file > 0) finish_file()
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
}' "$@"
