# Print the Makefile's documented targets and settings: awk -f scripts/help.awk Makefile
# Targets are documented as ".PHONY: name  ## text", settings as "NAME ?= default## text".
BEGIN { print "Targets:" }
/^\.PHONY: [a-z-]+ +## / {
  name = $2; sub(/^[^#]*## /, ""); printf "  %-16s %s\n", name, $0
}
/^[A-Z_]+ +\?=/ {
  line = $0; name = $1
  sub(/^[A-Z_]+ +\?= */, "", line); split(line, parts, /## */)
  settings[++n] = sprintf("  %-18s %-36s %s", name, parts[1] == "" ? "(empty)" : parts[1], parts[2])
}
END {
  print "\nSettings (make NAME=value, or from the environment):"
  for (i = 1; i <= n; i++) print settings[i]
}
