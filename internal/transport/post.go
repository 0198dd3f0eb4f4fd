package transport

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	gqltransport "github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// POSTSubscriptionMessage is the error a subscription sent as a plain
// POST gets (contract §1, Endpoints).
const POSTSubscriptionMessage = "a subscription cannot be answered by one HTTP response: " +
	"subscribe over a websocket (graphql-transport-ws) or Server-Sent Events (Accept: text/event-stream)"

// POST is GraphQL over HTTP's POST (gqlgen's transport) that refuses a
// subscription at once, with 400 and BAD_USER_INPUT: gqlgen's would start
// it and wait for its first event, holding the request (and the goroutines
// of the subscription) until one comes. The refusal comes from the
// operation's context, after validation and before anything runs.
type POST struct {
	gqltransport.POST
}

var _ graphql.Transport = POST{}

// Do serves the request with gqlgen's POST, through an executor that
// refuses subscriptions.
func (t POST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	e := &postExecutor{GraphExecutor: exec}
	t.POST.Do(&postStatus{ResponseWriter: w, e: e}, r, e)
}

type postExecutor struct {
	graphql.GraphExecutor
	refused bool
}

func (e *postExecutor) CreateOperationContext(ctx context.Context, params *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	rc, errs := e.GraphExecutor.CreateOperationContext(ctx, params)
	if errs != nil || rc.Operation == nil || rc.Operation.Operation != ast.Subscription {
		return rc, errs
	}
	e.refused = true
	return rc, errorList(codeBadUserInput, POSTSubscriptionMessage)
}

// postStatus makes the status of the refusal 400, which gqlgen, seeing an
// error of the request that is not one of its protocol's, would answer
// 200.
type postStatus struct {
	http.ResponseWriter
	e *postExecutor
}

func (w *postStatus) WriteHeader(code int) {
	if w.e.refused {
		code = http.StatusBadRequest
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *postStatus) Unwrap() http.ResponseWriter { return w.ResponseWriter }
