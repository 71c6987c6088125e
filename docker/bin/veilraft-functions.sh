# Shared by the veilraft container scripts (sourced, never run on its own).

# Prints "FAILED <reason>", the line a supervisor looks for, and exits 1.
fail() {
  echo "FAILED $*"
  exit 1
}

# config_value FILE KEY: the value of the top-level scalar KEY of a node configuration file in the usual
# 'key: value' form (surrounding quotes and a trailing comment removed), or nothing when the key is absent.
config_value() {
  sed -n "s/^$2:[[:space:]]*//p" "$1" | head -n 1 \
    | sed -e 's/[[:space:]]#.*$//' -e 's/[[:space:]]*$//' -e "s/^[\"']//" -e "s/[\"']\$//"
}
