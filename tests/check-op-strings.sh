#!/bin/sh
# Fails when an ONNX op type is spelled as a string literal in core/, app/ or
# ui/ outside the op tables (core/rel-ops-*.c): engines read the op's facts
# from its RelOpDef (flags, ids), so a list of names elsewhere is a second
# place to forget when an operator is added. Translated labels (_("…"),
# N_("…")) may happen to be an op's name and are not counted.
# Usage: check-op-strings.sh SOURCE_ROOT
root=${1:?usage: check-op-strings.sh SOURCE_ROOT}
cd "$root" || exit 1
names=$(sed -n 's/^ *{ REL_OP_[A-Z0-9_]*, "\([A-Za-z0-9]*\)",.*/\1/p' core/rel-ops-*.c | paste -sd'|' -)
if [ -z "$names" ]; then
  echo "no op names found in core/rel-ops-*.c: has the table's layout changed?" >&2
  exit 1
fi
hits=$(grep -rnE "(^|[^(]|(^|[^_])\()\"($names)\"" --include='*.c' --include='*.h' core app ui \
       | grep -v '^core/rel-ops-[a-z]*\.c:')
if [ -n "$hits" ]; then
  echo "op types spelled outside the op tables (use RelOpId / RelOpFlags):" >&2
  echo "$hits" >&2
  exit 1
fi
echo "$(echo "$names" | tr '|' '\n' | wc -l) op names, none spelled outside core/rel-ops-*.c"
