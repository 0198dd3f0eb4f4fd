package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/graph"
	"github.com/edupulse/edupulse-live/internal/auth"
)

// TestValidationBoundaries checks every input rule on both sides of its
// boundary: the valid side succeeds, the invalid side answers BAD_USER_INPUT
// naming the field and writes nothing.
func TestValidationBoundaries(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		pulse := e.createPulse(t, e.teacher, "Target")
		// Each valid answer needs a student of its own (one response per
		// student per pulse).
		freshStudent := func() auth.Actor { return newActor(auth.RoleStudent) }

		type call struct {
			as    auth.Actor
			op    string
			input vars
		}
		titled := func(title string) call { return call{e.teacher, createPulseOp, in("title", title)} }
		described := func(d string) call { return call{e.teacher, createPulseOp, in("title", "t", "description", d)} }
		answered := func(a string) call { return call{freshStudent(), respondOp, in("pulseId", pulse, "answer", a)} }
		confident := func(c any) call {
			return call{freshStudent(), respondOp, in("pulseId", pulse, "answer", "a", "confidence", c)}
		}
		scored := func(s any) call {
			return call{e.student, quizOp, in("quizId", uuid.NewString(), "scorePercentage", s)}
		}
		paid := func(cents any) call {
			return call{e.admin, paymentOp, in("paymentId", uuid.NewString(), "orderTotalCents", cents, "payerId", e.student.ID.String())}
		}
		keyed := func(key string) call { return call{e.teacher, createPulseOp, in("title", "t", "idempotencyKey", key)} }
		due := func(d string) call { return call{e.teacher, createPulseOp, in("title", "t", "dueDate", d)} }

		valid := map[string]call{
			"title 1":                  titled("a"),
			"title 200":                titled(strings.Repeat("a", 200)),
			"title 200 é":              titled(strings.Repeat("é", 200)),
			"title 200 padded":         titled(" \t" + strings.Repeat("b", 200) + "\n "),
			"description 4000":         described(strings.Repeat("d", 4000)),
			"description empty":        described(""),
			"answer 1":                 answered("a"),
			"answer 2000":              answered(strings.Repeat("a", 2000)),
			"answer 2000 é":            answered(strings.Repeat("é", 2000)),
			"confidence 1":             confident(1),
			"confidence 5":             confident(5),
			"score 0":                  scored(0),
			"score 100":                scored(100),
			"cents 1":                  paid(1),
			"cents max as string":      paid("9223372036854775807"),
			"cents max as integer":     paid(json.RawMessage("9223372036854775807")),
			"cents 2^53+1 as integer":  paid(json.RawMessage("9007199254740993")),
			"key 200":                  keyed(strings.Repeat("k", 200)),
			"due with offset":          due("2026-12-01T10:15:30+05:30"),
			"uppercase UUID":           {freshStudent(), respondOp, in("pulseId", strings.ToUpper(pulse), "answer", "a")},
			"low UUID as an aggregate": {e.teacher, publishOp, in("lessonId", uuid.UUID{15: 1}.String())},
		}
		for name, c := range valid {
			r := e.do(t, c.as, c.op, c.input)
			require.Empty(t, r.Errors, "%s: %s", name, r.Raw)
		}

		invalid := map[string]struct {
			call
			field string
		}{
			"title 0":                      {titled(""), "title"},
			"title whitespace":             {titled(" \t\n "), "title"},
			"title 201":                    {titled(strings.Repeat("a", 201)), "title"},
			"title 201 é":                  {titled(strings.Repeat("é", 201)), "title"},
			"description 4001":             {described(strings.Repeat("d", 4001)), "description"},
			"answer 0":                     {answered(""), "answer"},
			"answer whitespace":            {answered("   "), "answer"},
			"answer 2001":                  {answered(strings.Repeat("a", 2001)), "answer"},
			"confidence 0":                 {confident(0), "confidence"},
			"confidence 6":                 {confident(6), "confidence"},
			"confidence not an Int":        {confident("three"), "confidence"},
			"score -0.001":                 {scored(-0.001), "scorePercentage"},
			"score 100.001":                {scored(100.001), "scorePercentage"},
			"cents 0":                      {paid("0"), "orderTotalCents"},
			"cents 0 as integer":           {paid(0), "orderTotalCents"},
			"cents negative":               {paid("-1"), "orderTotalCents"},
			"cents min as integer":         {paid(json.RawMessage("-9223372036854775808")), "orderTotalCents"},
			"cents overflow as string":     {paid("9223372036854775808"), "orderTotalCents"},
			"cents overflow as integer":    {paid(json.RawMessage("9223372036854775808")), "orderTotalCents"},
			"cents float":                  {paid(1.5), "orderTotalCents"},
			"cents exponent":               {paid(json.RawMessage("1e3")), "orderTotalCents"},
			"cents exponent string":        {paid("1e3"), "orderTotalCents"},
			"cents spaces":                 {paid(" 12"), "orderTotalCents"},
			"malformed UUID":               {call{freshStudent(), respondOp, in("pulseId", "not-a-uuid", "answer", "a")}, "pulseId"},
			"UUID without dashes":          {call{freshStudent(), respondOp, in("pulseId", strings.ReplaceAll(pulse, "-", ""), "answer", "a")}, "pulseId"},
			"braced UUID":                  {call{freshStudent(), respondOp, in("pulseId", "{"+pulse+"}", "answer", "a")}, "pulseId"},
			"UUID as a number":             {call{freshStudent(), respondOp, in("pulseId", 12, "answer", "a")}, "pulseId"},
			"nil UUID as a student":        {call{e.teacher, badgeOp, in("badgeId", uuid.NewString(), "studentId", uuid.Nil.String())}, "studentId"},
			"nil UUID as an aggregate":     {call{e.teacher, publishOp, in("lessonId", uuid.Nil.String())}, "lessonId"},
			"idempotency key empty":        {keyed(""), "idempotencyKey"},
			"idempotency key 201":          {keyed(strings.Repeat("k", 201)), "idempotencyKey"},
			"title NUL":                    {titled("a\x00b"), "title"},
			"description NUL":              {described("d\x00"), "description"},
			"answer NUL":                   {answered("\x00a"), "answer"},
			"idempotency key NUL":          {keyed("k\x00"), "idempotencyKey"},
			"due without offset":           {due("2026-12-01T10:15:30"), "dueDate"},
			"due not a date":               {due("tomorrow"), "dueDate"},
			"missing required input field": {call{e.teacher, createPulseOp, vars{"in": vars{}}}, "title"},
		}
		for name, c := range invalid {
			before, history := e.pulseCount(t), e.history(t, pulse)
			r := e.do(t, c.as, c.op, c.input)
			require.Len(t, r.Errors, 1, "%s: %s", name, r.Raw)
			require.Equal(t, graph.CodeBadUserInput, r.Errors[0].Extensions["code"], "%s: %s", name, r.Raw)
			require.Equal(t, c.field, r.Errors[0].Extensions["field"], "%s: %s", name, r.Raw)
			require.Equal(t, before, e.pulseCount(t), "%s wrote a pulse", name)
			require.Equal(t, history, e.history(t, pulse), "%s wrote an event", name)
		}

		// The payment aggregates of the invalid cases above are fresh ids:
		// check one directly too.
		payment := uuid.NewString()
		e.do(t, e.admin, paymentOp, in("paymentId", payment, "orderTotalCents", "0", "payerId", e.student.ID.String())).
			fails(t, graph.CodeBadUserInput, "orderTotalCents")
		require.Empty(t, e.history(t, payment))
	})
}

// TestInt64 checks Int64 in and out at the edges of its range: output is
// always a string of digits, and no value loses precision.
func TestInt64(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for _, c := range []struct {
			in   any
			want string
		}{
			{"9223372036854775807", "9223372036854775807"},
			{json.RawMessage("9223372036854775807"), "9223372036854775807"},
			{json.RawMessage("9007199254740993"), "9007199254740993"},
			{"9007199254740993", "9007199254740993"},
			{1, "1"},
		} {
			payment := uuid.NewString()
			r := e.do(t, e.admin, paymentOp, in("paymentId", payment, "orderTotalCents", c.in, "payerId", e.student.ID.String())).ok(t)
			require.Contains(t, string(r.Raw), fmt.Sprintf(`"orderTotalCents":"%s"`, c.want))
			h := e.do(t, e.admin, historyOp, vars{"id": payment}).ok(t)
			require.Equal(t, c.want, h.str(t, "eventsByAggregate.edges.0.node.payload.orderTotalCents"), "as stored")
		}

		// A literal in the document, inside and outside the range.
		payment, payer := uuid.NewString(), e.student.ID.String()
		lit := func(n string) string {
			return fmt.Sprintf(`mutation { recordPayment(input: {paymentId: %q, orderTotalCents: %s, payerId: %q}) { event { payload { ... on PaymentProcessed { orderTotalCents } } } } }`, payment, n, payer)
		}
		r := e.do(t, e.admin, lit("9223372036854775808"), nil)
		require.NotEmpty(t, r.Errors, "body: %s", r.Raw)
		require.Equal(t, graph.CodeBadUserInput, r.Errors[0].Extensions["code"])
		require.Contains(t, r.Errors[0].Message, "out of range")
		e.do(t, e.admin, lit("1.5"), nil).fails(t, graph.CodeBadUserInput, "orderTotalCents")
		r = e.do(t, e.admin, lit("9223372036854775807"), nil).ok(t)
		require.Equal(t, "9223372036854775807", r.str(t, "recordPayment.event.payload.orderTotalCents"))
	})
}

// TestMalformedArguments: malformed ids and cursors of queries are
// BAD_USER_INPUT naming the argument.
func TestMalformedArguments(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		pulse := e.createPulse(t, e.teacher, "Paged")
		for q, field := range map[string]string{
			`{ pulse(id: "nope") { id } }`:                                                         "id",
			`{ event(id: "123") { id } }`:                                                          "id",
			`{ pulses(teacherId: "x") { edges { cursor } } }`:                                      "teacherId",
			`{ pulses(after: "garbage!") { edges { cursor } } }`:                                   "after",
			`{ pulses(after: "bm90LWEtY3Vyc29y") { edges { cursor } } }`:                           "after",
			`{ pulses(first: -1) { edges { cursor } } }`:                                           "first",
			`{ pulses(first: 101) { edges { cursor } } }`:                                          "first",
			`{ eventsByAggregate(aggregateId: "` + pulse + `", after: "x") { edges { cursor } } }`: "after",
			`{ pulse(id: "` + pulse + `") { responses(after: "x") { edges { cursor } } } }`:        "after",
			`{ pulse(id: "` + pulse + `") { events(after: "cDE6MTox") { edges { cursor } } } }`:    "after",
		} {
			e.do(t, e.teacher, q, nil).fails(t, graph.CodeBadUserInput, field)
		}

		// The cursor of one connection is not a cursor of another.
		r := e.do(t, e.teacher, `{ pulses { edges { cursor } } }`, nil).ok(t)
		pc := r.str(t, "pulses.edges.0.cursor")
		e.do(t, e.teacher, historyOp, vars{"id": pulse, "after": pc}).fails(t, graph.CodeBadUserInput, "after")

		// Protocol errors are BAD_USER_INPUT too.
		e.do(t, e.teacher, `{ pulses { nope } }`, nil).fails(t, graph.CodeBadUserInput)
		e.do(t, e.teacher, `{ pulses(`, nil).fails(t, graph.CodeBadUserInput)
		e.do(t, e.teacher, `query($id: UUID!) { pulse(id: $id) { id } }`, nil).fails(t, graph.CodeBadUserInput, "id")
	})
}
