#!/usr/bin/env bash
# For every subcommand: each option its --help lists must be accepted, and
# take a value exactly when the help shows one ("--name=VALUE", "-o DIR").
# Prints "SUB OPT ok" per option, "FAIL: ..." per mismatch; exits 1 on any.
# Usage: cli_help.sh QCC
qcc=$1
fails=0
for sub in check print run opt compile; do
  help=$("$qcc" "$sub" --help) || { echo "FAIL: $sub --help exited $?"; fails=1; }
  n=0
  # The option column: lines "  -x ..." up to the two spaces before the
  # description; entries sharing a line are separated by ", ".
  while IFS= read -r col; do
    while IFS= read -r part; do
      part=${part# }
      name=${part%%[= ]*}
      rest=${part#"$name"}
      case $rest in "" | " .."*) takes=flag ;; *) takes=value ;; esac
      out=$("$qcc" "$sub" "$name" 2>&1 < /dev/null)
      n=$((n + 1))
      if grep -q "unknown option" <<< "$out"; then
        echo "FAIL: qcc $sub $name: help lists it, the parser refuses it"
        fails=1
      elif [ $takes = value ] && ! grep -q "option '$name' needs a value" <<< "$out"; then
        echo "FAIL: qcc $sub $name: help shows a value, the parser wants none"
        fails=1
      elif [ $takes = flag ] && grep -q "needs a value" <<< "$out"; then
        echo "FAIL: qcc $sub $name: help shows a flag, the parser wants a value"
        fails=1
      else
        echo "$sub $name ok"
      fi
    done < <(tr ',' '\n' <<< "$col")
  done < <(grep -E '^  -' <<< "$help" | sed -E 's/^  //; s/  .*//')
  echo "$sub: $n options"
  [ $n -gt 0 ] || { echo "FAIL: $sub --help lists no options"; fails=1; }
done
exit $fails
