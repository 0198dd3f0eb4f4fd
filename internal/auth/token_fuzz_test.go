package auth_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/auth"
)

// Token verification runs on every request, before anything else, on bytes
// an anonymous client chose. Two targets:
//
//   - FuzzVerify: arbitrary token strings. Nothing the fuzzer writes can
//     carry a valid signature, so a token that verifies must be one that
//     was signed with the key (checked by recomputing the HMAC).
//   - FuzzVerifySignedClaims: arbitrary header and claims JSON inside a
//     properly signed token: what a holder of the key (or a compromised
//     issuer) could make us read. A verified actor must then have a valid
//     UUID sub, one of the three roles, and an expiry in the future.
//
// Claims text may use placeholders that the target replaces with times
// relative to now, so that stored corpus files do not expire: $NOW, $EXP
// (an hour ahead), $PAST (an hour ago), $FAR (year 9999).
//
// It also asserts the strict-claims policy of the threat model (SECURITY.md): the role and sub come from exactly the
// keys "role" and "sub", each present once; exp and iat are JSON numbers;
// iat is not in the future; the lifetime is at most fzMaxTTL. The seeds
// hold tokens that break each rule.

var fzSecret = []byte("fuzz-secret-that-is-long-enough-for-hs256!")

// fzMaxTTL is the longest lifetime the strict policy accepts.
const fzMaxTTL = 24 * time.Hour

func fzTokens(f *testing.F) *auth.Tokens {
	f.Helper()
	t, err := auth.NewTokens(fzSecret)
	if err != nil {
		f.Fatal(err)
	}
	return t
}

func fzSign(header, claims []byte) string {
	s := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	mac := hmac.New(sha256.New, fzSecret)
	mac.Write([]byte(s))
	return s + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// signedWithKey reports whether token's third part is the HMAC-SHA256 of
// its first two under fzSecret.
func signedWithKey(token string) bool {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, fzSecret)
	mac.Write([]byte(token[:i]))
	return hmac.Equal(sig, mac.Sum(nil))
}

// checkVerdict holds for every answer of Verify, accepted or not.
func checkVerdict(t *testing.T, tokens *auth.Tokens, token string, actor auth.Actor, exp time.Time, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("Verify's error does not wrap ErrUnauthenticated: %v", err)
		}
		msg := err.Error()
		if strings.Contains(msg, string(fzSecret)) || (len(token) >= 16 && strings.Contains(msg, token)) {
			t.Fatalf("Verify's error quotes the secret or the token: %q", msg)
		}
		if actor != (auth.Actor{}) {
			t.Fatalf("Verify refused the token but returned actor %+v", actor)
		}
	} else {
		if !actor.Valid() {
			t.Fatalf("Verify accepted an invalid actor %+v", actor)
		}
		if !exp.Add(auth.Leeway).After(time.Now()) {
			t.Fatalf("Verify accepted a token that expired at %v", exp)
		}
	}
	// The cache of verified tokens answers exactly as verification does.
	a2, exp2, err2 := tokens.Verify(token)
	if a2 != actor || !exp2.Equal(exp) || (err2 == nil) != (err == nil) {
		t.Fatalf("a second Verify answered %+v %v %v, the first %+v %v %v", a2, exp2, err2, actor, exp, err)
	}
}

func FuzzVerify(f *testing.F) {
	tokens := fzTokens(f)
	valid, err := tokens.Issue(auth.Actor{ID: uuid.MustParse("6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e"), Role: auth.RoleTeacher}, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(valid, ".")
	for _, s := range []string{
		valid,
		parts[0] + "." + parts[1] + ".", // no signature
		parts[0] + "." + parts[1] + "." + parts[2] + "=",                    // padded
		parts[0] + "." + parts[1] + "." + strings.ToUpper(parts[2]),         // altered signature
		"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".",             // alg none
		"eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9." + parts[1] + "." + parts[2], // alg HS512
		"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." + parts[1] + "." + parts[2], // alg RS256 (key confusion)
		parts[0] + "." + parts[1],
		"..", ".", "", "a.b.c.d",
		strings.Repeat("A", 5000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		actor, exp, err := tokens.Verify(token)
		if err == nil && !signedWithKey(token) {
			t.Fatalf("Verify accepted a token not signed with the key: %q", token)
		}
		checkVerdict(t, tokens, token, actor, exp, err)
	})
}

func FuzzVerifySignedClaims(f *testing.F) {
	tokens := fzTokens(f)
	const (
		hs256 = `{"alg":"HS256","typ":"JWT"}`
		sub   = `"sub":"6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e"`
	)
	for _, c := range [][2]string{
		{hs256, `{` + sub + `,"role":"teacher","iat":$NOW,"exp":$EXP}`},
		// The probe's hostile claims, all with a valid signature.
		{hs256, `{` + sub + `,"Role":"admin","exp":$EXP}`},
		{hs256, `{` + sub + `,"role":"student","role":"admin","exp":$EXP}`},
		{hs256, `{` + sub + `,"role":"student","ROLE":"admin","exp":$EXP}`},
		{hs256, `{` + sub + `,"role":"teacher","exp":"$EXP"}`},
		{hs256, `{` + sub + `,"role":"teacher","exp":$FAR}`},
		{hs256, `{` + sub + `,"role":"teacher","iat":$EXP,"exp":$EXP}`},
		{hs256, `{"sub":"00000000-0000-0000-0000-000000000000","SUB":"6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e","role":"teacher","exp":$EXP}`},
		// Shapes the parser must refuse.
		{hs256, `{` + sub + `,"role":"teacher","exp":$PAST}`},
		{hs256, `{` + sub + `,"role":"teacher"}`},
		{hs256, `{` + sub + `,"role":"Teacher","exp":$EXP}`},
		{hs256, `{` + sub + `,"role":["admin"],"exp":$EXP}`},
		{hs256, `{"sub":"{6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e}","role":"teacher","exp":$EXP}`},
		{hs256, `{"sub":"6F1C2D3E-4A5B-4C6D-8E7F-901A2B3C4D5E","role":"teacher","exp":$EXP}`},
		{hs256, `{` + sub + `,"role":"teacher","exp":$EXP,"nbf":$EXP}`},
		{hs256, `{` + sub + `,"role":"teacher","exp":1e400}`},
		{hs256, `{` + sub + `,"role":"teacher","exp":-1e300}`},
		{hs256, `{` + sub + `,"role":"teacher","exp":$EXP.5}`},
		{`{"alg":"none"}`, `{` + sub + `,"role":"admin","exp":$EXP}`},
		{`{"alg":"HS256","crit":["exp"],"kid":"../../etc/passwd"}`, `{` + sub + `,"role":"admin","exp":$EXP}`},
		{hs256, `[]`},
		{hs256, `null`},
	} {
		f.Add([]byte(c[0]), []byte(c[1]))
	}

	f.Fuzz(func(t *testing.T, header, claimsText []byte) {
		now := time.Now()
		claims := []byte(strings.NewReplacer(
			"$NOW", strconv.FormatInt(now.Unix(), 10),
			"$EXP", strconv.FormatInt(now.Add(time.Hour).Unix(), 10),
			"$PAST", strconv.FormatInt(now.Add(-time.Hour).Unix(), 10),
			"$FAR", "253402300799",
		).Replace(string(claimsText)))
		token := fzSign(header, claims)
		actor, exp, err := tokens.Verify(token)
		checkVerdict(t, tokens, token, actor, exp, err)
		if err != nil {
			return
		}

		// The claims read independently: the actor is what they say.
		var m map[string]json.RawMessage
		if err := json.Unmarshal(claims, &m); err != nil {
			t.Fatalf("Verify accepted claims that are not a JSON object: %s", claims)
		}
		if actor.Role != auth.RoleStudent && actor.Role != auth.RoleTeacher && actor.Role != auth.RoleAdmin {
			t.Fatalf("role %q", actor.Role)
		}
		checkStrictClaims(t, claims, m, actor, exp, now)
	})
}

// checkStrictClaims asserts the strict-claims policy on claims that
// verified as actor.
func checkStrictClaims(t *testing.T, claims []byte, m map[string]json.RawMessage, actor auth.Actor, exp, now time.Time) {
	t.Helper()
	counts := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(claims))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key, _ := k.(string)
		counts[strings.ToLower(key)]++
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"sub", "role", "exp", "iat", "nbf"} {
		if counts[k] > 1 {
			t.Fatalf("claims with %d %q keys (any case) verified: %s", counts[k], k, claims)
		}
	}
	var role, sub string
	if json.Unmarshal(m["role"], &role) != nil || auth.Role(role) != actor.Role {
		t.Fatalf("role %q did not come from the key \"role\": %s", actor.Role, claims)
	}
	if json.Unmarshal(m["sub"], &sub) != nil || !strings.EqualFold(sub, actor.ID.String()) {
		t.Fatalf("sub %s did not come from the key \"sub\": %s", actor.ID, claims)
	}
	for _, k := range []string{"exp", "iat", "nbf"} {
		if v, ok := m[k]; ok && (len(v) == 0 || v[0] == '"') {
			t.Fatalf("%s is a string, not a NumericDate: %s", k, claims)
		}
	}
	if exp.Sub(now) > fzMaxTTL+time.Minute {
		t.Fatalf("a token valid until %v (more than %v ahead) verified", exp, fzMaxTTL)
	}
	if v, ok := m["iat"]; ok {
		iat, err := strconv.ParseFloat(string(v), 64)
		if err == nil && time.Unix(int64(iat), 0).After(now.Add(auth.Leeway+time.Second)) {
			t.Fatalf("a token issued in the future (iat %s) verified", v)
		}
	}
}
