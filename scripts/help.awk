# Print the Makefile's documented targets and settings: awk -f scripts/help.awk Makefile
# Targets are documented as ".PHONY: name  ## text", settings as "NAME ?= default## text".
# $(NAME) in a text is replaced by the environment's NAME: lists kept in scripts/lib.sh.
BEGIN { print "Targets:" }
/^\.PHONY: [a-z-]+ +## / {
  name = $2; sub(/^[^#]*## /, ""); printf "  %-16s %s\n", name, $0
}
/^[A-Z_]+ +\?=/ {
  line = $0; name = $1
  sub(/^[A-Z_]+ +\?= */, "", line); split(line, parts, /## */)
  while (match(parts[2], /\$\([A-Z_]+\)/)) {
    var = substr(parts[2], RSTART + 2, RLENGTH - 3)
    parts[2] = substr(parts[2], 1, RSTART - 1) ENVIRON[var] substr(parts[2], RSTART + RLENGTH)
  }
  settings[++n] = sprintf("  %-18s %-36s %s", name, parts[1] == "" ? "(empty)" : parts[1], parts[2])
}
END {
  print "\nSettings (make NAME=value, or from the environment):"
  for (i = 1; i <= n; i++) print settings[i]
}
