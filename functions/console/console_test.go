package console

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandler(t *testing.T) {
	h := Handler()
	assets := AssetPath()
	cases := []struct {
		name, method, path string
		status             int
		contentType        string
		cache              string
		body               string
	}{
		{"page at root", "GET", "/", 200, "text/html; charset=utf-8", IndexCacheControl, `<script type="module" src="` + assets + `js/main.js">`},
		{"page by name", "GET", "/index.html", 200, "text/html; charset=utf-8", IndexCacheControl, "<!doctype html>"},
		{"head of page", "HEAD", "/", 200, "text/html; charset=utf-8", IndexCacheControl, ""},
		{"module", "GET", assets + "js/main.js", 200, "text/javascript; charset=utf-8", AssetCacheControl, "import"},
		{"vendored module", "GET", assets + "vendor/preact-11.2.0/preact.js", 200, "text/javascript; charset=utf-8", AssetCacheControl, ""},
		{"style", "GET", assets + "app.css", 200, "text/css; charset=utf-8", AssetCacheControl, ":root"},
		{"translations", "GET", assets + "i18n/de.json", 200, "application/json", AssetCacheControl, `"nav.users": "Benutzer"`},
		{"icon", "GET", assets + "icon.svg", 200, "image/svg+xml", AssetCacheControl, "<svg"},
		{"licence", "GET", assets + "vendor/htm-3.1.1/LICENSE", 200, "text/plain; charset=utf-8", AssetCacheControl, "Apache"},
		{"template is not an asset", "GET", assets + "index.html", 404, "", "no-store", ""},
		{"unknown asset", "GET", assets + "js/nope.js", 404, "", "no-store", ""},
		{"another release", "GET", "/v/0123456789abcdef/js/main.js", 404, "", "no-store", ""},
		{"unversioned asset", "GET", "/js/main.js", 404, "", "no-store", ""},
		{"go source", "GET", assets + "console.go", 404, "", "no-store", ""},
		{"post", "POST", "/", 405, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.method, tc.path, nil)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			if tc.contentType != "" && rec.Header().Get("Content-Type") != tc.contentType {
				t.Errorf("Content-Type %q, want %q", rec.Header().Get("Content-Type"), tc.contentType)
			}
			if tc.cache != "" && rec.Header().Get("Cache-Control") != tc.cache {
				t.Errorf("Cache-Control %q, want %q", rec.Header().Get("Cache-Control"), tc.cache)
			}
			if !strings.Contains(rec.Body.String(), tc.body) {
				t.Errorf("body does not contain %q", tc.body)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
		})
	}
	t.Run("revalidation", func(t *testing.T) {
		etag := get(t, h, "GET", "/", nil).Header().Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		if rec := get(t, h, "GET", "/", map[string]string{"If-None-Match": etag}); rec.Code != http.StatusNotModified {
			t.Errorf("status %d, want 304", rec.Code)
		}
	})
}

// The console is mounted at "/" of the API's mux; the API's paths must
// still reach the API.
func TestMountedBesideAPI(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/v1/users", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("users")) })
	mux.Handle("/", Handler())
	for path, want := range map[string]string{"/healthz": "ok", "/v1/users": "users", "/": "<!doctype html>"} {
		if body := get(t, mux, "GET", path, nil).Body.String(); !strings.Contains(body, want) {
			t.Errorf("GET %s answered %.60q, want %q", path, body, want)
		}
	}
}

func TestIndex(t *testing.T) {
	page := string(Index())
	if strings.Contains(page, "{{") {
		t.Errorf("unfilled placeholder in page:\n%s", page)
	}
	m := regexp.MustCompile(`<script type="importmap">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no import map")
	}
	sum := sha256.Sum256([]byte(m[1]))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(page, want) {
		t.Errorf("the content security policy does not allow the import map by its hash %s", want)
	}
	var importMap struct{ Imports map[string]string }
	if err := json.Unmarshal([]byte(m[1]), &importMap); err != nil {
		t.Fatalf("import map: %v", err)
	}
	for spec, target := range importMap.Imports {
		if rec := get(t, Handler(), "GET", target, nil); rec.Code != 200 {
			t.Errorf("import map %s -> %s: status %d", spec, target, rec.Code)
		}
	}
	for _, want := range []string{"preact", "preact/hooks", "htm"} {
		if _, ok := importMap.Imports[want]; !ok {
			t.Errorf("import map lacks %s", want)
		}
	}
	if !regexp.MustCompile(`^/v/[0-9a-f]{16}/$`).MatchString(AssetPath()) {
		t.Errorf("AssetPath %q", AssetPath())
	}
}

// Without a build step nothing else finds a module path with a typo:
// every relative import of every module must name an embedded file.
func TestImportsResolve(t *testing.T) {
	imp := regexp.MustCompile(`(?m)^\s*(?:import|export)\s+(?:[^'"\n;]*?\s+from\s+)?['"]([^'"]+)['"]`)
	bare := map[string]bool{"preact": true, "preact/hooks": true, "htm": true}
	for _, name := range moduleFiles(t) {
		src, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range imp.FindAllStringSubmatch(string(src), -1) {
			spec := m[1]
			if bare[spec] {
				continue
			}
			if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
				t.Errorf("%s imports %q: only relative paths and the import map's names work", name, spec)
				continue
			}
			target := path.Join(path.Dir(name), spec)
			if _, err := fs.Stat(files, target); err != nil {
				t.Errorf("%s imports %q: %v", name, spec, err)
			}
		}
	}
}

func moduleFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := fs.WalkDir(files, "js", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".js") {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readStrings(t *testing.T, lang string) map[string]string {
	t.Helper()
	data, err := fs.ReadFile(files, "i18n/"+lang+".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("i18n/%s.json: %v", lang, err)
	}
	return m
}

var (
	placeholder = regexp.MustCompile(`\{(\w+)\}`)
	dynamicKey  = regexp.MustCompile("\\bt\\(\\s*`")
)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestTranslations fails on a key missing in either language, on a key the
// modules use that no file has, on a key nothing uses, and on placeholders
// that differ between the languages.
func TestTranslations(t *testing.T) {
	de, en := readStrings(t, "de"), readStrings(t, "en")
	for _, c := range []struct {
		lang        string
		have, other map[string]string
	}{{"de", de, en}, {"en", en, de}} {
		for k := range c.other {
			if _, ok := c.have[k]; !ok {
				t.Errorf("i18n/%s.json lacks %q", c.lang, k)
			}
		}
		for k, v := range c.have {
			if strings.TrimSpace(v) == "" {
				t.Errorf("i18n/%s.json: %q is empty", c.lang, k)
			}
		}
	}
	for k, v := range de {
		if w, ok := en[k]; ok && !slices.Equal(placeholders(v), placeholders(w)) {
			t.Errorf("%q: placeholders %v in German, %v in English", k, placeholders(v), placeholders(w))
		}
	}

	// Keys are written as string literals in the modules, either in a
	// t('...') call or in a table that is later passed to t. A literal
	// whose first part is a namespace of the translation files is a key.
	namespaces := map[string]bool{}
	for k := range de {
		namespaces[strings.Split(k, ".")[0]] = true
	}
	literal := regexp.MustCompile(`['"]([a-z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9]+)+)['"]`)
	used := map[string]bool{}
	for _, name := range moduleFiles(t) {
		src, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		if dynamicKey.MatchString(string(src)) {
			t.Errorf("%s builds a translation key at run time; write keys as literals so this test sees them", name)
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			key := m[1]
			if !namespaces[strings.Split(key, ".")[0]] {
				continue
			}
			used[key] = true
			for lang, strs := range map[string]map[string]string{"de": de, "en": en} {
				if _, ok := strs[key]; !ok {
					t.Errorf("%s uses %q, missing in i18n/%s.json", name, key, lang)
				}
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(de)) {
		if !used[k] {
			t.Errorf("i18n key %q is used nowhere", k)
		}
	}
}

// The vendored libraries are the files of their npm packages, unchanged.
func TestVendoredFiles(t *testing.T) {
	readme, err := os.ReadFile("vendor/README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| (\S+) \| [^|]+ \| ([0-9a-f]{64}) \|$`)
	rows := row.FindAllStringSubmatch(string(readme), -1)
	if len(rows) < 5 {
		t.Fatalf("vendor/README.md lists %d files with checksums", len(rows))
	}
	listed := map[string]bool{}
	for _, r := range rows {
		listed[r[1]] = true
		data, err := fs.ReadFile(files, "vendor/"+r[1])
		if err != nil {
			t.Errorf("%s: %v", r[1], err)
			continue
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != r[2] {
			t.Errorf("vendor/%s changed: sha256 %x, README says %s", r[1], sum, r[2])
		}
	}
	err = fs.WalkDir(files, "vendor", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != "vendor/README.md" && !listed[strings.TrimPrefix(p, "vendor/")] {
			t.Errorf("%s is not listed in vendor/README.md", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestContentType(t *testing.T) {
	for name, want := range map[string]string{
		"a.js": "text/javascript; charset=utf-8", "a.mjs": "text/javascript; charset=utf-8",
		"a.css": "text/css; charset=utf-8", "a.json": "application/json", "a.svg": "image/svg+xml",
		"index.html": "text/html; charset=utf-8", "LICENSE": "text/plain; charset=utf-8",
	} {
		if got := ContentType(name); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", name, got, want)
		}
	}
}
