package middleware

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/signing"
)

// The message levels, Django's messages constants.
const (
	LevelDebug   = 10
	LevelInfo    = 20
	LevelSuccess = 25
	LevelWarning = 30
	LevelError   = 40
)

const (
	// messageSessionKey is where the session storage keeps messages
	// (Django's SessionStorage.session_key).
	messageSessionKey = "_messages"
	// messageCookieSalt separates the messages cookie from other signed
	// values.
	messageCookieSalt = "manouche.middleware.messages"
	// messageCookieMaxLen is Django's CookieStorage.max_cookie_size: the
	// largest cookie value the cookie storage sets.
	messageCookieMaxLen = 2048
	// messageMaxStored bounds the messages kept for the next request by
	// either storage (Django has no bound): past it the oldest go.
	messageMaxStored         = 100
	messageDefaultCookieName = "messages"
)

// messageLevelTags are Django's DEFAULT_TAGS.
var messageLevelTags = map[int]string{
	LevelDebug: "debug", LevelInfo: "info", LevelSuccess: "success", LevelWarning: "warning", LevelError: "error",
}

// Message is one message of Django's messages framework.
type Message struct {
	// Level is one of LevelDebug … LevelError, or a level of your own.
	Level int
	// Text is the message.
	Text string
	// ExtraTags are more CSS classes, separated by spaces.
	ExtraTags string
}

// LevelTag returns the tag of the message's level ("info", "error", …),
// or "" for a level of your own.
func (m Message) LevelTag() string { return messageLevelTags[m.Level] }

// Tags returns the extra tags and the level tag, separated by a space, for
// a class attribute (Django's Message.tags).
func (m Message) Tags() string {
	switch lt := m.LevelTag(); {
	case m.ExtraTags == "":
		return lt
	case lt == "":
		return m.ExtraTags
	default:
		return m.ExtraTags + " " + lt
	}
}

// String returns the text.
func (m Message) String() string { return m.Text }

var (
	errMessagesNoMiddleware = errors.New("You cannot add messages without installing middleware.Messages.")
	errMessagesDone         = errors.New("messages: a message was added after the messages middleware's response phase, so it would be lost; add messages in views, or in layers listed after middleware.Messages")
	errMessagesNeedSession  = errors.New(`messages: Settings.Messages.Storage is "session" (the default) but the request has no session: list middleware.Sessions before middleware.Messages in the middleware list, or set Settings.Messages.Storage to "cookie"`)
	// errMessagesNotStored is Django's error, with DEBUG, when the storage
	// had to drop messages.
	errMessagesNotStored = errors.New("Not all temporary messages could be stored.")
)

// MessageList is the request's messages (Django's request._messages, a
// message storage): those stored by earlier requests, read lazily when
// first iterated, and those added during this request. Iterating them
// (All) marks them used: the response stores only the messages added
// after that, so each message is shown once; messages never iterated are
// kept for a later request, across redirects. It is not safe for
// concurrent use, like the Request.
type MessageList struct {
	l *messageLayer
	r *manouche.Request

	loaded   []Message
	isLoaded bool
	queued   []Message
	// level is the minimum level added; 0 means LevelInfo.
	level int

	used, addedNew bool
	// badCookie: the cookie storage read a cookie it could not trust.
	badCookie bool
	done      bool
}

type (
	messageLayerKey struct{}
	messageListKey  struct{}
)

// MessagesFrom returns the request's messages, or nil when the request did
// not go through the messages middleware (Messages). The methods of a nil
// *MessageList report that, and All returns nothing.
func MessagesFrom(r *manouche.Request) *MessageList {
	if r == nil || r.Context() == nil {
		return nil
	}
	scope := manouche.ScopeFrom(r.Context())
	if scope == nil {
		return nil
	}
	v, ok := scope.Load(messageLayerKey{})
	if !ok {
		return nil
	}
	l := v.(*messageLayer)
	v, ok = scope.LoadOrStore(messageListKey{}, func() any { return &MessageList{l: l, r: r} })
	if !ok {
		return nil
	}
	return v.(*MessageList)
}

// AddMessage adds a message to the request's messages, Django's
// messages.add_message; extraTags are joined with spaces. It fails when
// the request did not go through the messages middleware.
func AddMessage(r *manouche.Request, level int, text string, extraTags ...string) error {
	return MessagesFrom(r).Add(level, text, extraTags...)
}

// Add adds a message for the next page that shows messages. An empty text,
// or a level below Level, adds nothing (Django).
func (m *MessageList) Add(level int, text string, extraTags ...string) error {
	if m == nil {
		return errMessagesNoMiddleware
	}
	if m.done {
		return errMessagesDone
	}
	if text == "" || level < m.Level() {
		return nil
	}
	m.addedNew = true
	m.queued = append(m.queued, Message{Level: level, Text: text, ExtraTags: strings.Join(extraTags, " ")})
	return nil
}

// Debug adds a message of LevelDebug (dropped unless SetLevel lowered the
// minimum level).
func (m *MessageList) Debug(text string, extraTags ...string) error {
	return m.Add(LevelDebug, text, extraTags...)
}

// Info adds a message of LevelInfo.
func (m *MessageList) Info(text string, extraTags ...string) error {
	return m.Add(LevelInfo, text, extraTags...)
}

// Success adds a message of LevelSuccess.
func (m *MessageList) Success(text string, extraTags ...string) error {
	return m.Add(LevelSuccess, text, extraTags...)
}

// Warning adds a message of LevelWarning.
func (m *MessageList) Warning(text string, extraTags ...string) error {
	return m.Add(LevelWarning, text, extraTags...)
}

// Error adds a message of LevelError.
func (m *MessageList) Error(text string, extraTags ...string) error {
	return m.Add(LevelError, text, extraTags...)
}

// Level returns the minimum level of the messages added: the one SetLevel
// set, else Settings.Messages.Level, else LevelInfo (Django's get_level
// and MESSAGE_LEVEL).
func (m *MessageList) Level() int {
	switch {
	case m == nil:
		return LevelInfo
	case m.level != 0:
		return m.level
	case m.l != nil && m.l.level != 0:
		return m.l.level
	}
	return LevelInfo
}

// SetLevel sets the minimum level of the messages added for the rest of
// this request (Django's set_level); 0 restores the default.
func (m *MessageList) SetLevel(level int) {
	if m != nil {
		m.level = level
	}
}

// All returns the messages — the stored ones, then those added during
// this request — and marks them used, so the response does not keep them
// (Django's iteration of the storage). In a template:
//
//	{{range .messages.All}}<li class="{{.Tags}}">{{.Text}}</li>{{end}}
//
// On a nil *MessageList it returns nothing.
func (m *MessageList) All() ([]Message, error) {
	if m == nil {
		return nil, nil
	}
	if err := m.load(); err != nil {
		return nil, err
	}
	m.used = true
	if len(m.queued) > 0 {
		m.loaded = append(m.loaded, m.queued...)
		m.queued = nil
	}
	out := make([]Message, len(m.loaded))
	copy(out, m.loaded)
	return out, nil
}

// Len returns the number of messages, without marking them used (Django's
// len(storage)): {{if .messages.Len}} around a list.
func (m *MessageList) Len() (int, error) {
	if m == nil {
		return 0, nil
	}
	if err := m.load(); err != nil {
		return 0, err
	}
	return len(m.loaded) + len(m.queued), nil
}

// load reads the stored messages once.
func (m *MessageList) load() error {
	if m.isLoaded {
		return nil
	}
	var raw any
	if m.l.cookie {
		v, ok := m.r.Cookies()[m.l.cookieName]
		if ok {
			if err := m.l.signer.Loads(v, 0, &raw); err != nil {
				// Django: an untrusted cookie is dropped, and deleted by
				// the response.
				m.badCookie, m.used = true, true
				raw = nil
			}
		}
	} else {
		s := SessionFrom(m.r)
		if s == nil {
			return errMessagesNeedSession
		}
		v, _, err := s.Get(messageSessionKey)
		if err != nil {
			return fmt.Errorf("messages: reading the session: %w", err)
		}
		raw = v
	}
	m.loaded = decodeMessages(raw)
	m.isLoaded = true
	return nil
}

// encodeMessages turns messages into JSON-ready values: [level, text] or
// [level, text, extra tags] each.
func encodeMessages(msgs []Message) []any {
	out := make([]any, len(msgs))
	for i, msg := range msgs {
		if msg.ExtraTags == "" {
			out[i] = []any{msg.Level, msg.Text}
		} else {
			out[i] = []any{msg.Level, msg.Text, msg.ExtraTags}
		}
	}
	return out
}

// decodeMessages reads what encodeMessages made, as JSON decodes it,
// skipping anything else, keeping at most messageMaxStored (the newest).
func decodeMessages(raw any) []Message {
	list, _ := raw.([]any)
	if len(list) > messageMaxStored {
		list = list[len(list)-messageMaxStored:]
	}
	var out []Message
	for _, item := range list {
		fields, _ := item.([]any)
		if len(fields) < 2 || len(fields) > 3 {
			continue
		}
		level, ok := fields[0].(float64)
		if !ok || level != math.Trunc(level) || math.Abs(level) > 1<<31 {
			continue
		}
		text, ok := fields[1].(string)
		if !ok {
			continue
		}
		msg := Message{Level: int(level), Text: text}
		if len(fields) == 3 {
			if msg.ExtraTags, ok = fields[2].(string); !ok {
				continue
			}
		}
		out = append(out, msg)
	}
	return out
}

// Messages returns Django's MessageMiddleware: every request gets its
// MessageList (MessagesFrom, AddMessage), and the response phase stores
// the messages not yet shown for a later request, in the storage
// Settings.Messages.Storage names:
//
//   - "session" (the default): in the session, under "_messages"; the
//     session middleware (Sessions) must be listed before Messages, or
//     the first request that uses messages fails saying so;
//   - "cookie": in a cookie (Settings.Messages.CookieName, "messages"),
//     signed with Settings.SecretKey (package signing, salt
//     "manouche.middleware.messages"; building the handler fails without
//     a key), a browser-session cookie with the domain, Secure, HttpOnly
//     and SameSite of the session cookie settings. Its value is kept
//     within 2048 bytes by dropping the oldest messages, as Django's
//     CookieStorage; a bad cookie is ignored, and deleted once read.
//
// Either storage keeps at most 100 messages, dropping the oldest; with
// Settings.Debug a response that had to drop some fails with Django's
// "Not all temporary messages could be stored.". The minimum level is
// LevelInfo (Django's MESSAGE_LEVEL default), changed per request with
// SetLevel. A request that never touches its messages costs no storage
// access. Messages added after the response phase (by a layer listed
// before Messages) are lost.
func Messages() Factory {
	return func(next Handler) (Middleware, error) {
		if next == nil {
			return nil, errors.New("get_response must be provided.")
		}
		l := &messageLayer{next: next}
		l.self = func() any { return l }
		if err := l.configure(&manouche.Settings{}); err != nil {
			return nil, err
		}
		return l, nil
	}
}

// messageLayer is the built messages middleware.
type messageLayer struct {
	next Handler
	self func() any

	cookie     bool // the cookie storage, else the session one
	cookieName string
	signer     signing.TimestampSigner
	domain     string
	secure     bool
	httpOnly   bool
	sameSite   http.SameSite
	debug      bool
	level      int // Settings.Messages.Level; 0: LevelInfo
}

// Name names the layer in messages.
func (l *messageLayer) Name() string { return "middleware.Messages" }

func (l *messageLayer) configure(s *manouche.Settings) error {
	switch s.Messages.Storage {
	case "", "session":
		l.cookie = false
	case "cookie":
		l.cookie = true
	default:
		return manouche.Improperlyf("Settings.Messages.Storage is %q: it must be \"session\" (the default) or \"cookie\" (MESSAGE_STORAGE).", s.Messages.Storage)
	}
	l.cookieName = s.Messages.CookieName
	if l.cookieName == "" {
		l.cookieName = messageDefaultCookieName
	}
	l.signer = signing.TimestampSigner{Key: s.SecretKey, Salt: messageCookieSalt, FallbackKeys: s.SecretKeyFallbacks}
	if s.Messages.Level < 0 {
		return manouche.Improperlyf("Settings.Messages.Level is %d: it must be 0 (INFO) or a positive level (MESSAGE_LEVEL).", s.Messages.Level)
	}
	l.level = s.Messages.Level
	l.domain = s.Session.CookieDomain
	l.secure = s.Session.CookieSecure
	l.httpOnly = !s.Session.DisableCookieHTTPOnly
	l.sameSite = s.Session.CookieSameSite
	if l.sameSite == 0 {
		l.sameSite = http.SameSiteLaxMode
	}
	l.debug = s.Debug
	return nil
}

// Configure reads Settings.Messages; the cookie storage needs
// Settings.SecretKey.
func (l *messageLayer) Configure(s *manouche.Settings) error {
	if err := l.configure(s); err != nil {
		return err
	}
	if l.cookie && s.SecretKey == "" {
		return manouche.Improperlyf("The SECRET_KEY setting must not be empty: the cookie message storage (Settings.Messages.Storage \"cookie\") signs its cookie with Settings.SecretKey.")
	}
	return nil
}

// Serve makes the messages reachable, calls the next layer and stores
// what is left.
func (l *messageLayer) Serve(r *manouche.Request) (*manouche.Response, error) {
	scope := manouche.ScopeFrom(r.Context())
	if scope != nil {
		scope.LoadOrStore(messageLayerKey{}, l.self)
	}
	resp := l.next(r)
	if scope == nil {
		return resp, nil
	}
	v, ok := scope.Load(messageListKey{})
	if !ok {
		return resp, nil
	}
	m := v.(*MessageList)
	if m.l != l {
		return resp, nil
	}
	if err := l.update(r, resp, m); err != nil {
		return nil, err
	}
	return resp, nil
}

// update is Django's BaseStorage.update: after iteration only the messages
// added since are stored; without iteration, when messages were added,
// the stored ones and the new ones.
func (l *messageLayer) update(r *manouche.Request, resp *manouche.Response, m *MessageList) error {
	defer func() { m.done = true }()
	var msgs []Message
	switch {
	case m.used:
		msgs = m.queued
	case m.addedNew:
		if err := m.load(); err != nil {
			return err
		}
		msgs = slices.Concat(m.loaded, m.queued)
	default:
		return nil
	}
	dropped := 0
	if len(msgs) > messageMaxStored {
		dropped = len(msgs) - messageMaxStored
		msgs = msgs[dropped:]
	}
	var err error
	if l.cookie {
		var n int
		n, err = l.storeCookie(r, resp, msgs)
		dropped += n
	} else {
		err = l.storeSession(r, msgs)
	}
	if err != nil {
		return err
	}
	if dropped > 0 && l.debug {
		return errMessagesNotStored
	}
	return nil
}

func (l *messageLayer) storeSession(r *manouche.Request, msgs []Message) error {
	s := SessionFrom(r)
	if s == nil {
		return errMessagesNeedSession
	}
	var err error
	if len(msgs) == 0 {
		// Only a session that holds messages changes.
		if _, ok, gerr := s.Get(messageSessionKey); gerr != nil || ok {
			err = errors.Join(gerr, s.Delete(messageSessionKey))
		}
	} else {
		err = s.Set(messageSessionKey, encodeMessages(msgs))
	}
	if err != nil {
		return fmt.Errorf("messages: storing in the session: %w", err)
	}
	return nil
}

// storeCookie sets the messages cookie, dropping the oldest messages until
// it fits in messageCookieMaxLen, or deletes it when nothing is left; it
// returns how many it dropped.
func (l *messageLayer) storeCookie(r *manouche.Request, resp *manouche.Response, msgs []Message) (int, error) {
	dropped := 0
	for len(msgs) > 0 {
		v, err := l.signer.Dumps(encodeMessages(msgs), true)
		if err != nil {
			return dropped, fmt.Errorf("messages: encoding the cookie: %w", err)
		}
		if len(v) <= messageCookieMaxLen {
			resp.SetCookie(&http.Cookie{
				Name: l.cookieName, Value: v, Path: "/", Domain: l.domain,
				Secure: l.secure, HttpOnly: l.httpOnly, SameSite: l.sameSite,
			})
			return dropped, nil
		}
		msgs = msgs[1:]
		dropped++
	}
	if _, had := r.Cookies()[l.cookieName]; had {
		resp.DeleteCookie(l.cookieName, "/", l.domain, l.sameSite)
	}
	return dropped, nil
}

// MessageLevels is the "DEFAULT_MESSAGE_LEVELS" value of
// MessagesProcessor: the levels by name, for comparisons in templates
// ({{if eq .Level $.DEFAULT_MESSAGE_LEVELS.ERROR}}).
type MessageLevels struct{ DEBUG, INFO, SUCCESS, WARNING, ERROR int }

// messageLevels is boxed once: an interface holding a struct cannot be
// changed through it.
var messageLevels any = MessageLevels{LevelDebug, LevelInfo, LevelSuccess, LevelWarning, LevelError}

// MessagesProcessor is Django's messages context processor, for
// templates.Config.ContextProcessors: it adds "messages", the request's
// *MessageList (nil without the middleware, which lists nothing), and
// "DEFAULT_MESSAGE_LEVELS", a MessageLevels. Nothing is read until the template asks:
//
//	{{with .messages.All}}<ul class="messages">
//	  {{range .}}<li class="{{.Tags}}">{{.Text}}</li>{{end}}
//	</ul>{{end}}
//
// .messages.All marks the messages used (shown once); .messages.Len
// counts them without.
func MessagesProcessor(r *manouche.Request, ctx map[string]any) error {
	ctx["messages"] = MessagesFrom(r)
	ctx["DEFAULT_MESSAGE_LEVELS"] = messageLevels
	return nil
}
