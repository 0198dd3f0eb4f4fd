package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// claims is the JWT body of the contract: sub, role, exp (plus iat and nbf,
// checked when present, and iss, aud and jti, read and not required).
type claims struct {
	jwt.RegisteredClaims
	Role Role `json:"role"` // for Issue; UnmarshalJSON reads it by its exact name
	// raw holds every claim as sent, for a role read through a JSON
	// Pointer (an identity provider's own claim).
	raw map[string]json.RawMessage
}

// knownClaims are the claims read by name. Their names are matched exactly
// (encoding/json would also take "Role" or "EXP" for them), and a
// different case of one of them is refused rather than ignored: no
// issuer of ours writes it, so it is a mistake or a probe.
var knownClaims = []string{"sub", "role", "exp", "iat", "nbf", "iss", "aud", "jti"}

// UnmarshalJSON decodes the claims strictly. encoding/json is lenient in
// ways a token must not be: it matches names case-insensitively, keeps the
// last of duplicated names (so two parsers can read two different roles
// from one signed token), and golang-jwt's NumericDate takes a quoted
// number for a time. Here every name appears once, in its exact case, and
// exp, iat and nbf are JSON numbers. Other claims are allowed and ignored.
func (c *claims) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("claims are not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name := tok.(string) // an object's keys are strings
		if seen[name] {
			return fmt.Errorf("claim %q appears twice", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := c.set(name, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the claims object")
	}
	return nil
}

// set stores one claim's value.
func (c *claims) set(name string, raw json.RawMessage) error {
	if c.raw == nil {
		c.raw = map[string]json.RawMessage{}
	}
	c.raw[name] = raw
	var err error
	switch name {
	case "sub":
		err = json.Unmarshal(raw, &c.Subject)
	case "role":
		err = json.Unmarshal(raw, &c.Role)
	case "iss":
		err = json.Unmarshal(raw, &c.Issuer)
	case "jti":
		err = json.Unmarshal(raw, &c.ID)
	case "aud":
		err = json.Unmarshal(raw, &c.Audience)
	case "exp":
		c.ExpiresAt, err = numericDate(raw)
	case "iat":
		c.IssuedAt, err = numericDate(raw)
	case "nbf":
		c.NotBefore, err = numericDate(raw)
	default:
		for _, k := range knownClaims {
			if strings.EqualFold(name, k) {
				return fmt.Errorf("claim %q: claim names are case-sensitive (want %q)", name, k)
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("claim %q: %w", name, err)
	}
	return nil
}

// maxNumericDate bounds the seconds of a time claim well inside int64 and
// time.Time (about 31 million years), so that converting cannot wrap.
const maxNumericDate = 1e15

// numericDate reads a NumericDate (RFC 7519 §2): a JSON number of seconds,
// never a string, and finite.
func numericDate(raw json.RawMessage) (*jwt.NumericDate, error) {
	var n json.Number
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return nil, errors.New("is not a JSON number")
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, err
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.Abs(f) > maxNumericDate {
		return nil, errors.New("is out of range")
	}
	sec, frac := math.Modf(f)
	return jwt.NewNumericDate(time.Unix(int64(sec), int64(frac*1e9))), nil
}
