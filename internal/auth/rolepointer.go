package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DefaultRoleClaim is the JSON Pointer (RFC 6901) to the role: the
// contract's own `role` claim.
const DefaultRoleClaim = "/role"

// ParseRoleClaim checks a JSON Pointer to the role claim and returns its
// reference tokens (unescaped). Identity providers put roles elsewhere:
// Auth0 in a namespaced claim ("/https:~1~1example.com~1role"), Keycloak in
// "/realm_access/roles", Cognito in "/cognito:groups".
func ParseRoleClaim(pointer string) ([]string, error) {
	if !strings.HasPrefix(pointer, "/") || pointer == "/" {
		return nil, fmt.Errorf("role claim %q is not a JSON Pointer to a claim (it starts with / and names one)", pointer)
	}
	parts := strings.Split(pointer[1:], "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// roleAt reads the role the pointer names in the claims: a string that is
// one of the three roles, or an array holding exactly one of them (other
// entries, a provider's own groups, are ignored; two of ours is
// ambiguous and refused).
func roleAt(raw map[string]json.RawMessage, path []string) (Role, error) {
	v, ok := raw[path[0]]
	if !ok {
		return "", errors.New("role claim is missing")
	}
	for _, tok := range path[1:] {
		var obj map[string]json.RawMessage
		if json.Unmarshal(v, &obj) == nil && obj != nil {
			if v, ok = obj[tok]; !ok {
				return "", errors.New("role claim is missing")
			}
			continue
		}
		var arr []json.RawMessage
		i, err := strconv.Atoi(tok)
		if json.Unmarshal(v, &arr) != nil || err != nil || i < 0 || i >= len(arr) {
			return "", errors.New("role claim is missing")
		}
		v = arr[i]
	}
	var one Role
	if json.Unmarshal(v, &one) == nil {
		return one, nil
	}
	var many []Role
	if json.Unmarshal(v, &many) != nil {
		return "", errors.New("role claim is neither a string nor an array of strings")
	}
	var found Role
	for _, r := range many {
		if !r.Valid() {
			continue
		}
		if found != "" && found != r {
			return "", errors.New("role claim holds more than one of our roles")
		}
		found = r
	}
	return found, nil
}
