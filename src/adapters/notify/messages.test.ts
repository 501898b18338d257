import { describe, expect, it } from 'vitest';
import { fillTemplate, renderMessage, TEMPLATES, type RenderedMessage } from './messages.js';
import type { AccountChange, EmailCodePurpose, Message, MessageType, SupportAction } from './port.js';

const purposes: EmailCodePurpose[] = ['register', 'reset-password', 'change-email'];
const changes: AccountChange[] = ['password', 'email', 'phone', 'authenticator-app', 'deleted'];
const supportActions: SupportAction[] = [
  'locked',
  'unlocked',
  'password-reset-required',
  'authenticator-removed',
  'data-exported',
];

// A Record over MessageType: adding a message type without an example here fails to compile.
const examples: Record<MessageType, Message[]> = {
  'email-code': purposes.map((purpose) => ({
    type: 'email-code',
    to: 'alice@example.com',
    code: '123456',
    purpose,
  })),
  'email-already-registered': [{ type: 'email-already-registered', to: 'alice@example.com' }],
  'email-no-account': [{ type: 'email-no-account', to: 'nobody@example.com' }],
  'sms-code': [{ type: 'sms-code', to: '+447700900123', code: '654321' }],
  'email-account-changed': changes.map((change) => ({
    type: 'email-account-changed',
    to: 'alice@example.com',
    change,
  })),
  'email-account-support-action': supportActions.map((action) => ({
    type: 'email-account-support-action',
    to: 'alice@example.com',
    action,
  })),
  'email-erasure-scheduled': [
    {
      type: 'email-erasure-scheduled',
      to: 'alice@example.com',
      eraseOn: '3 March 2025',
      accountUrl: 'http://localhost:3000/account',
    },
  ],
  'email-erasure-cancelled': [{ type: 'email-erasure-cancelled', to: 'alice@example.com' }],
  'email-identity-proved': [{ type: 'email-identity-proved', to: 'alice@example.com', level: 'P5' }],
  'email-nhs-number-in-use': [{ type: 'email-nhs-number-in-use', to: 'alice@example.com' }],
  'email-photo-id-referred': [{ type: 'email-photo-id-referred', to: 'alice@example.com' }],
  'email-photo-id-rejected': [
    {
      type: 'email-photo-id-rejected',
      to: 'alice@example.com',
      reason: 'The photo of your ID was not clear enough to read.',
    },
  ],
  'email-delegation-invitation': [
    {
      type: 'email-delegation-invitation',
      to: 'carer@example.com',
      grantorName: 'Pat Okafor',
      link: 'http://localhost:3000/delegation/invitation?token=abc',
      expiresOn: '1 December 2026',
    },
  ],
  'email-delegation-changed': [
    {
      type: 'email-delegation-changed',
      to: 'a@example.com',
      change: 'accepted',
      role: 'grantor',
      otherName: 'Sam',
    },
    {
      type: 'email-delegation-changed',
      to: 'a@example.com',
      change: 'revoked',
      role: 'delegate',
      otherName: 'Pat',
    },
    {
      type: 'email-delegation-changed',
      to: 'a@example.com',
      change: 'turned-16',
      role: 'grantor',
      otherName: 'Sam',
    },
  ],
  'email-claim-account': [
    {
      type: 'email-claim-account',
      to: 'alice@example.com',
      link: 'http://localhost:3000/claim-account?token=abc',
      expiresOn: '1 December 2026',
    },
  ],
  'staff-invitation': [
    {
      type: 'staff-invitation',
      to: 'staff@example.com',
      name: 'Sam Staff',
      link: 'http://localhost:3000/backoffice/setup/abc',
      role: 'support',
    },
  ],
};
const all = Object.values(examples).flat();

function expectFromTemplate(r: RenderedMessage): void {
  const t = TEMPLATES[r.template];
  expect(r.channel).toBe(t.channel);
  expect(r.subject).toBe(fillTemplate(t.subject, r.personalisation));
  expect(r.body).toBe(fillTemplate(t.body, r.personalisation));
  expect(r.body).not.toMatch(/\(\(|\)\)|undefined/);
}

describe('renderMessage', () => {
  it.each(all.map((m) => [m.type, m] as const))('renders %s from its Notify template', (_, message) => {
    const r = renderMessage(message);
    expect(r.recipient).toBe(message.to);
    expectFromTemplate(r);
  });

  it('gives every email a subject and a body, each distinct', () => {
    const emails = all.filter((m) => m.type !== 'sms-code').map((m) => renderMessage(m));
    for (const r of emails) {
      expect(r.channel).toBe('email');
      expect(r.subject.length).toBeGreaterThan(10);
      expect(r.body.length).toBeGreaterThan(50);
      expect(r.subject).toMatch(/NHS login/);
    }
    expect(new Set(emails.map((r) => r.subject)).size).toBe(emails.length);
  });

  it('fits the text message in one SMS fragment', () => {
    const r = renderMessage({ type: 'sms-code', to: '+447700900123', code: '654321' });
    expect(r.channel).toBe('sms');
    expect(r.subject).toBe('');
    expect(r.body.length).toBeLessThanOrEqual(160);
    expect(r.body).toBe(
      'Your NHS login security code is 654321. It expires in 5 minutes. Do not share this code with anyone.',
    );
    expect(r.personalisation).toEqual({ code: '654321', expiry: '5 minutes' });
  });

  it('puts the code and a 15 minute expiry in code emails', () => {
    for (const purpose of purposes) {
      const r = renderMessage({ type: 'email-code', to: 'a@example.com', code: '012345', purpose });
      expect(r.body).toContain('012345');
      expect(r.body).toContain('15 minutes');
      expect(r.personalisation).toMatchObject({ code: '012345', expiry: '15 minutes' });
    }
  });

  it('sends no code to someone who already has an account, and tells them how to log in or reset', () => {
    const r = renderMessage({ type: 'email-already-registered', to: 'alice@example.com' });
    expect(r.body).not.toMatch(/\d{6}/);
    expect(r.subject).toBe('You already have an NHS login');
    expect(r.body).toMatch(/log in/);
    expect(r.body).toMatch(/Forgotten your password\?/);
    expect(r.template).toBe('email-notice');
  });

  it('sends no code when there is no account', () => {
    const r = renderMessage({ type: 'email-no-account', to: 'nobody@example.com' });
    expect(r.body).not.toMatch(/\d{6}/);
  });

  it('says what to do if an account change was not you, with the help link when configured', () => {
    for (const change of changes) {
      const plain = renderMessage({ type: 'email-account-changed', to: 'a@example.com', change });
      expect(plain.body).toMatch(/If this was not you/);
      expect(plain.body).toMatch(/contact NHS login support/i);
      const linked = renderMessage(
        { type: 'email-account-changed', to: 'a@example.com', change },
        { helpUrl: 'https://help.example.org/contact' },
      );
      expect(linked.body).toContain('https://help.example.org/contact');
    }
  });

  it('puts the one-time link and its 72-hour expiry in a staff invitation, on the notice template', () => {
    const r = renderMessage({
      type: 'staff-invitation',
      to: 'staff@example.com',
      name: 'Sam Staff',
      link: 'http://localhost:3000/backoffice/setup/abc',
      role: 'support',
    });
    expect(r.template).toBe('email-notice');
    expect(r.body).toContain('http://localhost:3000/backoffice/setup/abc');
    expect(r.body).toContain('72 hours');
  });

  it('tells the person what support did, never why, and who to contact', () => {
    for (const action of supportActions) {
      const r = renderMessage({ type: 'email-account-support-action', to: 'a@example.com', action });
      expect(r.template).toBe('email-notice');
      expect(r.body).toMatch(/NHS login support/);
      expect(r.body).toMatch(/contact NHS login support/);
      expect(r.body).not.toMatch(/reason/i);
    }
  });

  it('gives the date and how to cancel when an account is to be deleted', () => {
    const r = renderMessage({
      type: 'email-erasure-scheduled',
      to: 'a@example.com',
      eraseOn: '3 March 2025',
      accountUrl: 'https://login.example.org/account',
    });
    expect(r.subject).toBe('Your NHS login will be deleted');
    expect(r.body).toContain('3 March 2025');
    expect(r.body).toContain('https://login.example.org/account');
    expect(r.body).toContain('Cancel deletion');
  });

  it('tells the owner of an NHS number that another login tried it, without the number or details', () => {
    const r = renderMessage({ type: 'email-nhs-number-in-use', to: 'a@example.com' });
    expect(r.template).toBe('email-notice');
    expect(r.body).toMatch(/nothing has been changed/);
    expect(r.body).toMatch(/Forgotten your password\?/);
    expect(r.body).toMatch(/Contact NHS login support/);
    expect(r.body).not.toMatch(/\d{10}|\d{3} \d{3} \d{4}/);
  });

  it('refuses a code that is not 6 digits', () => {
    expect(() => renderMessage({ type: 'sms-code', to: '+447700900123', code: '12345' })).toThrow(/6 digits/);
    expect(() =>
      renderMessage({ type: 'email-code', to: 'a@example.com', code: '12345a', purpose: 'register' }),
    ).toThrow(/6 digits/);
  });
});
