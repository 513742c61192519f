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

# The closing line; exits non-zero if any check failed.
summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
