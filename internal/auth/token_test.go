package auth_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
)

var (
	secret      = []byte("a-test-secret-that-is-long-enough-for-hs256")
	otherSecret = []byte("another-secret-that-is-long-enough-for-hs256")
	subject     = uuid.MustParse("6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e")
)

func newTokens(t *testing.T) *auth.Tokens {
	t.Helper()
	tok, err := auth.NewTokens(secret)
	require.NoError(t, err)
	return tok
}

// sign builds a token with the library itself, so that the bad tokens below
// are real tokens with exactly one thing wrong.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	require.NoError(t, err)
	return s
}

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub":  subject.String(),
		"role": "teacher",
		"iat":  time.Now().Unix(),
		"exp":  time.Now().Add(time.Hour).Unix(),
	}
}

func with(c jwt.MapClaims, key string, value any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	if value == nil {
		delete(out, key)
	} else {
		out[key] = value
	}
	return out
}

func b64(v any) string {
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			panic(err)
		}
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// handMade assembles header.claims.signature from parts, with an HMAC-SHA256
// signature over the first two when key is not nil.
func handMade(header map[string]any, claims jwt.MapClaims, key []byte) string {
	signing := b64(header) + "." + b64(claims)
	if key == nil {
		return signing + "."
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func TestNewTokensRejectsShortSecret(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 16, 31} {
		short := []byte(strings.Repeat("#", n))
		_, err := auth.NewTokens(short)
		require.Error(t, err, "%d bytes", n)
		require.Contains(t, err.Error(), "at least 32")
		if n > 0 {
			require.NotContains(t, err.Error(), string(short), "the secret is never in an error")
		}
	}
	_, err := auth.NewTokens([]byte(strings.Repeat("s", 32)))
	require.NoError(t, err)
}

func TestNewTokensCopiesSecret(t *testing.T) {
	t.Parallel()
	buf := append([]byte(nil), secret...)
	tok, err := auth.NewTokens(buf)
	require.NoError(t, err)
	s, err := tok.Issue(auth.Actor{ID: subject, Role: auth.RoleStudent}, time.Minute)
	require.NoError(t, err)
	for i := range buf {
		buf[i] = 0
	}
	_, _, err = tok.Verify(s)
	require.NoError(t, err, "clearing the caller's buffer does not change the key")
}

func TestTokensNeverPrintSecret(t *testing.T) {
	t.Parallel()
	tok := newTokens(t)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, tok)
		require.NotContains(t, out, string(secret), verb)
		require.Contains(t, out, "redacted", verb)
	}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	tok := newTokens(t)
	for _, role := range auth.Roles {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			want := auth.Actor{ID: uuid.New(), Role: role}
			before := time.Now()
			s, err := tok.Issue(want, time.Hour)
			require.NoError(t, err)
			require.Len(t, strings.Split(s, "."), 3)

			got, exp, err := tok.Verify(s)
			require.NoError(t, err)
			require.Equal(t, want, got)
			require.WithinRange(t, exp, before.Add(time.Hour).Add(-time.Second), time.Now().Add(time.Hour))

			// The body is the contract's: lowercase sub, role, exp.
			var body map[string]any
			raw, err := base64.RawURLEncoding.DecodeString(strings.Split(s, ".")[1])
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &body))
			require.Equal(t, want.ID.String(), body["sub"])
			require.Equal(t, string(role), body["role"])
			require.Contains(t, body, "exp")

			var header map[string]any
			raw, err = base64.RawURLEncoding.DecodeString(strings.Split(s, ".")[0])
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &header))
			require.Equal(t, "HS256", header["alg"])
		})
	}
}

func TestIssueRefusesBadInput(t *testing.T) {
	t.Parallel()
	tok := newTokens(t)
	for name, tc := range map[string]struct {
		actor auth.Actor
		ttl   time.Duration
	}{
		"unknown role": {auth.Actor{ID: subject, Role: "root"}, time.Hour},
		"empty role":   {auth.Actor{ID: subject}, time.Hour},
		"nil id":       {auth.Actor{Role: auth.RoleAdmin}, time.Hour},
		"zero ttl":     {auth.Actor{ID: subject, Role: auth.RoleAdmin}, 0},
		"negative ttl": {auth.Actor{ID: subject, Role: auth.RoleAdmin}, -time.Minute},
	} {
		_, err := tok.Issue(tc.actor, tc.ttl)
		require.Error(t, err, name)
	}
}

func TestVerifyAcceptsForeignButValidTokens(t *testing.T) {
	t.Parallel()
	tok := newTokens(t)
	upper := strings.ToUpper(subject.String())
	for name, claims := range map[string]jwt.MapClaims{
		// Another issuer (the seed, a test script) may write the UUID in
		// uppercase; the actor is the same.
		"uppercase sub": with(validClaims(), "sub", upper),
		"no iat":        with(validClaims(), "iat", nil),
		// Within the leeway: a little clock skew is tolerated.
		"expired 2s ago":        with(validClaims(), "exp", time.Now().Add(-2*time.Second).Unix()),
		"nbf 2s ahead":          with(validClaims(), "nbf", time.Now().Add(2*time.Second).Unix()),
		"extra unknown claims":  with(validClaims(), "aud", "somewhere"),
		"fractional exp (JSON)": with(validClaims(), "exp", float64(time.Now().Add(time.Hour).Unix())+0.5),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, _, err := tok.Verify(sign(t, jwt.SigningMethodHS256, secret, claims))
			require.NoError(t, err)
			require.Equal(t, auth.Actor{ID: subject, Role: auth.RoleTeacher}, a)
			require.Equal(t, subject.String(), a.ID.String(), "normalised to lowercase")
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	tok := newTokens(t)
	valid := sign(t, jwt.SigningMethodHS256, secret, validClaims())
	parts := strings.Split(valid, ".")

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)

	tampered := with(validClaims(), "role", "admin")

	cases := []struct {
		name   string
		token  string
		reason string // a fragment of the error message
	}{
		{"empty", "", "no token"},
		{"one segment", "abc", "malformed"},
		{"two segments", parts[0] + "." + parts[1], "malformed"},
		{"four segments", valid + ".x", "malformed"},
		{"garbage segments", "a.b.c", "malformed"},
		{"header not JSON", b64("not json") + "." + parts[1] + "." + parts[2], "malformed"},
		{"claims not JSON", parts[0] + "." + b64("not json") + "." + parts[2], "malformed"},
		{"signature not base64", parts[0] + "." + parts[1] + ".!!!", "malformed"},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], "malformed"},
		{"too long", strings.Repeat("a", 5000), "longer than"},

		{"wrong secret", sign(t, jwt.SigningMethodHS256, otherSecret, validClaims()), "invalid signature"},
		{"tampered claims", parts[0] + "." + b64(tampered) + "." + parts[2], "invalid signature"},
		{"signature stripped", parts[0] + "." + parts[1] + ".", "invalid signature"},
		{"signature of another token", parts[0] + "." + parts[1] + "." +
			strings.Split(sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "role", "student")), ".")[2],
			"invalid signature"},

		{"alg none, no signature", handMade(map[string]any{"alg": "none", "typ": "JWT"}, validClaims(), nil), "none is not allowed"},
		{"alg none, HMAC signature", handMade(map[string]any{"alg": "none", "typ": "JWT"}, validClaims(), secret), "none is not allowed"},
		{"alg None", handMade(map[string]any{"alg": "None", "typ": "JWT"}, validClaims(), nil), "unsupported or missing signing algorithm"},
		{"alg missing", handMade(map[string]any{"typ": "JWT"}, validClaims(), secret), "unsupported or missing signing algorithm"},
		{"alg not a string", handMade(map[string]any{"alg": 256}, validClaims(), secret), "unsupported or missing signing algorithm"},
		{"alg unknown", handMade(map[string]any{"alg": "HS1024"}, validClaims(), secret), "unsupported or missing signing algorithm"},
		{"HS512 with our secret", sign(t, jwt.SigningMethodHS512, secret, validClaims()), "HS512 is not allowed"},
		{"HS384 with our secret", sign(t, jwt.SigningMethodHS384, secret, validClaims()), "HS384 is not allowed"},
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, validClaims()), "RS256 is not allowed"},
		// Header says HS512 but the signature is a valid HS256 one: the
		// header alone decides, and it is refused.
		{"HS512 header, HS256 signature", handMade(map[string]any{"alg": "HS512", "typ": "JWT"}, validClaims(), secret), "HS512 is not allowed"},

		{"expired", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "exp", time.Now().Add(-time.Minute).Unix())), "expired"},
		{"expired just past leeway", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "exp", time.Now().Add(-auth.Leeway-2*time.Second).Unix())), "expired"},
		{"no exp", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "exp", nil)), "exp claim is missing"},
		{"exp a string", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "exp", "tomorrow")), "malformed"},
		{"not valid yet", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "nbf", time.Now().Add(time.Hour).Unix())), "not valid yet"},

		{"no role", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "role", nil)), "role claim"},
		{"empty role", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "role", "")), "role claim"},
		{"unknown role", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "role", "superuser")), "role claim"},
		{"capitalised role", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "role", "Admin")), "role claim"},
		{"enum spelling", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "role", "ADMIN")), "role claim"},
		{"role not a string", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "role", 1)), "malformed"},

		{"no sub", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "sub", nil)), "sub claim is missing"},
		{"sub a name", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "sub", "alice")), "not a UUID"},
		{"sub too short", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "sub", subject.String()[:35])), "not a UUID"},
		{"sub bad hex", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "sub", "zzzzzzzz-4a5b-4c6d-8e7f-901a2b3c4d5e")), "not a UUID"},
		{"sub braced", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "sub", "{"+subject.String()+"}")), "not a UUID"},
		{"sub urn", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "sub", subject.URN())), "not a UUID"},
		{"sub without dashes", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "sub", strings.ReplaceAll(subject.String(), "-", ""))), "not a UUID"},
		{"sub nil UUID", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "sub", uuid.Nil.String())), "nil UUID"},
		{"sub a number", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "sub", 42)), "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, exp, err := tok.Verify(tc.token)
			require.Error(t, err)
			require.ErrorIs(t, err, auth.ErrUnauthenticated)
			require.Contains(t, err.Error(), tc.reason)
			require.True(t, strings.HasPrefix(err.Error(), "unauthenticated: "), err.Error())
			require.NotContains(t, err.Error(), string(secret))
			require.Zero(t, a)
			require.Zero(t, exp)
		})
	}
}

func TestVerifyExpiredIsDistinguishable(t *testing.T) {
	t.Parallel()
	tok := newTokens(t)
	_, _, err := tok.Verify(sign(t, jwt.SigningMethodHS256, secret,
		with(validClaims(), "exp", time.Now().Add(-time.Hour).Unix())))
	require.ErrorIs(t, err, auth.ErrUnauthenticated)
	require.ErrorIs(t, err, jwt.ErrTokenExpired)
}

func TestVerifyConcurrently(t *testing.T) {
	t.Parallel()
	tok := newTokens(t)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			a := auth.Actor{ID: uuid.New(), Role: auth.Roles[i%len(auth.Roles)]}
			for range 50 {
				s, err := tok.Issue(a, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				got, _, err := tok.Verify(s)
				if err != nil || got != a {
					t.Errorf("verify: %v %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestParseBearer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header string
		token  string
		ok     bool
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", true},
		{"bearer abc.def.ghi", "abc.def.ghi", true},
		{"BEARER abc.def.ghi", "abc.def.ghi", true},
		{"  Bearer   abc.def.ghi  ", "abc.def.ghi", true},
		{"", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer    ", "", false},
		{"Basic dXNlcjpwYXNz", "", false},
		{"Bearerabc.def.ghi", "", false},
		{"Token abc.def.ghi", "", false},
		{"abc.def.ghi", "", false},
		{"Bearer abc def", "", false},
		{"Bearer abc\tdef", "", false},
		{"Bearer\tabc.def.ghi", "", false},
	} {
		token, ok := auth.ParseBearer(tc.header)
		require.Equal(t, tc.ok, ok, "%q", tc.header)
		require.Equal(t, tc.token, token, "%q", tc.header)
	}
}

func TestParseBearerThenVerify(t *testing.T) {
	t.Parallel()
	tok := newTokens(t)
	want := auth.Actor{ID: subject, Role: auth.RoleStudent}
	s, err := tok.Issue(want, time.Minute)
	require.NoError(t, err)
	raw, ok := auth.ParseBearer("bearer " + s)
	require.True(t, ok)
	got, _, err := tok.Verify(raw)
	require.NoError(t, err)
	require.Equal(t, want, got)
}
