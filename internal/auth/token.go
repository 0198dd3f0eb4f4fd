package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// ErrUnauthenticated is wrapped by every error of Verify: the API turns it
// into the UNAUTHENTICATED code (HTTP 401, websocket close 4403) whatever the
// precise reason, which is only for logs and for the error message.
var ErrUnauthenticated = errors.New("unauthenticated")

const (
	// MinSecretLen is the shortest HS256 secret accepted: 32 bytes, the
	// output size of SHA-256 (RFC 7518 §3.2 requires a key at least as long
	// as the hash).
	MinSecretLen = 32

	// Leeway is the clock skew tolerated on exp and nbf, so that a token
	// minted on a machine whose clock is a little ahead is not refused.
	Leeway = 5 * time.Second

	// maxTokenLen bounds the work an unauthenticated caller can make us do
	// (base64 and JSON decoding happen before the signature is checked).
	// Our tokens are about 200 bytes.
	maxTokenLen = 4096

	// DefaultMaxTTL is the longest lifetime a token may claim, unless
	// WithMaxTTL says otherwise.
	DefaultMaxTTL = 24 * time.Hour

	// alg is the only signing algorithm of the contract. Pinning it is what
	// defeats "alg": "none" and algorithm-confusion tokens.
	alg = "HS256"
)

// Tokens issues and verifies the contract's tokens with one HS256 secret. It
// is safe for concurrent use.
type Tokens struct {
	secret []byte
	parser *jwt.Parser
	now    func() time.Time
	// maxTTL bounds a token's lifetime: exp − iat, or exp − now without
	// iat. A stolen token is then worth at most that long, whatever exp
	// its issuer wrote.
	maxTTL time.Duration
	// keySet finds an identity provider's key for a token; issuer and
	// audience, when set, are required; roleClaim is where the role is.
	keySet    jwt.Keyfunc
	issuer    string
	audience  string
	roleClaim []string
	optErr    error

	// verified remembers tokens already verified, until they expire: a
	// client sends the same token with every request, and checking its
	// signature and decoding its claims again was 5% of the server's CPU
	// under write load. Keyed by the whole token, signature included, so
	// only the byte-identical token is answered from here.
	mu       sync.Mutex
	verified map[string]verifiedToken
}

type verifiedToken struct {
	actor Actor
	exp   time.Time
}

// maxVerified bounds the remembered tokens; when full, they are forgotten
// all at once (and verified again as they come back).
const maxVerified = 10_000

// Option configures Tokens.
type Option func(*Tokens)

// WithMaxTTL sets the longest lifetime a token may claim (DefaultMaxTTL
// otherwise); zero or less keeps the default.
func WithMaxTTL(d time.Duration) Option {
	return func(t *Tokens) {
		if d > 0 {
			t.maxTTL = d
		}
	}
}

// NewTokens returns Tokens that sign and verify with secret. A secret shorter
// than MinSecretLen bytes is refused: an HS256 key that short can be
// brute-forced from a single token.
//
// With WithKeySet the secret may be empty: tokens are then only those of
// the identity provider.
func NewTokens(secret []byte, opts ...Option) (*Tokens, error) {
	t := &Tokens{
		now:       time.Now,
		maxTTL:    DefaultMaxTTL,
		verified:  map[string]verifiedToken{},
		roleClaim: []string{"role"},
	}
	for _, o := range opts {
		o(t)
	}
	if t.optErr != nil {
		return nil, t.optErr
	}
	switch {
	case len(secret) == 0 && t.keySet != nil:
	case len(secret) < MinSecretLen:
		return nil, fmt.Errorf("auth: JWT secret is %d bytes; HS256 needs at least %d", len(secret), MinSecretLen)
	}
	// A copy, so that the caller clearing or reusing its buffer cannot
	// change the key under us.
	t.secret = append([]byte(nil), secret...)
	var methods []string
	if len(t.secret) > 0 {
		methods = append(methods, alg)
	}
	if t.keySet != nil {
		methods = append(methods, providerAlgs...)
	}
	popts := []jwt.ParserOption{
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		// An iat in the future (beyond Leeway) is refused: no issuer
		// mints tokens ahead of time, and it would stretch exp − iat.
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
		// Refuse non-canonical base64, so that one token has exactly
		// one spelling.
		jwt.WithStrictDecoding(),
	}
	if t.issuer != "" {
		popts = append(popts, jwt.WithIssuer(t.issuer))
	}
	if t.audience != "" {
		popts = append(popts, jwt.WithAudience(t.audience))
	}
	t.parser = jwt.NewParser(popts...)
	return t, nil
}

// providerAlgs are the asymmetric algorithms an identity provider's keys
// may sign with (contract §2, Identity). Each key only verifies its own kind: an
// RS256 token needs an RSA key, so a provider's key can never be used as
// an HMAC secret.
var providerAlgs = []string{"RS256", "ES256", "EdDSA"}

// WithKeySet verifies identity provider tokens (RS256, ES256, EdDSA) with
// the key keys returns for a token (by its kid): see NewKeySet.
func WithKeySet(keys jwt.Keyfunc) Option { return func(t *Tokens) { t.keySet = keys } }

// WithIssuer requires the iss claim to be iss.
func WithIssuer(iss string) Option { return func(t *Tokens) { t.issuer = iss } }

// WithAudience requires the aud claim to hold aud.
func WithAudience(aud string) Option { return func(t *Tokens) { t.audience = aud } }

// WithRoleClaim reads the role through a JSON Pointer (DefaultRoleClaim
// otherwise): see ParseRoleClaim.
func WithRoleClaim(pointer string) Option {
	return func(t *Tokens) {
		if pointer == "" {
			return
		}
		path, err := ParseRoleClaim(pointer)
		if err != nil {
			t.optErr = err
			return
		}
		t.roleClaim = path
	}
}

// String keeps the secret out of logs and panics: fmt prints it redacted.
func (t *Tokens) String() string { return "auth.Tokens{secret: <redacted>}" }

// GoString is String for %#v.
func (t *Tokens) GoString() string { return t.String() }

// Issue returns a token for actor that expires ttl from now.
func (t *Tokens) Issue(actor Actor, ttl time.Duration) (string, error) {
	if len(t.secret) == 0 {
		return "", errors.New("auth: no JWT secret to sign with (tokens come from the identity provider)")
	}
	if !actor.Valid() {
		return "", fmt.Errorf("auth: cannot issue a token for an invalid actor (role %q, id %s)", actor.Role, actor.ID)
	}
	if ttl <= 0 || ttl > t.maxTTL {
		return "", fmt.Errorf("auth: token lifetime must be positive and at most %s, got %s", t.maxTTL, ttl)
	}
	now := time.Now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   actor.ID.String(), // lowercase, as the contract writes UUIDs
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Role: actor.Role,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return s, nil
}

// Verify checks token and returns its actor and its expiry, or an error that
// wraps ErrUnauthenticated. The token must be HS256-signed with our secret,
// carry an exp that has not passed (give or take Leeway), a `sub` that is a
// UUID in its 36-character form (either case) and a `role` that is one of the
// three. The error's message says why it was refused, never with the secret
// or the token in it.
func (t *Tokens) Verify(token string) (Actor, time.Time, error) {
	if token == "" {
		return Actor{}, time.Time{}, unauthenticated("no token", nil)
	}
	if len(token) > maxTokenLen {
		return Actor{}, time.Time{}, unauthenticated(fmt.Sprintf("token longer than %d bytes", maxTokenLen), nil)
	}
	t.mu.Lock()
	v, ok := t.verified[token]
	t.mu.Unlock()
	if ok {
		if t.now().Before(v.exp.Add(Leeway)) {
			return v.actor, v.exp, nil
		}
		t.mu.Lock()
		delete(t.verified, token)
		t.mu.Unlock()
	}
	var c claims
	parsed, err := t.parser.ParseWithClaims(token, &c, t.key)
	if err != nil {
		return Actor{}, time.Time{}, unauthenticated(reason(parsed, err), err)
	}
	id, err := parseSubject(c.Subject)
	if err != nil {
		return Actor{}, time.Time{}, unauthenticated(err.Error(), nil)
	}
	if len(t.roleClaim) != 1 || t.roleClaim[0] != "role" {
		if c.Role, err = roleAt(c.raw, t.roleClaim); err != nil {
			return Actor{}, time.Time{}, unauthenticated(err.Error(), nil)
		}
	}
	if !c.Role.Valid() {
		return Actor{}, time.Time{}, unauthenticated(
			fmt.Sprintf("role claim is not one of %s, %s, %s", RoleStudent, RoleTeacher, RoleAdmin), nil)
	}
	// WithExpirationRequired guarantees ExpiresAt is set here.
	actor, exp := Actor{ID: id, Role: c.Role}, c.ExpiresAt.Time
	if err := t.checkLifetime(c); err != nil {
		return Actor{}, time.Time{}, unauthenticated(err.Error(), nil)
	}
	if parsed.Method == jwt.SigningMethodHS256 {
		// Only tokens of our own secret are remembered: a provider's key
		// removed from its set must refuse its tokens from the next
		// refresh on, which a remembered answer would not.
		t.mu.Lock()
		if len(t.verified) >= maxVerified {
			clear(t.verified)
		}
		t.verified[token] = verifiedToken{actor: actor, exp: exp}
		t.mu.Unlock()
	}
	return actor, exp, nil
}

// checkLifetime refuses a token that claims to live longer than maxTTL:
// from its iat, or from now when it has none.
func (t *Tokens) checkLifetime(c claims) error {
	from := t.now()
	if c.IssuedAt != nil {
		from = c.IssuedAt.Time
	}
	if c.ExpiresAt.Sub(from) > t.maxTTL {
		return fmt.Errorf("token lifetime exceeds %s", t.maxTTL)
	}
	return nil
}

// key hands the secret to the parser. The parser has already refused every
// algorithm but HS256; checking again here keeps the secret from ever
// reaching another algorithm's code, whatever the parser's options become.
func (t *Tokens) key(tok *jwt.Token) (any, error) {
	if tok.Method == jwt.SigningMethodHS256 {
		if len(t.secret) == 0 {
			return nil, errors.New("HS256 tokens are not accepted without EDUPULSE_JWT_SECRET")
		}
		return t.secret, nil
	}
	if t.keySet == nil || !slices.Contains(providerAlgs, tok.Method.Alg()) {
		return nil, fmt.Errorf("unexpected signing method")
	}
	k, err := t.keySet(tok)
	if err != nil {
		return nil, err
	}
	if _, symmetric := k.([]byte); symmetric {
		return nil, errors.New("the key set offers a symmetric key")
	}
	return k, nil
}

// parseSubject accepts only the canonical 36-character textual form of a
// UUID, in either case. uuid.Parse alone would also take the braced, urn: and
// 32-digit forms, giving one actor several spellings of its `sub`.
func parseSubject(sub string) (uuid.UUID, error) {
	if sub == "" {
		return uuid.Nil, errors.New("sub claim is missing")
	}
	id, err := uuid.Parse(sub)
	if len(sub) != 36 || err != nil {
		return uuid.Nil, errors.New("sub claim is not a UUID")
	}
	if id == uuid.Nil {
		// See Actor.Valid: the nil UUID means "nobody" everywhere else.
		return uuid.Nil, errors.New("sub claim is the nil UUID")
	}
	return id, nil
}

// reason turns the library's error into a short human-readable reason. The
// library's own messages are kept out of it: they are longer than useful and
// may quote decoder errors about attacker-supplied bytes.
func reason(tok *jwt.Token, err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "exp claim is missing"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token is not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token is issued in the future"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		// The parser reports a refused algorithm as an invalid signature;
		// say which, since that is what an operator needs to know. The name
		// is safe to print: GetSigningMethod only returns registered methods.
		if tok != nil && tok.Method != nil && tok.Method.Alg() != alg {
			return fmt.Sprintf("signing algorithm %s is not allowed (want %s)", tok.Method.Alg(), alg)
		}
		return "invalid signature"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// An unknown or missing alg header. Its value is not echoed.
		return "unsupported or missing signing algorithm"
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return "invalid claims"
	}
	return "invalid token"
}

// authError carries a reason for humans while matching ErrUnauthenticated
// (and the library's error, for callers that want to tell expiry apart) with
// errors.Is.
type authError struct {
	reason string
	cause  error
}

func unauthenticated(reason string, cause error) error {
	return &authError{reason: reason, cause: cause}
}

func (e *authError) Error() string { return ErrUnauthenticated.Error() + ": " + e.reason }

func (e *authError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrUnauthenticated}
	}
	return []error{ErrUnauthenticated, e.cause}
}

// ParseBearer extracts the token from an Authorization header value of the
// form "Bearer <token>" (RFC 6750 §2.1; the scheme is case-insensitive). ok is
// false for any other scheme, an empty token, or a token with spaces in it.
func ParseBearer(header string) (token string, ok bool) {
	header = strings.TrimSpace(header)
	scheme, rest, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(rest, " ")
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return "", false
	}
	return token, true
}

// VerifyLive is Verify for what outlives its request (a websocket, an
// event stream), which ends when the token expires: a token past its exp,
// even within Leeway, is refused, since the connection would end at once.
func (t *Tokens) VerifyLive(token string) (Actor, time.Time, error) {
	actor, exp, err := t.Verify(token)
	if err != nil {
		return Actor{}, time.Time{}, err
	}
	if !t.now().Before(exp) {
		return Actor{}, time.Time{}, unauthenticated("token has expired", nil)
	}
	return actor, exp, nil
}
