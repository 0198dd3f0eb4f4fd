package transport

import (
	"encoding/json"
	"net/http"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The contract's error codes (§4) that the transports give themselves.
const (
	codeBadUserInput    = "BAD_USER_INPUT"
	codeUnauthenticated = "UNAUTHENTICATED"
	codeForbidden       = "FORBIDDEN"
	codeRateLimited     = "RATE_LIMITED"
	codeInternal        = "INTERNAL_SERVER_ERROR"
)

// errorWithCode is a GraphQL error carrying the contract's code.
func errorWithCode(code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

// internalError says no more than the presenter would of a failure of
// ours.
func internalError() *gqlerror.Error { return errorWithCode(codeInternal, "internal error") }

func errorList(code, msg string) gqlerror.List {
	return gqlerror.List{errorWithCode(code, msg)}
}

// errorObject is one error as JSON (graphql-ws's connection_error).
func errorObject(code, msg string) []byte {
	b, _ := json.Marshal(errorWithCode(code, msg))
	return b
}

// errorsJSON is errs as a JSON list, each with an extensions.code
// (BAD_USER_INPUT when none was given: the client's message at fault).
func errorsJSON(errs gqlerror.List) []byte {
	for _, e := range errs {
		if e == nil {
			continue
		}
		if e.Extensions == nil {
			e.Extensions = map[string]any{}
		}
		if _, ok := e.Extensions["code"]; !ok {
			e.Extensions["code"] = codeBadUserInput
		}
	}
	b, err := json.Marshal(errs)
	if err != nil {
		return []byte(`[{"message":"internal error","extensions":{"code":"` + codeInternal + `"}}]`)
	}
	return b
}

// writeHTTPError answers a request that no operation will run for, as
// GraphQL over HTTP would: {"errors":[…]} with the status. The code is
// BAD_USER_INPUT (the request is at fault), INTERNAL_SERVER_ERROR for a
// 5xx; reason, when set, is the detail under it.
func writeHTTPError(w http.ResponseWriter, status int, reason, msg string) {
	code := codeBadUserInput
	if status >= http.StatusInternalServerError {
		code = codeInternal
	}
	e := errorWithCode(code, msg)
	if reason != "" {
		e.Extensions["reason"] = reason
	}
	body, _ := json.Marshal(map[string]any{"errors": gqlerror.List{e}})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
