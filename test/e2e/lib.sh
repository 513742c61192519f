# Sourced by the container test scripts (test/e2e/*.sh): one way to count and report checks, so
# CI reads every script's result the same way ("PASS ..."/"FAIL ..." lines, then "N passed, M failed").
passed=0
failed=0

check() { # check "description" command...
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "PASS $what"
  else
    failed=$((failed + 1))
    echo "FAIL $what"
  fi
}

# A step every later check depends on (building, starting the stack): on failure its output is
# shown and the script stops there, reported as one more failed check.
must() { # must "description" log-file command...
  local what=$1 log=$2
  shift 2
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "FAIL $what"
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
  fi
}

# The closing line; exits non-zero if any check failed.
summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
