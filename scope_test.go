package manouche_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/manouche/manouche"
)

func TestScope(t *testing.T) {
	if manouche.ScopeFrom(context.Background()) != nil {
		t.Fatal("a bare context carries a scope")
	}
	ctx, s := manouche.NewScope(context.Background())
	if manouche.ScopeFrom(ctx) != s || manouche.ScopeFrom(context.WithoutCancel(ctx)) != s {
		t.Fatal("the scope is not found through the context and its derivatives")
	}
	_, other := manouche.NewScope(ctx)
	if other == s {
		t.Fatal("NewScope returned the same scope twice")
	}
	if _, ok := s.Load("k"); ok {
		t.Fatal("an empty scope has a value")
	}
	var created atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, ok := s.LoadOrStore("k", func() any { created.Add(1); return new(int) })
			if v == nil || !ok {
				t.Error("nil value")
			}
		}()
	}
	wg.Wait()
	if created.Load() != 1 {
		t.Fatalf("create ran %d times, want 1", created.Load())
	}
	if _, ok := other.Load("k"); ok {
		t.Fatal("a value leaked into another scope")
	}

	// A finished scope keeps what it holds and stores nothing new.
	s.Finish()
	s.Finish()
	if !s.Finished() {
		t.Fatal("Finished is false after Finish")
	}
	if v, ok := s.LoadOrStore("k", func() any { return "new" }); !ok || v == "new" {
		t.Fatalf("after Finish, the existing value: %v, %v", v, ok)
	}
	if v, ok := s.LoadOrStore("other", func() any { return "new" }); ok || v != nil {
		t.Fatalf("after Finish, a new key was stored: %v, %v", v, ok)
	}
}

// Values stored from many goroutines, past the scope's inline entries,
// are each found by every later Load, from any goroutine, while others
// are being stored.
func TestScopeConcurrentKeys(t *testing.T) {
	_, s := manouche.NewScope(context.Background())
	type key int
	const keys = 20
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range keys {
				v, ok := s.LoadOrStore(key(k), func() any { return k * 10 })
				if !ok || v != k*10 {
					t.Errorf("LoadOrStore(%d) = %v, %v", k, v, ok)
					return
				}
				for j := 0; j <= k; j++ {
					if v, ok := s.Load(key(j)); !ok || v != j*10 {
						t.Errorf("Load(%d) after storing %d = %v, %v", j, k, v, ok)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if _, ok := s.Load(key(keys)); ok {
		t.Fatal("a key never stored was found")
	}
}

// Loads take no lock: readers that poll for keys while one goroutine
// stores them, past the inline entries, see each value whole, and never a
// key before it is stored (run with -race: publication is by atomics).
func TestScopeReadersDuringStores(t *testing.T) {
	_, s := manouche.NewScope(context.Background())
	type key int
	const keys = 20
	var stored atomic.Int64 // keys fully stored, as the writer knows it
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(10 * time.Second)
			for k := 0; k < keys; {
				before := stored.Load()
				v, ok := s.Load(key(k))
				if !ok {
					if int64(k) < before {
						t.Errorf("Load(%d) missed a key stored before it began", k)
						return
					}
					if time.Now().After(deadline) {
						t.Errorf("key %d never appeared", k)
						return
					}
					runtime.Gosched()
					continue
				}
				if v != k*10 {
					t.Errorf("Load(%d) = %v, want %d", k, v, k*10)
					return
				}
				k++
			}
		}()
	}
	for k := range keys {
		if _, ok := s.LoadOrStore(key(k), func() any { return k * 10 }); !ok {
			t.Fatalf("LoadOrStore(%d) refused", k)
		}
		stored.Add(1)
	}
	wg.Wait()
}
