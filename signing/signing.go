package signing

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

const (
	// MaxSignedLen is the longest signed string Unsign, UnsignMaxAge and
	// Loads accept, in bytes; a longer one is refused before it is looked
	// at.
	MaxSignedLen = 64 << 10
	// MaxDecompressedLen is the largest a compressed Dumps payload may
	// inflate to, in bytes; Loads refuses one that inflates further.
	MaxDecompressedLen = 1 << 20
)

const sep = ":"

var (
	// ErrBadSignature is Django's BadSignature: the value was not signed
	// with the key and salt (or was changed since), or is malformed.
	// Returned errors wrap it with Django's message, e.g. `Signature "…"
	// does not match`.
	ErrBadSignature = errors.New("signing: bad signature")
	// ErrSignatureExpired is Django's SignatureExpired: the signature is
	// good but older than the maximum age. It wraps ErrBadSignature, so
	// errors.Is(err, ErrBadSignature) holds for it too.
	ErrSignatureExpired = fmt.Errorf("%w: signature expired", ErrBadSignature)
	// ErrEmptyKey is returned by the Unsign methods of a signer whose Key
	// is empty: Django refuses an empty SECRET_KEY.
	ErrEmptyKey = errors.New("signing: the key must not be empty (an empty SECRET_KEY signs nothing anyone could not forge)")
)

// Signer signs strings: Sign appends ":" and the signature, Unsign checks
// and strips it (Django's Signer with its default separator and the
// SHA-256 algorithm). The zero Salt is allowed; give each use its own salt
// so that a value signed for one purpose is refused for another.
type Signer struct {
	// Key is the secret key (Django's SECRET_KEY).
	Key string
	// Salt separates the uses of one key (Django's salt).
	Salt string
	// FallbackKeys are also accepted by Unsign (Django's fallback_keys,
	// SECRET_KEY_FALLBACKS).
	FallbackKeys []string
}

// signature returns base64(HMAC-SHA256(sha256(salt+"signer"+key), value)),
// Django's base64_hmac with salted_hmac.
func signature(salt, key, value string) string {
	derived := sha256.Sum256([]byte(salt + "signer" + key))
	mac := hmac.New(sha256.New, derived[:])
	io.WriteString(mac, value)
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(mac.Sum(sum[:0]))
}

// Sign returns value + ":" + its signature.
func (s Signer) Sign(value string) string {
	return value + sep + signature(s.Salt, s.Key, value)
}

// Unsign checks the signature of signed, made by Sign with Key or one of
// FallbackKeys, and returns the value. A bad, missing or malformed
// signature, or a signed string longer than MaxSignedLen, is an error
// matching ErrBadSignature.
func (s Signer) Unsign(signed string) (string, error) {
	return unsign(s.Key, s.Salt, s.FallbackKeys, signed)
}

func unsign(key, salt string, fallbacks []string, signed string) (string, error) {
	if key == "" {
		return "", ErrEmptyKey
	}
	if len(signed) > MaxSignedLen {
		return "", fmt.Errorf("%w: the signed value is %d bytes long, over the limit of %d", ErrBadSignature, len(signed), MaxSignedLen)
	}
	i := strings.LastIndex(signed, sep)
	if i < 0 {
		return "", fmt.Errorf(`%w: No "%s" found in value`, ErrBadSignature, sep)
	}
	value, sig := signed[:i], signed[i+1:]
	if sigOK(salt, key, value, sig) {
		return value, nil
	}
	for _, k := range fallbacks {
		if k != "" && sigOK(salt, k, value, sig) {
			return value, nil
		}
	}
	return "", fmt.Errorf(`%w: Signature "%s" does not match`, ErrBadSignature, quoteShort(sig))
}

func sigOK(salt, key, value, sig string) bool {
	return hmac.Equal([]byte(sig), []byte(signature(salt, key, value)))
}

// quoteShort makes s safe and short for an error message: input from the
// outside ends up in logs.
func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "…"
	}
	q := strconv.QuoteToASCII(s)
	return q[1 : len(q)-1]
}

// TimestampSigner is Django's TimestampSigner: it signs a value together
// with the time it was signed ("value:timestamp:signature", the timestamp
// in base 62), so that a maximum age can be enforced when unsigning. Its
// Dumps and Loads are Django's signing.dumps and signing.loads.
type TimestampSigner struct {
	// Key is the secret key (Django's SECRET_KEY).
	Key string
	// Salt separates the uses of one key (Django's salt).
	Salt string
	// FallbackKeys are also accepted when unsigning.
	FallbackKeys []string
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

func (s TimestampSigner) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// SignTimestamp returns value + ":" + the current time in base 62 + ":" +
// the signature of both.
func (s TimestampSigner) SignTimestamp(value string) string {
	value = value + sep + b62Encode(s.now().Unix())
	return value + sep + signature(s.Salt, s.Key, value)
}

// UnsignTimestamp checks a value signed by SignTimestamp and returns it
// with the time it was signed, whatever its age.
func (s TimestampSigner) UnsignTimestamp(signed string) (value string, signedAt time.Time, err error) {
	v, err := unsign(s.Key, s.Salt, s.FallbackKeys, signed)
	if err != nil {
		return "", time.Time{}, err
	}
	i := strings.LastIndex(v, sep)
	if i < 0 {
		return "", time.Time{}, fmt.Errorf(`%w: No "%s" found in value (no timestamp)`, ErrBadSignature, sep)
	}
	ts, ok := b62Decode(v[i+1:])
	if !ok {
		return "", time.Time{}, fmt.Errorf("%w: malformed timestamp %q", ErrBadSignature, quoteShort(v[i+1:]))
	}
	return v[:i], time.Unix(ts, 0), nil
}

// UnsignMaxAge checks a value signed by SignTimestamp and returns it,
// refusing it with ErrSignatureExpired ("Signature age X > Y seconds")
// when it was signed more than maxAge ago. maxAge 0 means no limit
// (Django's max_age=None); a negative maxAge refuses every signature.
func (s TimestampSigner) UnsignMaxAge(signed string, maxAge time.Duration) (string, error) {
	v, at, err := s.UnsignTimestamp(signed)
	if err != nil {
		return "", err
	}
	if err := s.checkAge(at, maxAge); err != nil {
		return "", err
	}
	return v, nil
}

func (s TimestampSigner) checkAge(at time.Time, maxAge time.Duration) error {
	if maxAge == 0 {
		return nil
	}
	if age := s.now().Sub(at); age > maxAge {
		return fmt.Errorf("%w: Signature age %s > %s seconds", ErrSignatureExpired,
			strconv.FormatFloat(age.Seconds(), 'f', -1, 64), strconv.FormatFloat(maxAge.Seconds(), 'f', -1, 64))
	}
	return nil
}

// Dumps returns v encoded as JSON, then (with compress, and only when it
// is shorter) zlib-compressed and marked with a leading ".", then URL-safe
// base64, signed with SignTimestamp: Django's signing.dumps. The result
// is URL- and cookie-safe.
func (s TimestampSigner) Dumps(v any, compress bool) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("signing: encoding the value as JSON: %w", err)
	}
	dot := false
	if compress {
		var buf bytes.Buffer
		zw := zlib.NewWriter(&buf)
		zw.Write(data) // writes to a bytes.Buffer do not fail
		zw.Close()
		if buf.Len() < len(data)-1 {
			data, dot = buf.Bytes(), true
		}
	}
	payload := base64.RawURLEncoding.EncodeToString(data)
	if dot {
		payload = "." + payload
	}
	return s.SignTimestamp(payload), nil
}

// Loads is Django's signing.loads: it unsigns signed with UnsignMaxAge
// and decodes the payload Dumps made into v (with encoding/json's rules).
// A bad signature or an expired one is an error matching ErrBadSignature;
// a payload that is not base64, not zlib, inflates beyond
// MaxDecompressedLen or is not JSON for v is an error too.
func (s TimestampSigner) Loads(signed string, maxAge time.Duration, v any) error {
	payload, err := s.UnsignMaxAge(signed, maxAge)
	if err != nil {
		return err
	}
	return decode(payload, v)
}

// LoadsTimestamp is Loads without a maximum age: it also returns when the
// value was signed, for callers whose maximum age depends on the value.
func (s TimestampSigner) LoadsTimestamp(signed string, v any) (time.Time, error) {
	payload, at, err := s.UnsignTimestamp(signed)
	if err != nil {
		return time.Time{}, err
	}
	return at, decode(payload, v)
}

// decode reverses Dumps' payload encoding into v.
func decode(payload string, v any) error {
	compressed := strings.HasPrefix(payload, ".")
	if compressed {
		payload = payload[1:]
	}
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return fmt.Errorf("signing: the payload is not URL-safe base64: %w", err)
	}
	if compressed {
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("signing: the payload is not zlib-compressed: %w", err)
		}
		data, err = io.ReadAll(io.LimitReader(zr, MaxDecompressedLen+1))
		if err != nil {
			return fmt.Errorf("signing: inflating the payload: %w", err)
		}
		if len(data) > MaxDecompressedLen {
			return fmt.Errorf("signing: the payload inflates beyond the limit of %d bytes", MaxDecompressedLen)
		}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("signing: decoding the JSON payload: %w", err)
	}
	return nil
}

const b62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// b62Encode is Django's b62_encode.
func b62Encode(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	u := uint64(n)
	if neg {
		u = -u
	}
	var buf [12]byte
	i := len(buf)
	for u > 0 {
		i--
		buf[i] = b62Alphabet[u%62]
		u /= 62
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

// b62Decode is Django's b62_decode, refusing what it would not produce
// and anything past the range of a Unix time in seconds.
func b62Decode(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	// 62^10 > 2^59: ten digits are plenty for any real timestamp and
	// cannot overflow.
	if s == "" || len(s) > 10 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(b62Alphabet, s[i])
		if d < 0 {
			return 0, false
		}
		n = n*62 + int64(d)
	}
	if neg {
		n = -n
	}
	return n, true
}
