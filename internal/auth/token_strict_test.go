package auth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
)

// signRaw signs claims given as raw JSON text, so that tokens can carry
// what a map cannot: duplicated names, names in another case.
func signRaw(claimsJSON string) string {
	signing := b64(`{"alg":"HS256","typ":"JWT"}`) + "." + base64.RawURLEncoding.EncodeToString([]byte(claimsJSON))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// rawClaims is a valid claims object with extra members spliced in front
// of its own (a later duplicate is then ours, an earlier one theirs).
func rawClaims(extra string, role string, iat, exp any) string {
	body := fmt.Sprintf(`"sub":%q,"role":%q,"exp":%v`, subject.String(), role, exp)
	if iat != nil {
		body += fmt.Sprintf(`,"iat":%v`, iat)
	}
	if extra != "" {
		body = extra + "," + body
	}
	return "{" + body + "}"
}

func TestVerifyParsesClaimsStrictly(t *testing.T) {
	t.Parallel()
	tok := newTokens(t)
	now := time.Now()
	iat, exp := now.Unix(), now.Add(time.Hour).Unix()

	refused := map[string]string{
		"Role instead of role":      fmt.Sprintf(`{"sub":%q,"Role":"admin","exp":%d}`, subject, exp),
		"Role beside role":          rawClaims(`"Role":"admin"`, "student", iat, exp),
		"role twice":                rawClaims(`"role":"admin"`, "student", iat, exp),
		"sub twice":                 rawClaims(fmt.Sprintf(`"sub":%q`, "00000000-0000-4000-8000-000000000001"), "student", iat, exp),
		"exp twice":                 rawClaims(fmt.Sprintf(`"exp":%d`, exp), "student", iat, exp),
		"EXP beside exp":            rawClaims(fmt.Sprintf(`"EXP":%d`, exp), "student", iat, exp),
		"exp a numeric string":      rawClaims("", "student", iat, fmt.Sprintf(`"%d"`, exp)),
		"iat a numeric string":      rawClaims("", "student", fmt.Sprintf(`"%d"`, iat), exp),
		"nbf a numeric string":      rawClaims(fmt.Sprintf(`"nbf":"%d"`, iat), "student", iat, exp),
		"exp null":                  rawClaims("", "student", iat, "null"),
		"exp beyond any date":       rawClaims("", "student", iat, "1e300"),
		"exp in 9999":               rawClaims("", "student", iat, 253402300799),
		"exp in 9999, no iat":       rawClaims("", "student", nil, 253402300799),
		"iat an hour ahead":         rawClaims("", "student", now.Add(time.Hour).Unix(), now.Add(2*time.Hour).Unix()),
		"lifetime 24h and a minute": rawClaims("", "student", now.Add(-time.Hour).Unix(), now.Add(23*time.Hour+time.Minute).Unix()),
		"no iat, exp in 25h":        rawClaims("", "student", nil, now.Add(25*time.Hour).Unix()),
		"two objects":               rawClaims("", "student", iat, exp) + `{}`,
	}
	for name, claims := range refused {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, _, err := tok.Verify(signRaw(claims))
			require.ErrorIs(t, err, auth.ErrUnauthenticated, claims)
			require.Zero(t, a)
		})
	}

	accepted := map[string]string{
		"plain":                      rawClaims("", "student", iat, exp),
		"lifetime exactly 24h":       rawClaims("", "student", iat, now.Add(24*time.Hour).Unix()),
		"iat within the leeway":      rawClaims("", "student", now.Add(2*time.Second).Unix(), exp),
		"other claims, any case":     rawClaims(`"Name":"Ada","name":"ada","aud":["a","b"],"nested":{"k":1,"k":2}`, "student", iat, exp),
		"fractional numeric dates":   rawClaims("", "student", fmt.Sprintf("%d.25", iat), fmt.Sprintf("%d.5", exp)),
		"no iat, exp within the max": rawClaims("", "student", nil, now.Add(23*time.Hour).Unix()),
	}
	for name, claims := range accepted {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, _, err := tok.Verify(signRaw(claims))
			require.NoError(t, err, claims)
			require.Equal(t, auth.Actor{ID: subject, Role: auth.RoleStudent}, a)
		})
	}
}

func TestMaxTTL(t *testing.T) {
	t.Parallel()
	now := time.Now()
	week := rawClaims("", "teacher", now.Unix(), now.Add(7*24*time.Hour).Unix())

	_, _, err := newTokens(t).Verify(signRaw(week))
	require.ErrorIs(t, err, auth.ErrUnauthenticated, "a week is past the default")
	require.Contains(t, err.Error(), "lifetime")

	long, err := auth.NewTokens(secret, auth.WithMaxTTL(8*24*time.Hour))
	require.NoError(t, err)
	_, _, err = long.Verify(signRaw(week))
	require.NoError(t, err, "within a longer maximum")

	short, err := auth.NewTokens(secret, auth.WithMaxTTL(time.Minute))
	require.NoError(t, err)
	_, err = short.Issue(auth.Actor{ID: subject, Role: auth.RoleStudent}, time.Hour)
	require.Error(t, err, "Issue does not mint what Verify would refuse")
	s, err := short.Issue(auth.Actor{ID: subject, Role: auth.RoleStudent}, time.Minute)
	require.NoError(t, err)
	_, _, err = short.Verify(s)
	require.NoError(t, err)
}
