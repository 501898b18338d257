// The notifier port: every email and text message the service sends, as
// typed data. Journeys say *what* to tell someone; adapters decide how it
// travels (the development outbox, or GOV.UK Notify in production) and
// messages.ts decides the words.

/** Why an email security code was sent. */
export type EmailCodePurpose = 'register' | 'reset-password' | 'change-email';

/** What changed on an account, for the security notice. */
export type AccountChange = 'password' | 'email' | 'phone' | 'authenticator-app' | 'deleted';

/** What NHS login support did to an account, for the notice to its owner. */
export type SupportAction =
  'locked' | 'unlocked' | 'password-reset-required' | 'authenticator-removed' | 'data-exported';

/** A 6-digit security code to confirm an email address. Expires in 15 minutes. */
export interface EmailCodeMessage {
  type: 'email-code';
  to: string;
  code: string;
  purpose: EmailCodePurpose;
}

/**
 * Sent instead of a code when someone tries to register an email address that
 * already has an NHS login. It tells the owner how to sign in or reset their
 * password. The person at the keyboard sees the same "check your email" page
 * either way, so a stranger cannot learn whether an address has an account.
 */
export interface EmailAlreadyRegisteredMessage {
  type: 'email-already-registered';
  to: string;
}

/**
 * Sent instead of a code when someone asks to reset the password for an email
 * address that has no NHS login (same reason: the page does not say).
 */
export interface EmailNoAccountMessage {
  type: 'email-no-account';
  to: string;
}

/** A 6-digit security code by text message. Expires in 5 minutes. */
export interface SmsCodeMessage {
  type: 'sms-code';
  /** E.164, for example +447700900123. */
  to: string;
  code: string;
}

/**
 * Security notice after a change to an account. Send an email change to the
 * old address (the new one is not the one that needs warning), and never
 * include the new value in the message.
 */
export interface EmailAccountChangedMessage {
  type: 'email-account-changed';
  to: string;
  change: AccountChange;
}

/**
 * Notice that NHS login support changed the account (or gave out a copy of
 * what we hold). It never says why: the person contacts support for that.
 */
export interface EmailAccountSupportActionMessage {
  type: 'email-account-support-action';
  to: string;
  action: SupportAction;
}

/**
 * NHS login support has arranged for the account to be deleted after a
 * grace period; the person can cancel by logging in to their account page.
 */
export interface EmailErasureScheduledMessage {
  type: 'email-erasure-scheduled';
  to: string;
  /** When it will be deleted, in words, for example "3 March 2025". */
  eraseOn: string;
  /** Where to log in and cancel, for example https://login.example.nhs.uk/account. */
  accountUrl: string;
}

/** The person cancelled the deletion of their account. */
export interface EmailErasureCancelledMessage {
  type: 'email-erasure-cancelled';
  to: string;
}

/**
 * The person proved who they are (from their account, or while logging in to
 * a service). Says how, never the NHS number or the details they gave.
 */
export interface EmailIdentityProvedMessage {
  type: 'email-identity-proved';
  to: string;
  /** The level the account now has. */
  level: 'P5' | 'P9';
}

/**
 * To the owner of an NHS number: someone tried to prove who they are with
 * another NHS login using the owner's details. Nothing was changed; the
 * message says what to do if it was them, or if it was not.
 */
export interface EmailNhsNumberInUseMessage {
  type: 'email-nhs-number-in-use';
  to: string;
}

/**
 * An invitation to the back office: a one-time link (72 hours) to set a
 * password and an authenticator app. Staff only, never patients.
 */
export interface StaffInvitationMessage {
  type: 'staff-invitation';
  to: string;
  /** The person's name, as the inviting operator typed it. */
  name: string;
  /** The one-time setup link. */
  link: string;
  /** The role they will have, in words. */
  role: string;
}

/**
 * Photo ID: the person's check was sent to an ID checker (they chose to, or
 * the automated checks could not be sure). Says how long it usually takes.
 */
export interface EmailPhotoIdReferredMessage {
  type: 'email-photo-id-referred';
  to: string;
}

/**
 * Photo ID: an ID checker could not confirm who the person is. Says why in
 * plain words (from the checker's fixed list) and what to try next; an
 * approval sends email-identity-proved instead.
 */
export interface EmailPhotoIdRejectedMessage {
  type: 'email-photo-id-rejected';
  to: string;
  /** What the person can do about it, in plain words. */
  reason: string;
}

/**
 * In person: a GP practice checked the person's photo ID face to face and
 * set up an NHS login for them. The link (single use) lets them claim it:
 * a code to their phone, their date of birth and postcode, a new password.
 */
export interface EmailClaimAccountMessage {
  type: 'email-claim-account';
  to: string;
  link: string;
  /** When the link stops working, in words ("1 December 2026"). */
  expiresOn: string;
}

/**
 * Delegated access: the grantor invites someone to manage parts of their
 * care. The single-use link (CLAIM-like, 7 days) leads to signing in or
 * registering, proving who they are to P9, and accepting.
 */
export interface EmailDelegationInvitationMessage {
  type: 'email-delegation-invitation';
  to: string;
  /** The grantor's name as proven (given and family name). */
  grantorName: string;
  link: string;
  /** When the link stops working, in words. */
  expiresOn: string;
}

/** What happened to a delegation, told to each person involved. */
export type DelegationChange =
  | 'accepted'
  | 'declined'
  | 'revoked'
  | 'changed'
  | 'suspended'
  | 'reinstated'
  | 'expired'
  | 'set-up-by-practice'
  /** A practice's delegation for a child ended because they turned 16: they may now give access themselves. */
  | 'turned-16';

export interface EmailDelegationChangedMessage {
  type: 'email-delegation-changed';
  to: string;
  change: DelegationChange;
  /** Whether the recipient gives access (grantor) or has it (delegate). */
  role: 'grantor' | 'delegate';
  /** The other person's name. */
  otherName: string;
}

export type Message =
  | EmailCodeMessage
  | EmailAlreadyRegisteredMessage
  | EmailNoAccountMessage
  | SmsCodeMessage
  | EmailAccountChangedMessage
  | EmailAccountSupportActionMessage
  | EmailErasureScheduledMessage
  | EmailErasureCancelledMessage
  | EmailIdentityProvedMessage
  | EmailNhsNumberInUseMessage
  | EmailPhotoIdReferredMessage
  | EmailPhotoIdRejectedMessage
  | EmailClaimAccountMessage
  | EmailDelegationInvitationMessage
  | EmailDelegationChangedMessage
  | StaffInvitationMessage;

export type MessageType = Message['type'];

export interface Notifier {
  /** Resolves once the message is accepted for delivery; rejects (NotifyError for Notify) otherwise. */
  send(message: Message): Promise<void>;
}
