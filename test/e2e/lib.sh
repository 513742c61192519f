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

# Stops the script at a step every later check depends on (building, starting the stack): one
# more failed check, so the EXIT traps that show logs on failure show them, then exit 1.
fail_now() { # fail_now "description"
  failed=$((failed + 1))
  echo "FAIL $*"
  echo "$passed passed, $failed failed"
  exit 1
}

# Runs such a step, its output into a log that is shown only if it fails.
must() { # must "description" log-file command...
  local what=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1 && return 0
  cat "$log" >&2
  fail_now "$what"
}

# The closing line; exits non-zero if any check failed.
summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
