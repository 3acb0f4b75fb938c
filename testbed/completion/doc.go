// Package completion tests k9s-guard's shell completion the way a shell
// runs it: the generated script loaded into real bash, zsh and fish, the
// real pinned K9s completing its own flags and values, the candidates read
// back from the shell.
package completion
