package account

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"math/big"
	"net"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// SIP settings phones are told (P2).
const (
	sipPort          = 5060
	stunPort         = 10000
	registerExpires  = 600
	sipPasswordChars = 20
	sipAlphabet      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// Credentials are the SIP settings of a phone (P2, P3). They include the
// SIP password, so they are shown only to the phone's user and admins, and
// never logged.
type Credentials struct {
	Device            string `json:"deviceId"`
	Domain            string `json:"domain" doc:"SIP domain"`
	Realm             string `json:"realm" doc:"Digest authentication realm"`
	Registrar         string `json:"registrar" doc:"SIP proxy (registrar) host"`
	RegistrarPort     int    `json:"registrarPort"`
	OutboundProxy     string `json:"outboundProxy" doc:"Outbound proxy host"`
	OutboundProxyPort int    `json:"outboundProxyPort"`
	STUNServer        string `json:"stunServer"`
	STUNPort          int    `json:"stunPort"`
	Expires           int    `json:"expires" doc:"Registration expiry in seconds"`
	Username          string `json:"username" doc:"SIP user name: the device id"`
	AuthUser          string `json:"authorizationUser" doc:"Authorization user: the device id"`
	Password          string `json:"password" doc:"The SIP password"`
}

// Credentials returns the SIP settings and password of a phone (its user
// or an admin).
func (s *Service) Credentials(ctx context.Context, p auth.Principal, deviceID string) (Credentials, error) {
	d, err := s.deviceFor(ctx, p, deviceID)
	if err != nil {
		return Credentials{}, err
	}
	if d.Kind != model.DevicePhone {
		return Credentials{}, invalid("", "only phones have SIP credentials")
	}
	pw, err := s.seal.Open(ctx, d.Secret, []byte(d.ID))
	if err != nil {
		return Credentials{}, fmt.Errorf("open SIP password of %s: %w", d.ID, err)
	}
	return s.credentialsOf(d, string(pw)), nil
}

// RotatePassword gives a phone a new SIP password (its user or an admin).
// The sealed password and both digests change in one write, so the fleet
// never sees a digest that does not match the stored password.
func (s *Service) RotatePassword(ctx context.Context, p auth.Principal, deviceID string) (Credentials, error) {
	var pw string
	d, err := retry(ctx, func() (model.Device, error) {
		d, err := s.deviceFor(ctx, p, deviceID)
		if err != nil {
			return d, err
		}
		if d.Kind != model.DevicePhone {
			return d, invalid("", "only phones have SIP passwords")
		}
		if pw, err = s.sealPassword(ctx, &d); err != nil {
			return d, err
		}
		d.Updated = s.now().UTC()
		err = s.store.Write(ctx,
			store.Update(model.DeviceKey(p.Account, d.ID)).
				SetAttr("secret", &types.AttributeValueMemberB{Value: d.Secret}).
				SetAttr("ha1md5", store.S(d.HA1MD5)).
				SetAttr("ha1sha256", store.S(d.HA1SHA256)).
				SetAttr("realm", store.S(d.Realm)).
				SetAttr("updated", storedTime(d.Updated)).
				If(store.VersionEquals(d.Version)),
			s.auditOp(p.Account, p.User, "device.password", d.ID, "SIP password rotated"))
		if err != nil {
			return d, fmt.Errorf("rotate SIP password: %w", err)
		}
		return d, nil
	})
	if err != nil {
		return Credentials{}, err
	}
	return s.credentialsOf(d, pw), nil
}

func (s *Service) credentialsOf(d model.Device, pw string) Credentials {
	c := Credentials{Device: d.ID, Domain: s.cfg.Realm, Realm: s.cfg.Realm, Expires: registerExpires,
		Username: d.ID, AuthUser: d.ID, Password: pw}
	c.Registrar, c.RegistrarPort = hostPort(s.cfg.Proxy, sipPort)
	c.OutboundProxy, c.OutboundProxyPort = hostPort(s.cfg.OutboundProxy, sipPort)
	stun := s.cfg.STUN
	if stun == "" {
		stun = s.cfg.Realm
	}
	c.STUNServer, c.STUNPort = hostPort(stun, stunPort)
	return c
}

// hostPort splits "host[:port]", with def when there is no port.
func hostPort(addr string, def int) (string, int) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return trimBrackets(addr), def
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return host, def
	}
	return host, n
}

func trimBrackets(h string) string {
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		return h[1 : len(h)-1]
	}
	return h
}

// setPassword gives a new phone a generated SIP password.
func (s *Service) setPassword(ctx context.Context, d *model.Device) error {
	_, err := s.sealPassword(ctx, d)
	return err
}

// sealPassword generates a SIP password for d, seals it bound to the
// device id, sets the digests the fleet authenticates with, and returns
// the password.
func (s *Service) sealPassword(ctx context.Context, d *model.Device) (string, error) {
	pw, err := sipPassword()
	if err != nil {
		return "", err
	}
	sealed, err := s.seal.Seal(ctx, []byte(pw), []byte(d.ID))
	if err != nil {
		return "", fmt.Errorf("seal SIP password of %s: %w", d.ID, err)
	}
	d.Secret = sealed
	d.Realm = s.cfg.Realm
	d.HA1MD5 = ha1(md5.New(), d.ID, d.Realm, pw)
	d.HA1SHA256 = ha1(sha256.New(), d.ID, d.Realm, pw)
	return pw, nil
}

// ha1 is the digest-authentication hash of user:realm:password in hex
// (RFC 7616), with MD5 or SHA-256.
func ha1(h hash.Hash, user, realm, password string) string {
	h.Write([]byte(user + ":" + realm + ":" + password))
	return hex.EncodeToString(h.Sum(nil))
}

// sipPassword draws a password of letters and digits, uniformly.
func sipPassword() (string, error) {
	b := make([]byte, sipPasswordChars)
	max := big.NewInt(int64(len(sipAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("SIP password: %w", err)
		}
		b[i] = sipAlphabet[n.Int64()]
	}
	return string(b), nil
}
