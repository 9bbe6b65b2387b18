//go:build race

package exporter

// raceDetector is true under -race, whose sync.Pool drops items at random:
// allocation counts then say nothing about the code.
const raceDetector = true
