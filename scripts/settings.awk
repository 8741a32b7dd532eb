# Read the makefiles' documented targets and settings (scripts/settings.mk says the form).
#   awk -f scripts/settings.awk Makefile scripts/pipeline.mk ...     make help's text
#   awk -v list=1 -f scripts/settings.awk Makefile ...    every setting as NAME:WHERE..., one a line
# A setting may be written twice, in the project's Makefile and in the pipeline's table: the first
# default counts (make reads the Makefile first), and both lines' [where] words.
# In help's text, $(NAME) is replaced by the environment's NAME (make exports the lists).

# A setting for one target alone says so first ("make rename: ...").
function help_text(text, where,    words, i, target) {
  split(where, words, " ")
  for (i in words) if (words[i] != "container" && words[i] != "rebuild") target = "make " words[i] ": "
  text = target text
  while (match(text, /\$\([A-Z_]+\)/))
    text = substr(text, 1, RSTART - 1) ENVIRON[substr(text, RSTART + 2, RLENGTH - 3)] substr(text, RSTART + RLENGTH)
  return text
}
!list && /^\.PHONY: [a-z-]+ +## / {
  name = $2; sub(/^[^#]*## /, ""); targets[++t] = sprintf("  %-16s %s", name, $0)
}
/^[A-Z_]+ +[?:]= ?[^#]*(##|$)/ && /##/ {
  name = $1; line = $0
  sub(/^[A-Z_]+ +[?:]= */, "", line)
  split(line, parts, /## */)
  text = parts[2]; where = ""
  if (text ~ /^\[/) { where = substr(text, 2, index(text, "]") - 2); sub(/^\[[a-z -]*\] */, "", text) }
  if (!(name in seen)) { seen[name] = ++n; names[n] = name; value[name] = parts[1]; settable[name] = $0 ~ /\?=/ }
  if (help[name] == "") help[name] = text
  if (where != "") wheres[name] = wheres[name] " " where
}
END {
  if (list) {
    for (i = 1; i <= n; i++) { tags = wheres[names[i]]; gsub(/ +/, ":", tags); print names[i] tags }
    exit
  }
  print "Targets:"
  for (i = 1; i <= t; i++) print targets[i]
  print "\nSettings (make NAME=value, or from the environment):"
  # Values read from the project (:=) are not the user's to set. A default worked out by make
  # ($(shell ...), $(VAR)) shows as this run works it out (make exports the settings).
  for (i = 1; i <= n; i++) {
    name = names[i]
    shown = value[name] ~ /\$\(/ && name in ENVIRON ? ENVIRON[name] : value[name]
    if (settable[name])
      printf "  %-18s %-36s %s\n", name, shown == "" ? "(empty)" : shown, help_text(help[name], wheres[name])
  }
}
