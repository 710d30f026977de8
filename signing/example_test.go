package signing_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/manouche/manouche/signing"
)

func Example() {
	s := signing.Signer{Key: "a long, random secret key", Salt: "newsletter.unsubscribe"}
	signed := s.Sign("ada@example.com")
	fmt.Println(signed)

	email, err := s.Unsign(signed)
	fmt.Println(email, err)

	_, err = s.Unsign("grace@example.com" + signed[len("ada@example.com"):])
	fmt.Println(errors.Is(err, signing.ErrBadSignature))

	// A timestamped payload, refused once it is older than a day.
	ts := signing.TimestampSigner{Key: "a long, random secret key", Salt: "password.reset"}
	token, err := ts.Dumps(map[string]any{"user": 42}, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	var claims map[string]any
	err = ts.Loads(token, 24*time.Hour, &claims)
	fmt.Println(claims["user"], err)
	// Output:
	// ada@example.com:HUEfBnzoKfqQUnVyKFzOl18RL8V0ouq0CfPJYfMxBJA
	// ada@example.com <nil>
	// true
	// 42 <nil>
}
