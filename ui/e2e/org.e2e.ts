// The organisation in the real web view: a coordinator creates an organisation in
// the app and approves a request made with the CLI on another vault, with the
// fingerprint words that device shows in Korean typed in (wrong words first: nothing
// issued); the CLI accepts the certificate and both member lists agree; the Members
// screen marks this device and refuses to revoke the last coordinator; a revocation
// made there is taken by the CLI on the revoked device. The field device's audit
// export, made with the CLI, is checked on the Audit screen (clean, then with a
// forged signature named by its code). A peer added
// from the CLI vault's card is marked unverified on the Sync screen until its words
// are typed. Screenshots of the Organisation and Members screens in English, Korean
// and Chinese (SATCHEL_SCREENSHOTS).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { all, click, closeApp, createVault, el, language, need, openApp, PREFIX, scrollToId, select, setFile, shot, startDriver, stopDriver, type, waitText, type Browser } from './driver';

const RUN = need('SATCHEL_E2E_DIR');
const VAULT = join(RUN, 'vaults', 'org-coordinator');
const FIELD = join(RUN, 'vaults', 'org-field-cli');
const PASS = 'granite willow compass 5';
const FIELD_PASS = 'harbor lantern cedar 8';

/** The satchel CLI on the field device's vault (the test-only fast key derivation,
 * as the CLI's own tests use). */
function cli(args: string[]): string {
  return execFileSync(need('SATCHEL_CLI'), args, {
    env: {
      ...process.env,
      SATCHEL_VAULT: FIELD,
      SATCHEL_INSECURE_TEST_KDF: '1',
      SATCHEL_PASSPHRASE: FIELD_PASS,
      SATCHEL_NEW_PASSPHRASE: FIELD_PASS,
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function fingerprintLine(out: string): string {
  const line = out.split('\n').find((l) => l.startsWith('Fingerprint:'));
  if (!line) throw new Error(`no fingerprint in: ${out}`);
  return line.slice('Fingerprint:'.length).trim();
}



/** Whether the QR image under `id` was decoded and drawn (not an empty box). */
async function qrDrawn(b: Browser, id: string): Promise<boolean> {
  const img = await el(b, id);
  await img.waitForDisplayed({ timeout: 10_000 });
  return b.execute((x: HTMLImageElement) => x.complete && x.naturalWidth > 0 && x.src.startsWith('blob:'), img as unknown as HTMLImageElement);
}



describe('the organisation in the app', () => {
  beforeAll(async () => {
    mkdirSync(join(RUN, 'vaults'), { recursive: true });
    await startDriver();
  });
  afterAll(stopDriver);

  it('creates an organisation, approves a CLI request with typed words, lists members, verifies a peer', async () => {
    const { b } = await openApp(VAULT);
    await createVault(b, PASS);

    // No organisation yet: create or join. A request made here shows its words and
    // its QR code (the request itself changes nothing).
    for (const lang of ['ko', 'zh-Hans', 'en'] as const) {
      await language(b, lang);
      await click(b, 'nav-org');
      await el(b, 'org-none').waitForDisplayed({ timeout: 10_000 });
      await type(b, 'join-name', lang === 'ko' ? '현장 7' : lang === 'zh-Hans' ? '现场 7' : 'Field 7');
      await click(b, 'join-request');
      await waitText(b, 'join-fingerprint', (t) => t.split(' ').length === 8);
      expect(await qrDrawn(b, 'join-request-out-qr')).toBe(true);
      await b.execute(() => window.scrollTo(0, 0));
      await shot(b, `${PREFIX[lang]}-org-none`);
      await scrollToId(b, 'join-words');
      await shot(b, `${PREFIX[lang]}-org-join`);
    }

    // Copy puts the request on the clipboard (here: says so, in English).
    await click(b, 'join-request-out-copy');
    await waitText(b, 'join-request-out-copied', (t) => t === 'Copied.');

    await click(b, 'nav-org');
    await type(b, 'org-name', 'Border Aid');
    await type(b, 'org-member-name', 'Min-ji');
    await click(b, 'org-create');
    await waitText(b, 'org-heading', (t) => t.includes('Border Aid'));

    // The field device: a vault and a request made with the CLI, its words shown in
    // Korean as its own screen would.
    cli(['init']);
    const reqFile = join(RUN, 'org-request.txt');
    const words = fingerprintLine(cli(['--lang', 'ko', 'enrol', 'request', '--name', 'Field 7', '--out', reqFile]).replace('Fingerprint:  ', 'Fingerprint: '));
    expect(words).toMatch(/[가-힣]/);
    const request = readFileSync(reqFile, 'utf8').trim();

    // Wrong words (the right ones rotated): refused, nothing issued.
    const wrong = [...words.split(' ').slice(1), words.split(' ')[0]].join(' ');
    await type(b, 'approve-request', request);
    await type(b, 'approve-words', wrong);
    await click(b, 'approve-role-field');
    await click(b, 'approve-submit');
    await waitText(b, 'approve-error', (t) => t.includes("not that device's fingerprint"));
    expect(await el(b, 'approve-result').isExisting()).toBe(false);

    await type(b, 'approve-words', words.split(' ').slice(0, 4).join(' '));
    await click(b, 'approve-submit');
    await el(b, 'approve-result').waitForDisplayed({ timeout: 10_000 });
    expect(await qrDrawn(b, 'approve-cert-qr')).toBe(true);
    const cert = await el(b, 'approve-cert-text').getValue();
    expect(cert).toMatch(/^SATCHEL-CERT-/);
    await scrollToId(b, 'approve-result');
    await shot(b, 'en-org-approved');

    // The device accepts it; both lists agree.
    const certFile = join(RUN, 'org-cert.txt');
    writeFileSync(certFile, cert);
    cli(['enrol', 'accept', certFile]);
    const onCli = JSON.parse(cli(['--json', 'member', 'list'])) as { name: string; role: string }[];
    expect(onCli.map((m) => `${m.name} ${m.role}`).sort()).toEqual(['Field 7 field', 'Min-ji coordinator']);

    // The field device's audit export (made with the CLI) checked on the Audit screen
    // in each language: clean, each change checked against the membership; then a
    // copy with one signature forged, named by its code.
    cli(['record', 'add', 'contact', '--set', 'name=현장 기록']);
    const exportFile = join(RUN, 'field-audit.json');
    cli(['audit', 'export', '--out', exportFile]);
    const exported = JSON.parse(readFileSync(exportFile, 'utf8')) as { devices: { ops: { signature: string }[] }[] };
    const sig = exported.devices[0].ops[0].signature;
    exported.devices[0].ops[0].signature = (sig[0] === '0' ? '1' : '0') + sig.slice(1);
    const forgedFile = join(RUN, 'field-audit-forged.json');
    writeFileSync(forgedFile, JSON.stringify(exported));
    for (const lang of ['ko', 'zh-Hans', 'en'] as const) {
      await language(b, lang);
      await click(b, 'nav-audit');
      await el(b, 'audit-make').waitForDisplayed({ timeout: 10_000 });
      await setFile(b, 'audit-input', exportFile);
      await el(b, 'audit-report').waitForExist({ timeout: 20_000 });
      await b.waitUntil(async () => (await el(b, 'audit-report').getAttribute('data-anomalies')) === '0', { timeout: 20_000 });
      expect(await el(b, 'audit-org').getAttribute('data-checked')).toBe('true');
      expect(await all(b, 'audit-device')).toHaveLength(1);
      await b.execute(() => window.scrollTo(0, 0));
      await shot(b, `${PREFIX[lang]}-audit`);
      await setFile(b, 'audit-input', forgedFile);
      await b.waitUntil(async () => (await el(b, 'audit-report').getAttribute('data-anomalies')) !== '0', { timeout: 20_000 });
      const codes = await Promise.all((await all(b, 'audit-anomaly')).map((a) => a.getAttribute('data-code')));
      expect(codes).toContain('op_bad_signature');
      if (lang === 'ko') expect(await el(b, 'audit-anomaly-text').getText()).toMatch(/[가-힣]/);
      await scrollToId(b, 'audit-report');
      await shot(b, `${PREFIX[lang]}-audit-anomalies`);
    }
    await click(b, 'nav-org');

    await click(b, 'org-members');
    await b.waitUntil(async () => (await all(b, 'member-row')).length === 2, { timeout: 10_000 });
    const rows = await all(b, 'member-row');
    const names = await Promise.all(rows.map((r) => r.getAttribute('data-name')));
    expect(names.sort()).toEqual(['Field 7', 'Min-ji']);
    expect(await all(b, 'member-this-device')).toHaveLength(1);
    const mine = rows[names.indexOf('Min-ji')];
    expect(await mine.$('[data-testid="member-this-device"]').isExisting()).toBe(true);

    // The last coordinator cannot be revoked: said in the dialog, nothing changes.
    await mine.$('[data-testid="member-revoke"]').click();
    await el(b, 'revoke-dialog').waitForDisplayed({ timeout: 10_000 });
    await click(b, 'confirm-yes');
    await waitText(b, 'revoke-error', (t) => t.includes('last coordinator'));
    await b.keys('Escape');
    await el(b, 'revoke-dialog').waitForExist({ reverse: true, timeout: 10_000 });
    expect(await all(b, 'member-revoke')).toHaveLength(2);

    // The Organisation and Members screens in every language.
    for (const lang of ['en', 'ko', 'zh-Hans'] as const) {
      await language(b, lang);
      await click(b, 'nav-org');
      await el(b, 'approve-submit').waitForDisplayed({ timeout: 10_000 });
      await b.execute(() => window.scrollTo(0, 0));
      await shot(b, `${PREFIX[lang]}-org`);
      await click(b, 'org-members');
      await b.waitUntil(async () => (await all(b, 'member-row')).length === 2, { timeout: 10_000 });
      await shot(b, `${PREFIX[lang]}-members`);
    }
    await language(b, 'en');

    // A record made here is assigned to Field 7 from the record itself; Settings
    // shows what this device holds. In every language.
    await click(b, 'nav-records');
    await select(b, 'new-record-form', 'contact');
    await click(b, 'new-record');
    await type(b, 'field-name', '김순희 金顺姬');
    await click(b, 'save-record');
    await el(b, 'record-view').waitForDisplayed({ timeout: 10_000 });
    await el(b, 'assigned-none').waitForDisplayed({ timeout: 10_000 });
    const assign = b.$('[data-testid="assign-member"][data-name="Field 7"]');
    await assign.waitForDisplayed({ timeout: 10_000 });
    await assign.click();
    await el(b, 'assigned-list').waitForDisplayed({ timeout: 10_000 });
    await b.waitUntil(async () => (await assign.getAttribute('data-assigned')) === 'true', { timeout: 10_000 });
    expect(await el(b, 'assigned-list').getText()).toContain('Field 7');
    for (const lang of ['en', 'ko', 'zh-Hans'] as const) {
      await language(b, lang);
      await click(b, 'nav-records');
      await type(b, 'search', '순희');
      await b.waitUntil(async () => (await all(b, 'record-row')).length === 1, { timeout: 10_000 });
      await (await all(b, 'record-row'))[0].click();
      await el(b, 'assigned-list').waitForDisplayed({ timeout: 10_000 });
      await scrollToId(b, 'assigned-list');
      await shot(b, `${PREFIX[lang]}-record-assigned`);
      await click(b, 'nav-settings');
      await el(b, 'offload-panel').waitForDisplayed({ timeout: 10_000 });
      expect(await el(b, 'offload-held').getAttribute('data-held')).toBe('1');
      await scrollToId(b, 'offload-panel');
      await shot(b, `${PREFIX[lang]}-settings-offload`);
    }
    await language(b, 'en');

    // Field 7 revoked from the app (from the op after the last one held): the
    // revocation, carried to the device, is taken by the CLI there.
    await click(b, 'nav-org');
    await click(b, 'org-members');
    const field = b.$('[data-testid="member-row"][data-name="Field 7"]');
    await field.waitForDisplayed({ timeout: 10_000 });
    await field.$('[data-testid="member-revoke"]').click();
    await el(b, 'revoke-dialog').waitForDisplayed({ timeout: 10_000 });
    await click(b, 'confirm-yes');
    await el(b, 'revoke-result').waitForDisplayed({ timeout: 10_000 });
    await b.waitUntil(async () => (await field.getAttribute('data-state')) === 'revoked', { timeout: 10_000 });
    const revocation = await el(b, 'revocation-text').getValue();
    const revFile = join(RUN, 'org-revocation.txt');
    writeFileSync(revFile, revocation);
    cli(['member', 'import', revFile]);
    const after = JSON.parse(cli(['--json', 'member', 'list'])) as { name: string; status: string }[];
    expect(after.find((m) => m.name === 'Field 7')?.status).toBe('revoked from op 1');

    // A peer from a card is unverified until the words its own screen shows are
    // typed (wrong ones first: still unverified).
    const card = (JSON.parse(cli(['--json', 'identity', 'show'])) as { card: string }).card;
    const shown = fingerprintLine(cli(['--lang', 'zh-Hans', 'identity', 'show']));
    await click(b, 'nav-sync');
    await type(b, 'peer-card', card);
    await type(b, 'peer-name', 'field7');
    await click(b, 'peer-add');
    const row = b.$('[data-testid="peer-row"][data-name="field7"]');
    await row.waitForDisplayed({ timeout: 10_000 });
    await row.$('[data-testid="peer-unverified"]').waitForDisplayed({ timeout: 10_000 });
    await row.$('[data-testid="peer-verify"]').click();
    await type(b, 'verify-words', [...shown.split(' ').slice(1), shown.split(' ')[0]].join(' '));
    await click(b, 'verify-submit');
    await waitText(b, 'verify-error', (t) => t.length > 0);
    await shot(b, 'en-sync-verify');
    await type(b, 'verify-words', shown.split(' ').join(''));
    await click(b, 'verify-submit');
    await el(b, 'verify-dialog').waitForExist({ reverse: true, timeout: 10_000 });
    await row.$('[data-testid="peer-verified"]').waitForDisplayed({ timeout: 10_000 });
    expect(await row.$('[data-testid="peer-verify"]').isExisting()).toBe(false);
    await closeApp(b);
  });
});
