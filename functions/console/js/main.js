// The console's entry point: loads the translations, restores the session,
// and shows the screen the address names.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import * as api from './api.js';
import { chosenLanguage, language, loadLanguage, preferredLanguage, t } from './i18n.js';
import { navigate, useRoute } from './router.js';
import { announce, html, Toaster } from './ui.js';
import { Shell } from './shell.js';
import { Login, Setup, Signup } from './screens/auth.js';
import { screenFor } from './routes.js';

function App() {
  const route = useRoute();
  const [lang, setLang] = useState(language());
  const [me, setMe] = useState(null);
  const [booting, setBooting] = useState(!!api.session());

  async function loadMe() {
    const s = api.session();
    const [user, account] = await Promise.all([api.get(`/v1/users/${api.seg(s.userId)}`), api.get('/v1/account')]);
    setMe({ session: s, user, account });
    if (!chosenLanguage() && user.language && user.language !== language()) {
      await loadLanguage(user.language, false);
      setLang(user.language);
    }
  }

  useEffect(() => {
    api.onUnauthorized(() => {
      setMe(null);
      navigate('/login');
    });
    if (!api.session()) return;
    loadMe()
      .catch(() => api.clearSession())
      .finally(() => setBooting(false));
  }, []);

  // signedIn opens the session; without a next screen the user lands on
  // the screen the address named before the login (a bookmark).
  async function signedIn(session, next) {
    api.setSession(session);
    await loadMe();
    const asked = ['', 'login', 'signup', 'setup'].includes(route.parts[0] || '') ? '/' : route.path;
    navigate(next || asked);
  }

  async function changeLanguage(l) {
    await loadLanguage(l, true);
    setLang(l);
    if (me) {
      // The user's language is also the language of their e-mails.
      api.patch(`/v1/users/${api.seg(me.user.id)}`, { language: l }).catch(() => {});
    }
  }

  async function logout() {
    try {
      await api.del('/v1/sessions');
    } catch {
      // The session ends here either way.
    }
    api.clearSession();
    setMe(null);
    navigate('/login');
    announce(t('auth.loggedOut'));
  }

  const refreshMe = () => loadMe().catch(() => {});
  const name = route.parts[0] || '';
  let screen;
  if (booting) {
    screen = html`<p class="loading" role="status">${t('common.loading')}</p>`;
  } else if (name === 'setup') {
    screen = html`<${Setup} token=${route.query.get('token') || ''} onSignedIn=${signedIn} />`;
  } else if (!me) {
    screen = name === 'signup' ? html`<${Signup} onSignedIn=${signedIn} />` : html`<${Login} onSignedIn=${signedIn} />`;
  } else {
    screen = screenFor(route, me, refreshMe);
  }
  return html`<${Shell} me=${me} route=${route} lang=${lang} onLanguage=${changeLanguage} onLogout=${logout}>${screen}<//>
    <${Toaster} />`;
}

async function start() {
  await loadLanguage(preferredLanguage(), false);
  render(html`<${App} />`, document.getElementById('app'));
}

start();
