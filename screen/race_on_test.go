//go:build race

package screen

// raceEnabled is set in a -race build of the tests.
const raceEnabled = true
