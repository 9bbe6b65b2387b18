package verify

import (
	"bufio"
	"compress/gzip"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// withCache runs f with the caches on or off, emptied first.
func withCache(t testing.TB, on bool, f func()) {
	t.Helper()
	old := cacheEnabled
	cacheEnabled = on
	sigCache.Lock()
	clear(sigCache.m)
	sigCache.Unlock()
	verifyCache.Lock()
	clear(verifyCache.m)
	verifyCache.Unlock()
	defer func() { cacheEnabled = old }()
	f()
}

type limboCase struct {
	ID            string  `json:"id"`
	LeafPEM       string  `json:"leaf_pem"`
	Intermediates string  `json:"intermediates_pem"`
	RootsPEM      string  `json:"roots_pem"`
	Host          *string `json:"host"`
	At            *string `json:"at"`
}

type diffCase struct {
	id    string
	certs []*x509.Certificate
	store *truststore.Store
	opts  Options
}

// TestCacheKeepsAnswersLimbo checks every x509-limbo and BetterTLS testcase
// with and without the caches and wants the same outcome. Testcases with
// the same roots share one store, so the many leaves under one CA hit the
// cache, as the sites of a fleet do; the cached run goes over the cases
// twice, the second time mostly from the cache.
func TestCacheKeepsAnswersLimbo(t *testing.T) {
	path := filepath.Join(sharedDir(t), "conformance", "limbo-server-subset.jsonl.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("limbo suite not found: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	stores := map[string]*truststore.Store{}
	var cases []diffCase
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for n := 0; sc.Scan(); n++ {
		var c limboCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		if step := limboStep(); n%step != 0 {
			continue
		}
		certs, err := truststore.ParseCertificates([]byte(c.LeafPEM))
		if err != nil || len(certs) == 0 {
			continue
		}
		if inter, err := truststore.ParseCertificates([]byte(c.Intermediates)); err == nil {
			certs = append(certs, inter...)
		}
		s, ok := stores[c.RootsPEM]
		if !ok {
			roots, err := truststore.ParseCertificates([]byte(c.RootsPEM))
			if err != nil {
				continue
			}
			var rs []*truststore.Root
			for _, r := range roots {
				rs = append(rs, &truststore.Root{Name: r.Subject.CommonName, Cert: r})
			}
			s = truststore.New("limbo", "", rs)
			stores[c.RootsPEM] = s
		}
		opts := Options{At: now, WebPKI: true}
		if c.At != nil {
			if at, err := time.Parse(time.RFC3339Nano, *c.At); err == nil {
				opts.At = at
			}
		}
		if c.Host != nil {
			opts.Host = *c.Host
		} else {
			opts.SkipHostname = true
		}
		cases = append(cases, diffCase{id: c.ID, certs: certs, store: s, opts: opts})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 100 {
		t.Fatalf("read only %d testcases", len(cases))
	}
	t.Logf("%d testcases over %d stores", len(cases), len(stores))
	want := make([]Outcome, len(cases))
	withCache(t, false, func() {
		for i, c := range cases {
			want[i] = Check(c.certs, []*truststore.Store{c.store}, c.opts)
		}
	})
	hits := verifyHits.Load() + unreachableHits.Load()
	withCache(t, true, func() {
		for pass := range 2 {
			for i, c := range cases {
				got := Check(c.certs, []*truststore.Store{c.store}, c.opts)
				if !reflect.DeepEqual(got, want[i]) {
					t.Errorf("pass %d: %s: with the cache\n%+v\nwithout\n%+v", pass, c.id, got, want[i])
				}
			}
		}
	})
	// Most testcases are about name constraints, which the cache leaves to
	// crypto/x509; the rest must be answered from it the second time.
	if h := verifyHits.Load() + unreachableHits.Load() - hits; h == 0 {
		t.Errorf("no answer from the cache over %d testcases checked twice: the cache is not exercised", len(cases))
	} else {
		t.Logf("%d answers from the cache", h)
	}
}

// limboStep is every how many testcases the differential test takes: every
// third (every thirtieth with -short); CERTGATE_LIMBO_ALL=1 takes all.
func limboStep() int {
	switch {
	case os.Getenv("CERTGATE_LIMBO_ALL") != "":
		return 1
	case testing.Short():
		return 30
	}
	return 3
}

// TestCacheKeepsAnswers checks leaves that differ in every way the cache
// must notice, under one CA, in both orders, with and without the caches.
func TestCacheKeepsAnswers(t *testing.T) {
	at := testpki.Epoch
	root := testpki.NewRoot(t, "Cache Root")
	inter := root.Intermediate(t, "Cache Intermediate")
	old := root.Intermediate(t, "Cache Intermediate", testpki.Validity(at.AddDate(-3, 0, 0), at.AddDate(-1, 0, 0)))
	other := testpki.NewRoot(t, "Other Root")
	constrained := root.Intermediate(t, "Constrained Intermediate", func(c *x509.Certificate) {
		c.PermittedDNSDomains = []string{"example.test"}
	})
	leaves := [][]*x509.Certificate{
		{inter.Leaf(t, testpki.DNS("a.example.test")).Cert, inter.Cert},
		{inter.Leaf(t, testpki.DNS("b.example.test")).Cert, inter.Cert},
		{inter.Leaf(t, testpki.DNS("c.example.test"), testpki.Validity(at.AddDate(-2, 0, 0), at.AddDate(0, 0, -1))).Cert, inter.Cert},
		{inter.Leaf(t, testpki.DNS("d.example.test"), testpki.Validity(at.AddDate(0, 0, 1), at.AddDate(1, 0, 0))).Cert, inter.Cert},
		{inter.Leaf(t, testpki.DNS("e.example.test"), func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} }).Cert, inter.Cert},
		{inter.Leaf(t, testpki.DNS("f.example.test")).Cert, old.Cert},
		{inter.Leaf(t, testpki.DNS("g.example.test")).Cert},
		{other.Leaf(t, testpki.DNS("h.example.test")).Cert, inter.Cert},
		{constrained.Leaf(t, testpki.DNS("i.example.test")).Cert, constrained.Cert},
		{constrained.Leaf(t, testpki.DNS("j.other.test")).Cert, constrained.Cert},
		{root.Leaf(t, testpki.DNS("k.example.test")).Cert},
		{inter.Leaf(t, testpki.DNS("l.example.test"), testpki.Validity(at.AddDate(0, -6, 0), at.AddDate(0, 0, 10))).Cert, inter.Cert, root.Cert},
	}
	store := truststore.New("cache", "", []*truststore.Root{{Name: "Cache Root", Cert: root.Cert}})
	both := []*truststore.Store{store, truststore.New("other", "", []*truststore.Root{{Name: "Other Root", Cert: other.Cert}})}
	hits, unreachable := verifyHits.Load(), unreachableHits.Load()
	defer func() {
		if verifyHits.Load() == hits || unreachableHits.Load() == unreachable {
			t.Error("no answer came from the cache: the cache is not exercised")
		}
	}()
	for _, stores := range [][]*truststore.Store{{store}, both} {
		for _, when := range []time.Time{at, at.AddDate(0, 0, 20), at.AddDate(2, 0, 0)} {
			opts := Options{At: when, WarnDays: 30, WebPKI: true}
			want := make([]Outcome, len(leaves))
			withCache(t, false, func() {
				for i, certs := range leaves {
					opts.Host = certs[0].DNSNames[0]
					want[i] = Check(certs, stores, opts)
				}
			})
			withCache(t, true, func() {
				for _, order := range [][]int{ascending(len(leaves)), descending(len(leaves))} {
					for _, i := range order {
						opts.Host = leaves[i][0].DNSNames[0]
						if got := Check(leaves[i], stores, opts); !reflect.DeepEqual(got, want[i]) {
							t.Errorf("leaf %d at %s: with the cache\n%+v\nwithout\n%+v", i, when, got, want[i])
						}
					}
				}
			})
		}
	}
}

func ascending(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func descending(n int) []int {
	s := ascending(n)
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
	return s
}

// benchChains are n leaves under one intermediate, as a fleet behind one CA.
func benchChains(b *testing.B, n int) ([][]*x509.Certificate, []*truststore.Store) {
	root := testpki.NewRoot(b, "Bench Root")
	inter := root.Intermediate(b, "Bench Intermediate")
	chains := make([][]*x509.Certificate, n)
	for i := range chains {
		chains[i] = []*x509.Certificate{inter.Leaf(b, testpki.DNS("site.example.test")).Cert, inter.Cert}
	}
	mozilla, err := truststore.Load("mozilla")
	if err != nil {
		b.Fatal(err)
	}
	own := truststore.New("bench", "", []*truststore.Root{{Name: "Bench Root", Cert: root.Cert}})
	return chains, []*truststore.Store{mozilla, own}
}

func benchVerify(b *testing.B, cached bool) {
	chains, stores := benchChains(b, 256)
	opts := Options{At: testpki.Epoch, WarnDays: 30, Host: "site.example.test"}
	withCache(b, cached, func() {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			r := Check(chains[i%len(chains)], stores, opts).Result()
			if !r.Trust["bench"].Trusted {
				b.Fatalf("not trusted: %+v", r.Problems)
			}
			i++
		}
	})
}

// BenchmarkVerifyUncached validates distinct leaves under one CA, against
// the Mozilla store and the CA's own, without the caches: every chain
// redoes the intermediate's checks.
func BenchmarkVerifyUncached(b *testing.B) { benchVerify(b, false) }

// BenchmarkVerifyCached is BenchmarkVerifyUncached with the caches: each
// chain costs its own leaf's signature check.
func BenchmarkVerifyCached(b *testing.B) { benchVerify(b, true) }

// TestCacheKeyedByStoreContent: the cache knows a store by its roots, not
// by its address: a second store with the same roots shares the answers,
// and one with other roots under the same name does not.
func TestCacheKeyedByStoreContent(t *testing.T) {
	root := testpki.NewRoot(t, "Content Root")
	inter := root.Intermediate(t, "Content CA")
	other := testpki.NewRoot(t, "Content Other Root")
	opts := Options{At: testpki.Epoch, Host: "example.test"}
	chain := func() []*x509.Certificate { return []*x509.Certificate{inter.Leaf(t).Cert, inter.Cert} }
	withCache(t, true, func() {
		a := storeOf("content", root.Cert)
		Check(chain(), []*truststore.Store{a}, opts) // the first leaf of its class
		Check(chain(), []*truststore.Store{a}, opts) // remembered
		hits := verifyHits.Load()
		same := storeOf("content", root.Cert)
		if r := Check(chain(), []*truststore.Store{same}, opts).Result(); r.Status != result.StatusOK {
			t.Fatalf("same roots: %s %s", r.Status, r.Detail)
		}
		if verifyHits.Load() == hits {
			t.Errorf("a store with the same roots did not share the cached answer")
		}
		hits = verifyHits.Load()
		diff := storeOf("content", other.Cert)
		if r := Check(chain(), []*truststore.Store{diff}, opts).Result(); r.Status != result.StatusFail || r.Code != result.CodeNoPath {
			t.Errorf("other roots, same name: %s %d (%s), want fail 11237", r.Status, r.Code, r.Detail)
		}
		if verifyHits.Load() != hits {
			t.Errorf("a store with other roots was answered from the cache")
		}
	})
}

// TestStoreDigestMemo checks that a store's digest is computed once, not per
// chain (it was a quarter of a run's allocations), and that it still follows
// the store's roots when they change.
func TestStoreDigestMemo(t *testing.T) {
	a, b := testpki.NewRoot(t, "Digest A"), testpki.NewRoot(t, "Digest B")
	ra := &truststore.Root{Name: "A", Cert: a.Cert}
	rb := &truststore.Root{Name: "B", Cert: b.Cert}
	tests := []struct {
		name  string
		edit  func(s *truststore.Store)
		roots []*truststore.Root
	}{
		{"unchanged", func(*truststore.Store) {}, []*truststore.Root{ra}},
		{"root added", func(s *truststore.Store) { s.Roots = append(s.Roots, rb) }, []*truststore.Root{ra, rb}},
		{"root replaced", func(s *truststore.Store) { s.Roots = []*truststore.Root{rb} }, []*truststore.Root{rb}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := truststore.New("digest", "", []*truststore.Root{ra})
			storeDigest(s)
			tt.edit(s)
			want := computeStoreDigest(truststore.New("fresh", "", tt.roots))
			if got := storeDigest(s); got != want {
				t.Errorf("storeDigest after edit = %x, want %x (a fresh store with the same roots)", got, want)
			}
			if allocs := testing.AllocsPerRun(100, func() { storeDigest(s) }); allocs != 0 {
				t.Errorf("storeDigest of a store already seen allocates %v times per call, want 0", allocs)
			}
		})
	}
}
