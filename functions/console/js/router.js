// Hash routing: the page is always "/", so the console works from any
// static host without rewrite rules, and the welcome e-mail's link
// (#/setup?token=...) opens the right screen.
import { useEffect, useState } from 'preact/hooks';

export function parse(hash = location.hash) {
  const [path, query] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { path: '/' + parts.join('/'), parts, query: new URLSearchParams(query || '') };
}

export function navigate(path) {
  if (location.hash !== '#' + path) location.hash = '#' + path;
}

export function href(path) {
  return '#' + path;
}

export function useRoute() {
  const [route, setRoute] = useState(parse());
  useEffect(() => {
    const changed = () => setRoute(parse());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
