package middleware

// Default returns Django's default MIDDLEWARE (the list startproject
// writes, SEMANTICS 30), in its order, with sessions kept in store:
//
//	Security, Sessions(store), Common, CSRF, Messages, XFrameOptions
//
// Security comes first, so that an HTTPS redirect happens before anything
// else; Sessions before Common, CSRF and Messages, which may use the
// session (CSRF with Settings.CSRF.UseSessions, Messages with the
// session storage); XFrameOptions last, to see every response. A nil
// store keeps sessions in signed cookies (SignedCookies). Django's
// AuthenticationMiddleware has no counterpart here: authentication is the
// application's.
//
// An application lists its middleware in one line and inserts its own
// where Django's documentation places them: the static-files layer right
// after Security (WhiteNoise's place), GZip before everything that reads
// or changes the body, ConditionalGet after GZip:
//
//	mw := middleware.Default(sessiondb.New(dbm, "default"))
//	mw = slices.Insert(mw, 1, middleware.Static(staticConfig))
func Default(store SessionStore) []Factory {
	if store == nil {
		store = SignedCookies()
	}
	return []Factory{
		Security(),
		Sessions(store),
		Common(),
		CSRF(),
		Messages(),
		XFrameOptions(),
	}
}
