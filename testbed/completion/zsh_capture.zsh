# Runs a real interactive zsh on a pty (zpty), loads the completion script
# after compinit, types the command line given as $1 and Tab, and prints
# each candidate zsh's completion system was handed, one a line.
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z "PROMPT= RPROMPT="
zpty -w z "autoload -U compinit && compinit -u -D"
zpty -w z "source ${(q)COMP_SCRIPT}"
# compadd is wrapped to print what it adds. The markers are spelt in two
# halves so that the terminal's echo of these lines never matches them.
zpty -w z 'compadd () {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  typeset -a __hits
  builtin compadd -A __hits "$@"
  (( $#__hits == 0 )) && return 1
  local h; for h in $__hits; do print -r -- "CA""ND:$h"; done
  builtin compadd "$@"
}'
zpty -w z "zstyle ':completion:*' list-prompt ''"
zpty -w z "zstyle ':completion:*' menu no"
zpty -w z "comppostfuncs=(__done); __done() { print -r -- EN''DCOMP; }"
zpty -n -w z "$1"$'\t'
zpty -r -m z out '*ENDCOMP*' || exit 3
print -r -- "$out" | tr -d '\r' | sed -n 's/.*CAND:\(.*\)$/\1/p'
zpty -d z
