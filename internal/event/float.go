package event

import (
	"math"
	"strconv"
)

// appendF32 writes f the way serde_json writes an f32 (the ryu crate's
// shortest round-trip form): integral values keep ".0", |f| < 1e-5 and
// values of 14 digits or more switch to exponent notation ("1e-7",
// "1.5e20"). Go's strconv finds the same shortest digits; only the layout
// differs, so it is redone here.
func appendF32(b []byte, f float32) []byte {
	if math.Signbit(float64(f)) {
		b = append(b, '-')
		f = -f
	}
	if f == 0 {
		return append(b, "0.0"...)
	}
	// d.ddddde±x → digits "dddddd" and value = digits × 10^k.
	sci := strconv.FormatFloat(float64(f), 'e', -1, 32)
	mant, expStr := sci, "0"
	for i := 0; i < len(sci); i++ {
		if sci[i] == 'e' {
			mant, expStr = sci[:i], sci[i+1:]
			break
		}
	}
	digits := make([]byte, 0, 9)
	for i := 0; i < len(mant); i++ {
		if mant[i] != '.' {
			digits = append(digits, mant[i])
		}
	}
	e, _ := strconv.Atoi(expStr)
	length := len(digits)
	k := e - (length - 1)
	kk := length + k // 10^(kk-1) <= f < 10^kk
	switch {
	case 0 <= k && kk <= 13:
		b = append(b, digits...)
		for i := length; i < kk; i++ {
			b = append(b, '0')
		}
		return append(b, ".0"...)
	case 0 < kk && kk <= 13:
		b = append(b, digits[:kk]...)
		b = append(b, '.')
		return append(b, digits[kk:]...)
	case -6 < kk && kk <= 0:
		b = append(b, "0."...)
		for i := kk; i < 0; i++ {
			b = append(b, '0')
		}
		return append(b, digits...)
	case length == 1:
		b = append(b, digits[0], 'e')
		return strconv.AppendInt(b, int64(kk-1), 10)
	default:
		b = append(b, digits[0], '.')
		b = append(b, digits[1:]...)
		b = append(b, 'e')
		return strconv.AppendInt(b, int64(kk-1), 10)
	}
}
