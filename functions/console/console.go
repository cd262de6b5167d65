// Package console is Switchboard's web console: the static files of the
// single-page application that admins and users work in (plain ES modules
// with Preact and htm from vendor/, translations in i18n/), embedded so that
// the local stack serves them, and a Handler that serves them with the right
// content types and caching headers.
//
// The console is a client of the public /v1 API only. This package holds no
// API logic and talks to no store; infra/aws uploads the same files to S3
// behind CloudFront, laid out as Handler serves them: index.html at the
// root, every other file under AssetPath.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed index.html app.css icon.svg js i18n vendor
var files embed.FS

// Cache-Control values. index.html is revalidated on every load so that a
// new release is picked up at once; every other file lives under a prefix
// named after the content hash of all files, so it never changes and may be
// cached for a year.
const (
	IndexCacheControl = "no-cache"
	AssetCacheControl = "public, max-age=31536000, immutable"
)

// indexFile is the page template; it is served rendered, never as a file.
const indexFile = "index.html"

// site is the console as served: the rendered page and the assets by path.
type site struct {
	version string
	prefix  string
	index   []byte
	assets  map[string][]byte
}

// load reads the embedded files once; they cannot change while the
// program runs.
var load = sync.OnceValue(func() *site {
	s, err := newSite(files)
	if err != nil {
		// The files are embedded at build time and the tests read them,
		// so this only happens in a broken build.
		panic(fmt.Sprintf("console: %v", err))
	}
	return s
})

func newSite(fsys fs.FS) (*site, error) {
	s := &site{assets: map[string][]byte{}}
	var tmpl []byte
	sum := sha256.New()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		// The path is part of the hash: renaming a file is a new release.
		fmt.Fprintf(sum, "%s\x00%d\x00", p, len(data))
		sum.Write(data)
		if p == indexFile {
			tmpl = data
			return nil
		}
		s.assets[p] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read files: %w", err)
	}
	if tmpl == nil {
		return nil, fmt.Errorf("no %s", indexFile)
	}
	s.version = hex.EncodeToString(sum.Sum(nil))[:16]
	s.prefix = "/v/" + s.version + "/"
	s.index, err = render(tmpl, s.prefix)
	return s, err
}

// render fills the page template: the asset prefix, and a content security
// policy that allows only the console's own files plus the inline import
// map, by its hash.
func render(tmpl []byte, prefix string) ([]byte, error) {
	page := strings.ReplaceAll(string(tmpl), "{{assets}}", prefix)
	const open, end = `<script type="importmap">`, `</script>`
	i := strings.Index(page, open)
	if i < 0 {
		return nil, fmt.Errorf("%s has no import map", indexFile)
	}
	j := strings.Index(page[i+len(open):], end)
	if j < 0 {
		return nil, fmt.Errorf("%s: import map not closed", indexFile)
	}
	h := sha256.Sum256([]byte(page[i+len(open) : i+len(open)+j]))
	csp := "default-src 'self'; script-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'; " +
		"style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
		"object-src 'none'; base-uri 'none'; form-action 'self'"
	if !strings.Contains(page, "{{csp}}") {
		return nil, fmt.Errorf("%s has no place for the content security policy", indexFile)
	}
	return []byte(strings.ReplaceAll(page, "{{csp}}", csp)), nil
}

// Version is the content hash of the console's files; it names the folder
// the assets are served from.
func Version() string { return load().version }

// AssetPath is the path under which every file but the page is served,
// "/v/<version>/", with both slashes.
func AssetPath() string { return load().prefix }

// Index is the rendered page, as served at "/" and stored as index.html.
func Index() []byte { return bytes.Clone(load().index) }

// Handler serves the console: the page at "/" (and "/index.html"), the
// assets under AssetPath, and 404 for everything else, so that it can be
// mounted at "/" of a mux without answering for the API's paths, which
// are more specific patterns.
func Handler() http.Handler { return load() }

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/" || p == "/"+indexFile:
		s.serve(w, r, indexFile, s.index, IndexCacheControl)
	case strings.HasPrefix(p, s.prefix):
		name := strings.TrimPrefix(p, s.prefix)
		if data, ok := s.assets[name]; ok {
			s.serve(w, r, name, data, AssetCacheControl)
			return
		}
		notFound(w, r)
	default:
		notFound(w, r)
	}
}

func (s *site) serve(w http.ResponseWriter, r *http.Request, name string, data []byte, cache string) {
	h := w.Header()
	h.Set("Content-Type", ContentType(name))
	h.Set("Cache-Control", cache)
	h.Set("ETag", `"`+s.version+`"`)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

func notFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	http.NotFound(w, r)
}

// ContentType is the media type a console file is served with, by its
// extension. Module scripts must be served as JavaScript or browsers
// refuse them, so the list is explicit rather than left to the system's
// MIME tables.
func ContentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	default:
		return "text/plain; charset=utf-8"
	}
}
