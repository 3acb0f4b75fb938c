package tmpdeps

import (
	_ "charm.land/bubbles/v2/textinput"
	_ "charm.land/bubbles/v2/table"
	_ "charm.land/bubbletea/v2"
	_ "charm.land/lipgloss/v2"
	_ "github.com/charmbracelet/x/vt"
	_ "github.com/charmbracelet/x/ansi"
	_ "github.com/creack/pty"
	_ "github.com/pquerna/otp/totp"
	_ "k8s.io/client-go/tools/clientcmd"
	_ "k8s.io/client-go/kubernetes"
	_ "k8s.io/apimachinery/pkg/util/proxy"
	_ "k8s.io/apiserver/pkg/endpoints/request"
	_ "golang.org/x/term"
	_ "golang.org/x/sys/unix"
	_ "github.com/goccy/go-yaml"
	_ "github.com/gofrs/flock"
	_ "github.com/skip2/go-qrcode"
	_ "github.com/zalando/go-keyring"
	_ "github.com/spf13/cobra"
	_ "sigs.k8s.io/yaml"
)
