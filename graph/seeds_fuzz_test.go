package graph_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// Seed documents of the GraphQL fuzz targets, the hostile ones of a probe of
// the API among them. Callers: 0 anonymous, 1 student, 2 teacher, 3 admin,
// 4 a token signed with another key.

type fzHTTPSeed struct {
	body           []byte
	caller, accept uint8
}

const (
	fzAnon uint8 = iota
	fzStudent
	fzTeacher
	fzAdmin
	fzForged
)

// fzNestedFragments is F0 on viewer, each Fi spreading F(i-1) twice, and an
// operation spreading F24: 25 lines of text that expand to 2^24 fields
// unless fragments are counted once.
func fzNestedFragments() string {
	var b strings.Builder
	b.WriteString("fragment F0 on Query{viewer{id}}\n")
	for i := 1; i <= 24; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query{...F%d ...F%d}\n", i, i-1, i-1)
	}
	b.WriteString("{...F24}")
	return b.String()
}

// fzRepeatedFields is {viewer{id id … id}} with n ids.
func fzRepeatedFields(n int) string {
	return "{viewer{" + strings.Repeat("id ", n) + "}}"
}

// fzAliasedMutations is n createPulse mutations under aliases.
func fzAliasedMutations(n int) string {
	var b strings.Builder
	b.WriteString("mutation{")
	for i := range n {
		fmt.Fprintf(&b, `m%d:createPulse(input:{title:"t%d"}){pulse{id}} `, i, i)
	}
	b.WriteString("}")
	return b.String()
}

func fzCursor(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// fzBody is the JSON body of one request.
func fzBody(query string, vars map[string]any) []byte {
	m := map[string]any{"query": query}
	if vars != nil {
		m["variables"] = vars
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func fzHTTPSeeds() []fzHTTPSeed {
	absent := uuid.NewSHA1(uuid.NameSpaceOID, []byte("an event that does not exist")).String()
	someID := "0a000000-0000-4000-8000-000000000001"
	q := func(query string, caller uint8) fzHTTPSeed { return fzHTTPSeed{fzBody(query, nil), caller, 0} }
	raw := func(body string, caller uint8) fzHTTPSeed { return fzHTTPSeed{[]byte(body), caller, 1} }

	nested := fzNestedFragments()
	repeated := fzRepeatedFields(14000)
	seeds := []fzHTTPSeed{
		// The probe's hostile documents. Anonymous first: parsed documents
		// are cached, and what an anonymous caller costs is the question.
		q(nested, fzAnon),
		q(nested, fzTeacher),
		q(repeated, fzAnon),
		q(repeated, fzTeacher),
		q(`mutation{createPulse(input:{title:"a\u0000b"}){pulse{id title}}}`, fzTeacher),
		{fzBody(`mutation($t:String!){createPulse(input:{title:$t}){pulse{id title}}}`, map[string]any{"t": "a\x00b"}), fzTeacher, 0},
		q(fzAliasedMutations(500), fzTeacher),
		q(fzAliasedMutations(500), fzAnon),
		// Cursors naming an event that does not exist, and a position far
		// past the head: the answer must not tell whether such an event
		// exists.
		q(`{eventsByAggregate(aggregateId:"`+someID+`",after:"`+fzCursor("e1:"+absent+":1:0")+`"){edges{cursor}}}`, fzStudent),
		q(`{eventsByAggregate(aggregateId:"`+someID+`",after:"`+fzCursor("e1:"+absent+":1:9223372036854775807")+`"){edges{cursor}}}`, fzAdmin),
		q(`{pulses(after:"`+fzCursor("p1:9223372036854775807:"+absent)+`"){edges{cursor}}}`, fzStudent),
		q(`{pulse(id:"`+someID+`"){responses(after:"`+fzCursor("r1:9223372036854775807")+`"){edges{cursor}}}}`, fzTeacher),
		q(`subscription{pulseEvents(pulseId:"`+someID+`",after:"`+fzCursor("e1:"+absent+":1:0")+`"){id}}`, fzTeacher),

		// Ordinary traffic, for the fuzzer to mutate from.
		q(`{viewer{id role}}`, fzStudent),
		q(`{viewer{id role}}`, fzAnon),
		q(`{viewer{id role}}`, fzForged),
		q(`{__typename}`, fzAnon),
		q(`{a:__typename b:__schema{queryType{name}}}`, fzAnon),
		q(`{__schema{types{name fields{name type{name kind ofType{name}}}}}}`, fzAnon),
		q(`{pulses(first:100){edges{cursor node{id title responseCount events(first:100){edges{node{id type payload{__typename}}}}}} pageInfo{hasNextPage endCursor}}}`, fzTeacher),
		q(`{pulses(first:-1){edges{cursor}}}`, fzStudent),
		q(`{pulses(first:2147483648){edges{cursor}}}`, fzStudent),
		q(`{pulse(id:"not-a-uuid"){id}}`, fzStudent),
		q(`{pulse(id:"{0A000000-0000-4000-8000-000000000001}"){id}}`, fzStudent),
		q(`{event(id:"`+someID+`"){id cursor occurredAt}}`, fzAdmin),
		q(`{pulses{edges{node{events{edges{node{payload{... on LearningPulseResponded{pulse{events{edges{node{payload{... on LearningPulseResponded{pulse{id}}}}}}}}}}}}}}}}`, fzAdmin),
		q(`mutation{createPulse(input:{title:"  ", dueDate:"10000-01-01T00:00:00Z"}){pulse{id}}}`, fzTeacher),
		q(`mutation{createPulse(input:{title:"t", dueDate:"2026-11-27T10:15:30+24:00", idempotencyKey:""}){pulse{id}}}`, fzTeacher),
		q(`mutation{createPulse(input:{title:"`+strings.Repeat("é", 201)+`"}){pulse{id}}}`, fzTeacher),
		q(`mutation{createPulse(input:{title:"t"}){pulse{id}}}`, fzStudent),
		q(`mutation{respondToPulse(input:{pulseId:"`+someID+`",answer:"x",confidence:2147483647}){response{id}}}`, fzStudent),
		q(`mutation{closePulse(input:{pulseId:"`+someID+`"}){pulse{id}}}`, fzTeacher),
		q(`mutation{recordPayment(input:{paymentId:"`+someID+`",orderTotalCents:"9223372036854775808",payerId:"`+someID+`"}){event{id}}}`, fzAdmin),
		q(`mutation{recordPayment(input:{paymentId:"`+someID+`",orderTotalCents:99999999999999999999,payerId:"`+someID+`"}){event{id}}}`, fzAdmin),
		q(`mutation{submitQuiz(input:{quizId:"`+someID+`",scorePercentage:1e400}){event{id}}}`, fzStudent),
		q(`mutation{eraseActor(input:{actorId:"`+someID+`"}){erasedRecords}}`, fzTeacher),
		q(`query A{viewer{id}} query B{viewer{role}}`, fzStudent),
		q(`{viewer{...on Viewer{...on Viewer{id}}}} fragment X on Viewer{...X}`, fzStudent),
		q(`{viewer{id @skip(if:true) role @include(if:$x)}}`, fzStudent),
		q(`query($first:Int){pulses(first:$first){edges{cursor}}}`, fzStudent),
		{fzBody(`query($first:Int){pulses(first:$first){edges{cursor}}}`, map[string]any{"first": "ten"}), fzStudent, 0},
		{fzBody(`query($id:UUID!){pulse(id:$id){id}}`, map[string]any{"id": map[string]any{"a": []any{1}}}), fzStudent, 2},
		raw(`{"query":"{viewer{id}}","operationName":"Nope"}`, fzStudent),
		raw(`{"query":"{viewer{id}}","variables":"not an object"}`, fzStudent),
		raw(`{"query":null}`, fzStudent),
		raw(`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"0000000000000000000000000000000000000000000000000000000000000000"}}}`, fzStudent),
		raw(`{"documentId":"sha256:00","query":""}`, fzAnon),
		raw(`[{"query":"{viewer{id}}"},{"query":"{viewer{id}}"}]`, fzStudent),
		raw(`{"query":"{viewer{id}}","query":"mutation{eraseActor(input:{actorId:\"`+someID+`\"}){erasedRecords}}"}`, fzAdmin),
		raw(`{"query":"{viewer{id}}"`, fzStudent),
		raw(``, fzStudent),
		raw(`{"query":"\ud800"}`, fzStudent),
		raw("{\"query\":\"{viewer{id}}\"}\x00", fzStudent),
		raw(`{"query":"{`+strings.Repeat("viewer{", 200)+`"}`, fzAnon),
	}
	return seeds
}
