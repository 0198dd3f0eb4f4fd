package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
)

// idp is a local identity provider: a JWKS endpoint whose key set the
// test changes (rotation, removal), and the private keys to sign with.
type idp struct {
	t       *testing.T
	mu      sync.Mutex
	keys    map[string]crypto.Signer // kid → key
	algs    map[string]jwt.SigningMethod
	fetches atomic.Int32
	srv     *httptest.Server
}

func newIDP(t *testing.T) *idp {
	p := &idp{t: t, keys: map[string]crypto.Signer{}, algs: map[string]jwt.SigningMethod{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		p.mu.Lock()
		defer p.mu.Unlock()
		store := jwkset.NewMemoryStorage()
		for kid, k := range p.keys {
			jwk, err := jwkset.NewJWKFromKey(k.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
				KID: kid, ALG: jwkset.ALG(p.algs[kid].Alg()), USE: jwkset.UseSig,
			}})
			assert.NoError(t, err)
			assert.NoError(t, store.KeyWrite(r.Context(), jwk))
		}
		raw, err := store.JSONPublic(r.Context())
		assert.NoError(t, err)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(raw)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) add(kid string, key crypto.Signer, m jwt.SigningMethod) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys[kid], p.algs[kid] = key, m
}

func (p *idp) remove(kid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.keys, kid)
}

func (p *idp) sign(kid string, key crypto.Signer, m jwt.SigningMethod, claims jwt.MapClaims) string {
	p.t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	require.NoError(p.t, err)
	return s
}

func claimsFor(role any) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"sub": uuid.NewString(), "role": role, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"iss": "https://idp.example", "aud": "edupulse"}
}

// Tokens of an identity provider: RS256, ES256 and EdDSA keys from its
// JWKS verify; a key rotated in is fetched when a token names its kid; a
// key removed from the set is refused after the next refresh; an HS256
// token is refused when no secret is configured; iss and aud are checked.
func TestIdentityProviderKeys(t *testing.T) {
	t.Parallel()
	p := newIDP(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	p.add("rsa-1", rsaKey, jwt.SigningMethodRS256)
	p.add("ec-1", ecKey, jwt.SigningMethodES256)
	p.add("ed-1", edKey, jwt.SigningMethodEdDSA)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	keys, err := auth.NewKeySet(ctx, p.srv.URL, auth.KeySetOptions{Refresh: 300 * time.Millisecond})
	require.NoError(t, err)
	tokens, err := auth.NewTokens(nil, auth.WithKeySet(keys), auth.WithIssuer("https://idp.example"), auth.WithAudience("edupulse"))
	require.NoError(t, err)

	for kid, k := range map[string]struct {
		key crypto.Signer
		m   jwt.SigningMethod
	}{"rsa-1": {rsaKey, jwt.SigningMethodRS256}, "ec-1": {ecKey, jwt.SigningMethodES256}, "ed-1": {edKey, jwt.SigningMethodEdDSA}} {
		a, _, err := tokens.Verify(p.sign(kid, k.key, k.m, claimsFor("teacher")))
		require.NoError(t, err, kid)
		require.Equal(t, auth.RoleTeacher, a.Role)
	}

	// Issuer and audience.
	c := claimsFor("student")
	c["iss"] = "https://other.example"
	_, _, err = tokens.Verify(p.sign("rsa-1", rsaKey, jwt.SigningMethodRS256, c))
	require.ErrorIs(t, err, auth.ErrUnauthenticated)
	c = claimsFor("student")
	c["aud"] = "someone-else"
	_, _, err = tokens.Verify(p.sign("rsa-1", rsaKey, jwt.SigningMethodRS256, c))
	require.ErrorIs(t, err, auth.ErrUnauthenticated)

	// No secret: an HS256 token is refused, whatever it says.
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, claimsFor("admin"))
	raw, err := hs.SignedString([]byte("a-secret-of-at-least-thirty-two-bytes!!"))
	require.NoError(t, err)
	_, _, err = tokens.Verify(raw)
	require.ErrorIs(t, err, auth.ErrUnauthenticated)

	// Rotation: a new key appears in the set; a token naming it verifies
	// (its unknown kid triggers a refresh).
	rsa2, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	p.add("rsa-2", rsa2, jwt.SigningMethodRS256)
	rotated := p.sign("rsa-2", rsa2, jwt.SigningMethodRS256, claimsFor("admin"))
	require.Eventually(t, func() bool { _, _, err := tokens.Verify(rotated); return err == nil }, 5*time.Second, 50*time.Millisecond)

	// Removal: once the set is refreshed, the removed key's tokens fail.
	old := p.sign("rsa-1", rsaKey, jwt.SigningMethodRS256, claimsFor("teacher"))
	_, _, err = tokens.Verify(old)
	require.NoError(t, err)
	p.remove("rsa-1")
	require.Eventually(t, func() bool { _, _, err := tokens.Verify(old); return err != nil }, 5*time.Second, 50*time.Millisecond,
		"a token signed by a removed key is refused after the next refresh")

	// Made-up kids do not make us fetch the set each time.
	before := p.fetches.Load()
	for range 20 {
		_, _, err := tokens.Verify(p.sign("nope-"+uuid.NewString(), rsa2, jwt.SigningMethodRS256, claimsFor("admin")))
		require.Error(t, err)
	}
	require.LessOrEqual(t, p.fetches.Load()-before, int32(3), "at most one unknown-kid refresh per 10 s (plus scheduled refreshes)")
}

// The role read through a JSON Pointer: a provider's namespaced claim, a
// nested claim, or an array holding one of our roles.
func TestRoleClaimPointer(t *testing.T) {
	t.Parallel()
	p := newIDP(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	p.add("k", key, jwt.SigningMethodES256)
	keys, err := auth.NewKeySet(t.Context(), p.srv.URL, auth.KeySetOptions{})
	require.NoError(t, err)

	for pointer, c := range map[string]jwt.MapClaims{
		"/https:~1~1edupulse.example~1role": {"https://edupulse.example/role": "teacher"},
		"/realm_access/roles":               {"realm_access": map[string]any{"roles": []string{"offline_access", "teacher"}}},
		"/cognito:groups":                   {"cognito:groups": []string{"teacher"}},
	} {
		tokens, err := auth.NewTokens(nil, auth.WithKeySet(keys), auth.WithRoleClaim(pointer))
		require.NoError(t, err)
		claims := claimsFor(nil)
		delete(claims, "role")
		for k, v := range c {
			claims[k] = v
		}
		a, _, err := tokens.Verify(p.sign("k", key, jwt.SigningMethodES256, claims))
		require.NoError(t, err, pointer)
		require.Equal(t, auth.RoleTeacher, a.Role, pointer)
	}

	tokens, err := auth.NewTokens(nil, auth.WithKeySet(keys), auth.WithRoleClaim("/roles"))
	require.NoError(t, err)
	claims := claimsFor(nil)
	delete(claims, "role")
	claims["roles"] = []string{"student", "admin"}
	_, _, err = tokens.Verify(p.sign("k", key, jwt.SigningMethodES256, claims))
	require.ErrorIs(t, err, auth.ErrUnauthenticated, "two of our roles is ambiguous")

	_, err = auth.NewTokens(nil, auth.WithKeySet(keys), auth.WithRoleClaim("role"))
	require.Error(t, err, "not a JSON Pointer")
}
