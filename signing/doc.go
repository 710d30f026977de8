// Package signing is Django's django.core.signing: values signed with a
// secret key so that they can travel through untrusted hands (a cookie, a
// URL) and come back unchanged, or be refused.
//
// A Signer appends a signature to a string ("value:signature"); Unsign
// checks it and returns the value, or an error matching ErrBadSignature.
// A TimestampSigner also signs the time ("value:timestamp:signature"), so
// that UnsignMaxAge can refuse a value older than a maximum age
// (ErrSignatureExpired, which also matches ErrBadSignature). Its Dumps and
// Loads sign any JSON-encodable value, optionally zlib-compressed, as
// Django's signing.dumps and signing.loads do.
//
// The formats are Django's: the signature is the URL-safe base64 (without
// padding) of an HMAC-SHA256 whose key is derived from the salt and the
// secret key as Django's salted_hmac does (sha256(salt + "signer" +
// key)); the timestamp is the Unix time in base 62; a Dumps payload is the
// URL-safe base64 of compact JSON, prefixed with "." when it is zlib
// compressed (only when that makes it shorter). A value signed by Django
// with the same key and salt is accepted here, and the other way round.
// Signatures are compared in constant time.
//
// # Limits
//
// Signed values come from the outside, so their size is bounded before
// anything is decoded: a signed string longer than MaxSignedLen (64 KiB)
// is refused, and a compressed payload that inflates beyond
// MaxDecompressedLen (1 MiB) is refused (a zlib bomb). Bad input is an
// error, never a panic.
//
// # Keys
//
// A Signer or TimestampSigner with an empty Key refuses to unsign (a value
// signed with an empty key could be forged by anyone): it returns
// ErrEmptyKey. FallbackKeys are older keys still accepted by Unsign while
// they are rotated out (Django's SECRET_KEY_FALLBACKS); signing always
// uses Key.
package signing
