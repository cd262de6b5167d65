// Journeys through the web console in a real browser: Debian's Chromium
// driven by playwright-core, against a local stack that
// tests/console/console_test.go starts (its URL and data folder come in
// SWITCHBOARD_CONSOLE_URL and SWITCHBOARD_DATA). The journeys run in order
// and share the account the first one signs up.
//
// Screenshots of every journey go to SWITCHBOARD_OUT (tests/out/console);
// with SWITCHBOARD_UPDATE_SCREENSHOTS=1 one screenshot per main screen is
// also written to tests/console/screenshots/, the ones kept in the
// repository.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { welcomeLink } from './outbox.mjs';
import { register } from './sip.mjs';

const BASE = process.env.SWITCHBOARD_CONSOLE_URL;
const DATA = process.env.SWITCHBOARD_DATA;
const OUT = process.env.SWITCHBOARD_OUT || 'tests/out/console';
const KEEP = process.env.SWITCHBOARD_UPDATE_SCREENSHOTS === '1' ? 'tests/console/screenshots' : '';
const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM || '/usr/bin/chromium';
const SIP_UDP = process.env.SWITCHBOARD_SIP_UDP;

assert.ok(BASE, 'SWITCHBOARD_CONSOLE_URL names the console of a running local stack');
assert.ok(DATA, 'SWITCHBOARD_DATA names the data folder of that stack');
assert.ok(SIP_UDP, 'SWITCHBOARD_SIP_UDP names the SIP UDP address of that stack');
mkdirSync(OUT, { recursive: true });
if (KEEP) mkdirSync(KEEP, { recursive: true });

const run = Date.now().toString(36);
const admin = { company: 'Acme GmbH', name: 'Ada Admin', email: `ada-${run}@acme.example`, password: 'correct horse battery' };
const bob = { name: 'Bob Builder', email: `bob-${run}@acme.example`, password: 'bobs own secret', phone: 'Tischtelefon', extension: '11' };
const state = {};

let browser;
let adminPage;

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // playwright-core gives every launch a fresh temporary user-data-dir.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
});

async function newPage(options = {}) {
  const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 860 }, ...options });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/Failed to load resource/.test(m.text()) && errors.push(m.text()));
  page.errors = errors;
  return page;
}

// shot saves a screenshot of the journey; keep names the screens whose
// picture is kept in the repository.
async function shot(page, journey, name, keep = '') {
  await page.screenshot({ path: join(OUT, `${journey}-${name}.png`), fullPage: true });
  if (KEEP && keep) {
    // Notes of earlier steps would cover the kept pictures. (Through the
    // CSSOM: the console's content security policy refuses inline styles.)
    const toasts = page.locator('.toasts');
    await toasts.evaluate((el) => (el.style.visibility = 'hidden'));
    await page.screenshot({ path: join(KEEP, `${keep}.png`), fullPage: page.viewportSize().width < 500 });
    await toasts.evaluate((el) => (el.style.visibility = ''));
  }
}

async function heading(page, text) {
  await page.getByRole('heading', { level: 1, name: text, exact: true }).waitFor();
}

async function nav(page, name) {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
}

function assertNoErrors(page) {
  assert.deepEqual(page.errors, [], 'no script errors in the page');
}

test('admin: sign up, create a user with the wizard, SIP credentials, a group, route a number, switch language', async () => {
  const page = await newPage();
  adminPage = page;
  const j = 'admin';
  await page.goto(BASE + '/');
  await heading(page, 'Anmelden');
  await shot(page, j, 'login', 'login');

  await page.getByRole('link', { name: 'Jetzt registrieren' }).click();
  await heading(page, 'Switchboard-Account eröffnen');
  await page.getByLabel('Firma').fill(admin.company);
  await page.getByLabel('Ihr Name').fill(admin.name);
  await page.getByLabel('E-Mail-Adresse').fill(admin.email);
  await page.getByLabel('Passwort').fill(admin.password);
  await shot(page, j, 'signup', 'signup');
  await page.getByRole('button', { name: 'Account eröffnen' }).click();
  await heading(page, `Willkommen, ${admin.name}!`);
  const numbers = await page.locator('ul.plain li').allTextContents();
  assert.equal(numbers.length, 5, 'five test numbers');
  assert.ok(numbers.every((n) => n.startsWith('+491801')), numbers.join());
  state.numbers = numbers;
  await shot(page, j, 'start', 'start');

  // The three steps of "+ User", as the guide describes them.
  await nav(page, 'Benutzer');
  await heading(page, 'Benutzer');
  await page.getByRole('link', { name: '+Benutzer' }).click();
  await heading(page, 'Neuer Benutzer');
  await page.getByRole('heading', { name: 'Schritt 1/3: Persönliche Daten' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill(bob.name);
  await page.getByLabel('E-Mail-Adresse').fill(bob.email);
  await page.getByLabel('Standort').fill('Berlin, Hauptstraße 1');
  assert.equal(await page.getByLabel('Administrationsrechte').isChecked(), false);
  await shot(page, j, 'wizard-1', 'wizard-step1');
  await page.getByRole('button', { name: 'Weiter zu Schritt 2/3' }).click();

  await page.getByRole('heading', { name: 'Schritt 2/3: Endpunkte' }).waitFor();
  await page.getByLabel('Bezeichnung von Telefon 1').fill(bob.phone);
  await page.getByLabel('Vorhandenes Telefon einbinden (Mobil- oder Festnetztelefon)').check();
  await page.getByLabel('Rufnummer des externen Telefons').fill('0151 23456789');
  await shot(page, j, 'wizard-2', 'wizard-step2');
  await page.getByRole('button', { name: 'Weiter zu Schritt 3/3' }).click();

  await page.getByRole('heading', { name: 'Schritt 3/3: Rufnummer, Durchwahl und Gruppen' }).waitFor();
  await page.getByLabel('Rufnummer', { exact: true }).selectOption(numbers[0]);
  await page.getByLabel('Interne Durchwahl').fill(bob.extension);
  await page.getByRole('button', { name: 'Vergebene Durchwahlen anzeigen' }).click();
  await page.getByText('Noch keine Durchwahl vergeben.').waitFor();
  await shot(page, j, 'wizard-3', 'wizard-step3');
  await page.getByRole('button', { name: 'Benutzer anlegen' }).click();

  // The user's page: number, phone, external phone.
  await heading(page, bob.name);
  await page.getByText(`Benutzer ${bob.name} angelegt.`).waitFor();
  const numbersSection = page.locator('section', { has: page.getByRole('heading', { name: 'Rufnummern', exact: true }) });
  await numbersSection.getByText(numbers[0]).waitFor();
  await numbersSection.getByText('klingelt auf allen Telefonen').waitFor();
  const card = page.locator('article.phone', { has: page.getByRole('heading', { name: bob.phone }) });
  await card.getByText('offline').waitFor();
  state.phoneId = await card.getAttribute('data-device');
  assert.match(state.phoneId, /^\d{7}e\d+$/);
  await page.getByText('+4915123456789').waitFor();
  await shot(page, j, 'user', 'user-detail');

  // The phone's options and its SIP credentials, with the copy button.
  await page.getByRole('button', { name: `Optionen für ${bob.phone}` }).click();
  await page.getByRole('button', { name: 'Bezeichnung ändern' }).waitFor();
  await shot(page, j, 'phone-options', 'phone-options');
  await page.getByRole('button', { name: 'SIP-Zugangsdaten zeigen' }).click();
  const dialog = page.getByRole('dialog', { name: `SIP-Zugangsdaten von ${bob.phone}` });
  await dialog.waitFor();
  assert.equal(await dialog.locator('[data-cred="username"]').textContent(), state.phoneId);
  const password = await dialog.locator('[data-cred="password"]').textContent();
  assert.ok(password.length >= 12, 'a SIP password is shown');
  await dialog.getByText('600 Sekunden').waitFor();
  state.domain = await dialog.locator('[data-cred="domain"]').textContent();
  await dialog.getByRole('button', { name: 'SIP-Passwort kopieren' }).click();
  await dialog.getByRole('button', { name: 'SIP-Passwort kopieren' }).getByText('Kopiert').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), password);
  await shot(page, j, 'credentials', 'sip-credentials');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });

  await page.getByRole('button', { name: `Optionen für ${bob.phone}` }).click();
  await page.getByRole('button', { name: 'Aktive Endgeräte anzeigen' }).click();
  await page.getByText('Zurzeit ist kein Endgerät registriert.').waitFor();
  await page.keyboard.press('Escape');

  // Routing: the number rings exactly one phone instead of all.
  await numbersSection.getByRole('button', { name: `Routing von ${numbers[0]} ändern` }).click();
  const routing = page.getByRole('dialog', { name: `Routing von ${numbers[0]}` });
  await routing.getByLabel('nur ein Telefon').check();
  await routing.getByLabel('Telefon', { exact: true }).selectOption({ label: bob.phone });
  await routing.getByRole('button', { name: 'Speichern' }).click();
  await numbersSection.getByText(`klingelt nur auf ${bob.phone}`).waitFor();

  // Phones: the phone registers over SIP with these credentials, and the
  // page shows it online, then offline again, without a reload.
  await nav(page, 'Telefone');
  await heading(page, 'Telefone');
  const phone = page.locator(`article[data-device="${state.phoneId}"]`);
  await phone.getByText('offline').waitFor();
  await page.evaluate(() => (window.sameDocument = true));
  const sip = { addr: SIP_UDP, user: state.phoneId, password, domain: state.domain, expires: 120 };
  const registered = await register({ ...sip, stay: true });
  assert.equal(registered.status, 200, 'the phone registers');
  await phone.getByText('online', { exact: true }).waitFor({ timeout: 10_000 });
  await phone.getByRole('button', { name: `Optionen für ${bob.phone}` }).click();
  await page.getByRole('button', { name: 'Aktive Endgeräte anzeigen' }).click();
  const regs = page.getByRole('dialog', { name: `Aktive Endgeräte von ${bob.phone}` });
  await regs.getByText('Switchboard console journey').waitFor();
  // The fleet checks the connection: the phone answers its OPTIONS.
  await regs.getByRole('button', { name: 'Verbindung prüfen' }).click();
  await regs.getByRole('status', { name: 'Verbindungsprüfung' }).getByText('Das Telefon antwortet.').waitFor({ timeout: 10_000 });
  await regs.getByText(/^200 nach \d+(\.\d)? ms$/).waitFor();
  await shot(page, j, 'registrations', 'registrations');
  await page.keyboard.press('Escape');
  registered.close();
  await shot(page, j, 'phones', 'phones');
  assert.equal(await register({ ...sip, expires: 0 }), 200, 'the phone unregisters');
  await phone.getByText('offline').waitFor({ timeout: 10_000 });
  assert.equal(await page.evaluate(() => window.sameDocument), true, 'the page was not reloaded');

  // Users list with search.
  await nav(page, 'Benutzer');
  await heading(page, 'Benutzer');
  await page.getByLabel('Suchen').fill('bob');
  await page.getByText('1 von 2 Benutzern').waitFor();
  await shot(page, j, 'users', 'users');

  // A group in two steps, with Bob as member.
  await nav(page, 'Gruppen');
  await heading(page, 'Gruppen');
  await page.getByRole('link', { name: '+Gruppe' }).click();
  await heading(page, 'Neue Gruppe');
  await page.getByLabel('Name der Gruppe').fill('Vertrieb');
  await page.getByLabel('Interne Durchwahl').fill('20');
  await page.getByRole('button', { name: 'Weiter zu Schritt 2/2' }).click();
  await page.getByLabel(`${bob.name} (${bob.extension})`).check();
  await shot(page, j, 'group-wizard', 'group-wizard');
  await page.getByRole('button', { name: 'Gruppe anlegen' }).click();
  await heading(page, 'Vertrieb');
  const members = page.locator('section', { has: page.getByRole('heading', { name: 'Teilnehmer', exact: true }) });
  await members.getByRole('link', { name: bob.name }).waitFor();
  await shot(page, j, 'group', 'group-detail');

  // Numbers: route a test number to the group ("choose call target").
  await nav(page, 'Rufnummern');
  await heading(page, 'Rufnummern');
  const row = page.locator(`tr[data-number="${numbers[1]}"]`);
  await row.getByText('nicht zugewiesen').waitFor();
  await page.locator(`tr[data-number="${numbers[0]}"]`).getByText(`${bob.name} (nur ${bob.phone})`).waitFor();
  await row.getByRole('button', { name: `Anrufziel für ${numbers[1]} wählen` }).click();
  const target = page.getByRole('dialog', { name: `Anrufziel für ${numbers[1]}` });
  await target.getByLabel('eine Gruppe').check();
  await target.getByLabel('Gruppe', { exact: true }).selectOption({ label: 'Vertrieb' });
  await shot(page, j, 'call-target', 'call-target');
  await target.getByRole('button', { name: 'Speichern' }).click();
  await target.waitFor({ state: 'detached' });
  await row.getByText('Gruppe Vertrieb').waitFor();
  await shot(page, j, 'numbers', 'numbers');

  // English and back.
  await page.getByRole('combobox', { name: 'Sprache' }).selectOption('en');
  await heading(page, 'Numbers');
  await page.getByRole('navigation').getByRole('link', { name: 'Users', exact: true }).waitFor();
  await row.getByText('Group Vertrieb').waitFor();
  await row.getByRole('button', { name: `Choose call target for ${numbers[1]}` }).waitFor();
  await shot(page, j, 'numbers-en', 'numbers-en');
  await page.getByRole('combobox', { name: 'Language' }).selectOption('de');
  await heading(page, 'Rufnummern');
  await row.getByText('Gruppe Vertrieb').waitFor();

  // Contacts, account settings and the audit trail.
  await nav(page, 'Kontakte');
  await heading(page, 'Kontakte');
  await page.getByRole('button', { name: '+Kontakt' }).click();
  const contact = page.getByRole('dialog', { name: '+Kontakt' });
  await contact.getByLabel('Name').fill('Zentrale Lieferant');
  await contact.getByLabel('Firma').fill('Lieferant AG');
  await contact.getByLabel('Rufnummern').fill('030 1234567');
  await contact.getByLabel('Für alle Benutzer des Accounts sichtbar').check();
  await contact.getByRole('button', { name: 'Speichern' }).click();
  await page.getByRole('cell', { name: '+49301234567' }).waitFor();
  await shot(page, j, 'contacts', 'contacts');

  await nav(page, 'Accounteinstellungen');
  await heading(page, 'Accounteinstellungen');
  await page.getByText('2 von 10 Benutzern, 1 von 10 Gruppen').waitFor();
  await page.getByText(/45,00\s€ pro Monat/).waitFor();
  await shot(page, j, 'account', 'account');

  await nav(page, 'Protokoll');
  await heading(page, 'Protokoll');
  await page.getByRole('cell', { name: 'Benutzer angelegt' }).waitFor();
  await page.getByRole('cell', { name: 'Anrufziel gewählt' }).first().waitFor();
  await shot(page, j, 'audit', 'audit');
  assertNoErrors(page);
});

test('admin: webhooks to a local receiver, the secret shown once, a signed test event in the log; the event list', async () => {
  const page = adminPage;
  assert.ok(page, 'the admin journey ran');
  const j = 'webhooks';
  // A receiver on loopback that records every request.
  const hits = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hits.push({ headers: req.headers, body });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${server.address().port}/calls`;
  try {
    await nav(page, 'Webhooks');
    await heading(page, 'Webhooks');
    await page.getByText('Noch keine Zustellungen in den letzten 30 Tagen.').waitFor();
    // A problem of the API shows next to the field it names.
    await page.getByLabel('URL für eingehende Anrufe').fill('ftp://crm.example/calls');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await page.locator('#f-incoming-url-err').waitFor();
    assert.equal(await page.getByLabel('URL für eingehende Anrufe').getAttribute('aria-invalid'), 'true');
    await page.getByLabel('URL für eingehende Anrufe').fill(hook);
    await page.getByLabel('Format (eingehend)').selectOption('json');
    await page.getByRole('button', { name: 'Speichern' }).click();
    const secret = (await page.locator('[data-webhook-secret]').textContent()).trim();
    assert.ok(secret.length >= 16, 'the signing secret is shown');
    await page.getByText('Kopieren Sie ihn jetzt: er wird nicht noch einmal angezeigt.').waitFor();

    await page.getByRole('button', { name: 'Testereignis senden' }).click();
    await page.locator('tr[data-delivery]').first().getByText(hook).waitFor();
    assert.ok(hits.length >= 1, 'the receiver got the test event');
    const hit = hits.at(-1);
    const ts = hit.headers['x-switchboard-timestamp'];
    assert.ok(ts, 'X-Switchboard-Timestamp is present');
    assert.ok(hit.headers['x-switchboard-signature'], 'X-Switchboard-Signature is present');
    const want = createHmac('sha256', secret).update(ts + '.' + hit.body).digest('hex');
    assert.equal(hit.headers['x-switchboard-signature'], want, 'the signature matches the secret shown');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, j, 'webhooks', 'webhooks');
    const before = hits.length;
    await page.locator('tr[data-delivery]').first().getByRole('button', { name: 'Erneut senden' }).click();
    await page.locator('tr[data-delivery]').nth(1).waitFor();
    assert.equal(hits.length, before + 1, 'resend posts once more');

    // Once hidden, the secret is gone for good: a reload does not show it.
    await page.getByRole('button', { name: 'Ausblenden' }).click();
    await page.reload();
    await heading(page, 'Webhooks');
    await page.locator('tr[data-delivery]').first().waitFor();
    assert.equal(await page.locator('[data-webhook-secret]').count(), 0, 'the secret is not shown again');
  } finally {
    server.close();
  }

  // The event list: no calls yet, and a filter that the CSV link follows.
  await nav(page, 'Ereignisliste');
  await heading(page, 'Ereignisliste');
  await page.getByText('Noch keine Anrufe.').waitFor();
  await page.getByLabel('Status', { exact: true }).selectOption('missed');
  await page.getByText('Keine Anrufe passen zu den Filtern.').waitFor();
  const csv = await page.getByRole('link', { name: 'Als CSV herunterladen' }).getAttribute('href');
  assert.match(csv, /^\/v1\/history\.csv\?status=missed$/);
  await shot(page, j, 'history', 'history');
  assertNoErrors(page);
});

test('a problem from the API is shown next to the field it names', async () => {
  const page = adminPage;
  assert.ok(page, 'the admin journey ran');
  const j = 'problem';
  await nav(page, 'Benutzer');
  await page.getByRole('link', { name: '+Benutzer' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Carla Clash');
  // Both the address and the extension are taken: the API names both.
  await page.getByLabel('E-Mail-Adresse').fill(bob.email);
  await page.getByRole('button', { name: 'Weiter zu Schritt 2/3' }).click();
  await page.getByRole('button', { name: 'Weiter zu Schritt 3/3' }).click();
  await page.getByLabel('Interne Durchwahl').fill(bob.extension);
  await page.getByRole('button', { name: 'Benutzer anlegen' }).click();

  // The wizard goes back to the first step with a problem.
  await page.getByRole('heading', { name: 'Schritt 1/3: Persönliche Daten' }).waitFor();
  const email = page.getByLabel('E-Mail-Adresse');
  await page.locator('#f-email-err').getByText('Diese E-Mail-Adresse ist bereits registriert.').waitFor();
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.match(await email.getAttribute('aria-describedby'), /f-email-err/);
  await page.waitForFunction(() => document.activeElement?.id === 'f-email');
  await page.getByText('Es gibt auch in einem anderen Schritt etwas zu korrigieren.').waitFor();
  await shot(page, j, 'email', 'problem-email');

  await email.fill(`carla-${run}@acme.example`);
  await page.getByRole('button', { name: 'Weiter zu Schritt 2/3' }).click();
  await page.getByRole('button', { name: 'Weiter zu Schritt 3/3' }).click();
  const ext = page.getByLabel('Interne Durchwahl');
  await page.locator('#f-extension-err').getByText('ist bereits vergeben.').waitFor();
  assert.equal(await ext.getAttribute('aria-invalid'), 'true');
  await shot(page, j, 'extension', 'problem-extension');

  // The list of extensions in use tells which are free.
  await page.getByRole('button', { name: 'Vergebene Durchwahlen anzeigen' }).click();
  await page.locator('.ext-list').getByText(bob.name).waitFor();
  await ext.fill('12');
  await page.getByRole('button', { name: 'Benutzer anlegen' }).click();
  await heading(page, 'Carla Clash');

  // Deleting asks first and names what goes with the user.
  await page.getByRole('button', { name: 'Carla Clash löschen …' }).click();
  const confirm = page.getByRole('dialog', { name: 'Carla Clash löschen?' });
  await confirm.getByText('die Durchwahl 12').waitFor();
  await confirm.getByText(/die Endpunkte Telefon von Carla \(Telefon\), Voicemail \(Voicemail\)/).waitFor();
  await shot(page, j, 'delete', 'delete-user');
  await confirm.getByRole('button', { name: 'Endgültig löschen' }).click();
  await heading(page, 'Benutzer');
  await page.getByText('Carla Clash gelöscht.').waitFor();
  assertNoErrors(page);
});

test('a user who is not an admin sets the password from the welcome link and sees only what a user may', async () => {
  const page = await newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const j = 'user';
  const link = welcomeLink(DATA, bob.email);
  assert.ok(link.startsWith(BASE + '/#/setup?token='), link);
  await page.goto(link);
  await heading(page, 'Passwort festlegen');
  await page.getByLabel('Neues Passwort').fill(bob.password);
  await page.getByLabel('Passwort wiederholen').fill(bob.password + 'x');
  await page.getByRole('button', { name: 'Passwort speichern' }).click();
  await page.getByText('Die beiden Passwörter stimmen nicht überein.').waitFor();
  await page.getByLabel('Passwort wiederholen').fill(bob.password);
  await shot(page, j, 'setup', 'set-password');
  await page.getByRole('button', { name: 'Passwort speichern' }).click();
  await heading(page, 'Ich');

  // Only the user's areas are in the navigation.
  await page.getByRole('button', { name: 'Menü' }).click();
  const links = await page.getByRole('navigation').getByRole('link').allTextContents();
  assert.deepEqual(links, ['Ich', 'Kontakte', 'Ereignisliste']);
  await page.getByRole('button', { name: 'Menü' }).click();

  // The own phone with its credentials, the own number without routing.
  const card = page.locator(`article[data-device="${state.phoneId}"]`);
  await card.getByText('offline').waitFor();
  await page.getByText(state.numbers[0]).waitFor();
  await page.getByText('Das Routing Ihrer Rufnummern ändert Ihr Administrator.').waitFor();
  assert.equal(await page.getByRole('button', { name: /^Routing von/ }).count(), 0);
  assert.equal(await page.getByRole('button', { name: '+Telefon' }).count(), 0);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `no horizontal scrolling at 360 px (page is ${width} px wide)`);
  await shot(page, j, 'me', 'me-mobile');

  await card.getByRole('button', { name: `Optionen für ${bob.phone}` }).click();
  await page.getByRole('button', { name: 'SIP-Zugangsdaten zeigen' }).click();
  const dialog = page.getByRole('dialog', { name: `SIP-Zugangsdaten von ${bob.phone}` });
  assert.equal(await dialog.locator('[data-cred="username"]').textContent(), state.phoneId);
  await shot(page, j, 'credentials');
  await page.keyboard.press('Escape');

  // Admin screens answer "not allowed", and the API agrees.
  for (const path of ['/users', '/numbers', '/groups', '/account', '/audit']) {
    await page.goto(BASE + '/#' + path);
    await heading(page, 'Nicht erlaubt');
  }
  await page.goto(BASE + '/#/contacts');
  await heading(page, 'Kontakte');
  await page.getByRole('cell', { name: 'Zentrale Lieferant' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Zentrale Lieferant bearbeiten' }).count(), 0, 'shared contacts are changed by admins');

  // A personal access token: the secret is shown once, then revoked.
  await page.goto(BASE + '/#/me');
  await heading(page, 'Ich');
  await page.getByLabel('Wofür ist das Token?').fill('Tischkalender');
  await page.getByRole('button', { name: 'Token erstellen' }).click();
  const secret = await page.locator('[data-token-secret]').textContent();
  assert.ok(secret.length > 20, 'the secret is shown');
  const me = await fetch(BASE + '/v1/users', { headers: { Authorization: 'Bearer ' + secret } });
  assert.equal(me.status, 200, 'the new token works against the API');
  await page.getByRole('button', { name: 'Token „Tischkalender“ widerrufen' }).click();
  await page.getByRole('dialog', { name: 'Token „Tischkalender“ widerrufen?' }).getByRole('button', { name: 'Widerrufen' }).click();
  await page.getByText('Sie haben noch keine Zugangstoken.').waitFor();
  assert.equal((await fetch(BASE + '/v1/users', { headers: { Authorization: 'Bearer ' + secret } })).status, 401, 'the revoked token no longer works');

  // Log out, and in again with the keyboard only.
  await page.getByRole('button', { name: 'Abmelden' }).click();
  await heading(page, 'Anmelden');
  await page.getByLabel('E-Mail-Adresse').focus();
  await page.keyboard.type(bob.email);
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => [document.activeElement.id, getComputedStyle(document.activeElement).outlineStyle]);
  assert.deepEqual(outline, ['f-password', 'solid'], 'Tab moves to the password with a visible focus ring');
  await page.keyboard.type(bob.password);
  await page.keyboard.press('Enter');
  await heading(page, 'Ich');
  assertNoErrors(page);
});
