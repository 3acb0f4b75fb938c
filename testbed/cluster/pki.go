package cluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

type pkiFiles struct {
	caPEM                             []byte
	caFile, serverCert, serverKey     string
	adminCert, adminKey               []byte
	kcmCert, kcmKey                   []byte
	saKey, saPub                      string
	tokenFile                         string
	adminToken, viewerToken, impToken string
	aliceToken, bobToken              string
	adminTLS                          *tls.Config
}

// writePKI makes a throw-away CA, a serving certificate for 127.0.0.1, client
// certificates for the admin and the controller manager, a ServiceAccount
// signing key and a static token file.
func writePKI(dir string) (*pkiFiles, error) {
	pkiDir := filepath.Join(dir, "pki")
	if err := os.MkdirAll(pkiDir, 0o700); err != nil {
		return nil, fmt.Errorf("make pki dir: %w", err)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "k9s-guard-testbed-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	p := &pkiFiles{caPEM: pemBlock("CERTIFICATE", caDER)}
	issue := func(serial int64, cn string, orgs []string, server bool) (certPEM, keyPEM []byte, err error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn, Organization: orgs},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if server {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
			tmpl.DNSNames = []string{"localhost"}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return nil, nil, err
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return nil, nil, err
		}
		return pemBlock("CERTIFICATE", der), pemBlock("EC PRIVATE KEY", kder), nil
	}
	srvCert, srvKey, err := issue(2, "kube-apiserver", nil, true)
	if err != nil {
		return nil, err
	}
	if p.adminCert, p.adminKey, err = issue(3, UserAdmin, []string{"system:masters"}, false); err != nil {
		return nil, err
	}
	if p.kcmCert, p.kcmKey, err = issue(4, "system:kube-controller-manager", []string{"system:masters"}, false); err != nil {
		return nil, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	saDER, _ := x509.MarshalECPrivateKey(saKey)
	saPubDER, _ := x509.MarshalPKIXPublicKey(&saKey.PublicKey)

	p.caFile = filepath.Join(pkiDir, "ca.crt")
	p.serverCert = filepath.Join(pkiDir, "apiserver.crt")
	p.serverKey = filepath.Join(pkiDir, "apiserver.key")
	p.saKey = filepath.Join(pkiDir, "sa.key")
	p.saPub = filepath.Join(pkiDir, "sa.pub")
	p.tokenFile = filepath.Join(pkiDir, "tokens.csv")
	p.adminToken, p.viewerToken, p.impToken = randomToken(), randomToken(), randomToken()
	tokens := fmt.Sprintf("%s,%s,uid-admin,\"system:masters\"\n%s,%s,uid-viewer\n%s,%s,uid-impersonator\n",
		p.adminToken, UserAdmin, p.viewerToken, UserViewer, p.impToken, UserImpersonator)
	// The everyday users of broker mode: read-only, and in the group the
	// broker's manifests let create elevation requests.
	p.aliceToken, p.bobToken = randomToken(), randomToken()
	tokens += fmt.Sprintf("%s,%s,uid-alice,\"%s\"\n%s,%s,uid-bob,\"%s\"\n",
		p.aliceToken, UserAlice, GroupEveryday, p.bobToken, UserBob, GroupEveryday)
	for path, data := range map[string][]byte{
		p.caFile:     p.caPEM,
		p.serverCert: srvCert,
		p.serverKey:  srvKey,
		p.saKey:      pemBlock("EC PRIVATE KEY", saDER),
		p.saPub:      pemBlock("PUBLIC KEY", saPubDER),
		p.tokenFile:  []byte(tokens),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", filepath.Base(path), err)
		}
	}
	pair, err := tls.X509KeyPair(p.adminCert, p.adminKey)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	p.adminTLS = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}
	return p, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on linux or darwin
	}
	return hex.EncodeToString(b)
}
