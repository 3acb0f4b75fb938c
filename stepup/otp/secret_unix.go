//go:build unix

package otp

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// otpCheckOwner refuses a secret file owned by someone else: even at mode
// 0600, its owner could have planted a secret they also hold.
func otpCheckOwner(info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return fmt.Errorf("owned by uid %d, not by you (uid %d)", st.Uid, uid)
	}
	return nil
}
