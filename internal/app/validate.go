package app

import (
	"strings"
	"unicode/utf8"
)

// text trims white space and checks the length in characters (Unicode code
// points), as the contract counts them: 200 × "é" is a valid title.
func text(field, s string, minLen, maxLen int) (string, error) {
	if err := storable(field, s); err != nil {
		return "", err
	}
	t := strings.TrimSpace(s)
	n := utf8.RuneCountInString(t)
	if n < minLen || n > maxLen {
		if minLen > 0 {
			return "", invalid(field, "must be %d to %d characters after trimming (got %d)", minLen, maxLen, n)
		}
		return "", invalid(field, "must be at most %d characters (got %d)", maxLen, n)
	}
	return t, nil
}

// storable checks what every text input must be, whatever its length:
// text that both backends store as it was sent. PostgreSQL's text cannot
// hold a NUL character (it refuses it with an error that would reach the
// client as an internal one) while SQLite keeps it, so a NUL is refused
// here, as invalid input, for either.
func storable(field, s string) error {
	if !utf8.ValidString(s) {
		return invalid(field, "must be valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return invalid(field, "must not contain the NUL character (U+0000)")
	}
	return nil
}

// pageSize checks a connection's `first`.
func pageSize(first *int, def int) (int, error) {
	if first == nil {
		return def, nil
	}
	if *first < 0 || *first > MaxPageSize {
		return 0, invalid("first", "must be between 0 and %d", MaxPageSize)
	}
	return *first, nil
}

// MaxPageSize caps `first` on every connection.
const MaxPageSize = 100
