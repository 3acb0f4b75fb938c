package e2e

import (
	"os"

	"golang.org/x/sys/unix"
)

type termios struct{ canonical, echo bool }

func termiosOf(f *os.File) (termios, error) {
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return termios{}, err
	}
	return termios{canonical: t.Lflag&unix.ICANON != 0, echo: t.Lflag&unix.ECHO != 0}, nil
}
