import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAIL_PRESETS, MAIL_PRESET_IDS, presetForHost, defaultSecurity, defaultPort } from '../../src/mail';

test('every provider preset has host, port, security and notes', () => {
  assert.deepEqual(MAIL_PRESET_IDS.sort(), ['custom', 'fastmail', 'gmail', 'icloud', 'outlook', 'yahoo']);
  for (const id of MAIL_PRESET_IDS) {
    const p = MAIL_PRESETS[id];
    assert.ok(p.notes.length > 20, id);
    assert.ok(p.port === 993 || p.port === 143, id);
    assert.ok(p.security === 'implicit' || p.security === 'starttls', id);
    if (id !== 'custom') assert.match(p.host, /^imap|\.com$/, id);
  }
  assert.match(MAIL_PRESETS.gmail.notes, /app password/);
  assert.match(MAIL_PRESETS.outlook.notes, /OAuth/);
});

test('presetForHost and defaults', () => {
  assert.equal(presetForHost('IMAP.gmail.com'), 'gmail');
  assert.equal(presetForHost('outlook.office365.com'), 'outlook');
  assert.equal(presetForHost('imap.mail.me.com'), 'icloud');
  assert.equal(presetForHost('mail.example.org'), undefined);
  assert.equal(presetForHost(''), undefined);
  assert.equal(defaultSecurity(undefined), 'implicit');
  assert.equal(defaultSecurity(993), 'implicit');
  assert.equal(defaultSecurity(143), 'starttls');
  assert.equal(defaultSecurity(1143), 'starttls');
  assert.equal(defaultPort('starttls'), 143);
  assert.equal(defaultPort('implicit'), 993);
});
