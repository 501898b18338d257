// The words of every message the service sends, in one place.
//
// Each message renders to the personalisation for one of three templates
// (below) and to the finished subject and body, made by filling the same
// template text the operator pastes into GOV.UK Notify. So the development
// outbox shows exactly what Notify would send, and there is one source of
// truth for both.
import type { AccountChange, DelegationChange, EmailCodePurpose, Message, SupportAction } from './port.js';

/** How long codes last. The code issuer must use the same values. */
export const EMAIL_CODE_EXPIRY_MINUTES = 15;
export const SMS_CODE_EXPIRY_MINUTES = 5;
/** How long a back-office invitation link works. The invitation issuer must use the same value. */
export const STAFF_INVITATION_EXPIRY_HOURS = 72;
/** The words of each delegation notice, for the grantor and for the delegate. */
const DELEGATION_CHANGE_TEXT: Record<
  DelegationChange,
  (other: string, role: 'grantor' | 'delegate') => { subject: string; what: string }
> = {
  accepted: (other, role) =>
    role === 'grantor'
      ? {
          subject: `${other} can now help manage your care`,
          what: `${other} accepted your invitation and can now manage the parts of your care you chose.`,
        }
      : {
          subject: `you can now help manage ${other}'s care`,
          what: `You accepted ${other}'s invitation and can now manage the parts of their care they chose.`,
        },
  declined: (other, role) =>
    role === 'grantor'
      ? {
          subject: `${other} declined your invitation`,
          what: `${other} declined your invitation to help manage your care.`,
        }
      : {
          subject: `you declined ${other}'s invitation`,
          what: `You declined ${other}'s invitation to help manage their care.`,
        },
  revoked: (other, role) =>
    role === 'grantor'
      ? {
          subject: `${other} can no longer manage your care`,
          what: `${other} can no longer manage any part of your care.`,
        }
      : {
          subject: `you can no longer manage ${other}'s care`,
          what: `You can no longer manage any part of ${other}'s care.`,
        },
  changed: (other, role) =>
    role === 'grantor'
      ? {
          subject: `you changed what ${other} can do`,
          what: `You changed which parts of your care ${other} can manage, or until when.`,
        }
      : {
          subject: `${other} changed what you can do`,
          what: `${other} changed which parts of their care you can manage, or until when.`,
        },
  suspended: (other, role) =>
    role === 'grantor'
      ? {
          subject: `${other}'s access to your care is paused`,
          what: `NHS login support has paused ${other}'s access to your care.`,
        }
      : {
          subject: `your access to ${other}'s care is paused`,
          what: `NHS login support has paused your access to ${other}'s care.`,
        },
  reinstated: (other, role) =>
    role === 'grantor'
      ? {
          subject: `${other}'s access to your care is back`,
          what: `NHS login support has restored ${other}'s access to your care.`,
        }
      : {
          subject: `your access to ${other}'s care is back`,
          what: `NHS login support has restored your access to ${other}'s care.`,
        },
  expired: (other, role) =>
    role === 'grantor'
      ? {
          subject: `${other}'s access to your care has ended`,
          what: `${other}'s access to your care has reached its end date.`,
        }
      : {
          subject: `your access to ${other}'s care has ended`,
          what: `Your access to ${other}'s care has reached its end date.`,
        },
  'set-up-by-practice': (other, role) =>
    role === 'grantor'
      ? {
          subject: `${other} can now help manage your care`,
          what: `Your GP surgery has set up ${other} to help manage your care.`,
        }
      : {
          subject: `you can now help manage ${other}'s care`,
          what: `${other}'s GP surgery has set you up to help manage their care.`,
        },
  'turned-16': (other, role) =>
    role === 'grantor'
      ? {
          subject: 'you can now manage your own care',
          what: `Now you are 16, ${other} can no longer manage your care through NHS login. If you want them to, you can give them access yourself from your NHS login account.`,
        }
      : {
          subject: `your access to ${other}'s care has ended`,
          what: `${other} is now 16, so your access to their care has ended. They can give you access again themselves.`,
        },
};

/** How soon an ID checker usually looks at a photo ID check, in words. */
export const PHOTO_ID_REVIEW_TEXT = '2 working days';

export type TemplateName = 'email-code' | 'sms-code' | 'email-notice';

export interface MessageTemplate {
  channel: 'email' | 'sms';
  /** Email only; '' for text messages. */
  subject: string;
  body: string;
}

/**
 * The GOV.UK Notify templates, in Notify's `((placeholder))` syntax. An
 * operator creates these three templates in Notify and configures their ids
 * (see govuk-notify.ts).
 */
export const TEMPLATES: Readonly<Record<TemplateName, MessageTemplate>> = {
  'email-code': {
    channel: 'email',
    subject: '((subject))',
    body: [
      '((purpose))',
      'Your security code is ((code))',
      'This code expires in ((expiry)). Do not share it with anyone. NHS staff will never ask you for it.',
      '((if_not_you))',
    ].join('\n\n'),
  },
  'sms-code': {
    channel: 'sms',
    subject: '',
    body: 'Your NHS login security code is ((code)). It expires in ((expiry)). Do not share this code with anyone.',
  },
  'email-notice': {
    channel: 'email',
    subject: '((subject))',
    body: '((body))',
  },
};

export interface RenderOptions {
  /** Where people get help, for example https://help.example.nhs.uk/contact. Said in words when absent. */
  helpUrl?: string | undefined;
}

export interface RenderedMessage {
  /** Which Notify template carries it. */
  template: TemplateName;
  channel: 'email' | 'sms';
  recipient: string;
  /** '' for text messages. */
  subject: string;
  body: string;
  /** The values for the template's placeholders. */
  personalisation: Record<string, string>;
}

const CODE = /^\d{6}$/;

const minutes = (n: number): string => `${n} minutes`;

const EMAIL_CODE_TEXT: Record<EmailCodePurpose, { subject: string; purpose: string; if_not_you: string }> = {
  register: {
    subject: 'Confirm your email address for NHS login',
    purpose: 'Enter this security code to confirm your email address and continue setting up your NHS login.',
    if_not_you:
      'If you did not try to set up an NHS login, you can ignore this email. Someone may have typed your email address by mistake.',
  },
  'reset-password': {
    subject: 'Reset your NHS login password',
    purpose: 'Enter this security code to reset the password for your NHS login.',
    if_not_you:
      'If you did not ask to reset your password, you can ignore this email. Your password has not been changed.',
  },
  'change-email': {
    subject: 'Confirm your new email address for NHS login',
    purpose: 'Enter this security code to confirm this as the new email address for your NHS login.',
    if_not_you:
      'If you did not ask to change the email address for an NHS login, you can ignore this email. Nothing has been changed.',
  },
};

const FORGOTTEN = 'select "Forgotten your password?" on the NHS login page';

const CHANGE_TEXT: Record<
  AccountChange,
  { subject: string; what: string; ifNotYou: (support: string) => string }
> = {
  password: {
    subject: 'Your NHS login password has been changed',
    what: 'The password for your NHS login has been changed.',
    ifNotYou: (support) =>
      `If this was not you, someone else may be using your NHS login. Reset your password straight away: ${FORGOTTEN}. Then ${support}.`,
  },
  email: {
    subject: 'Your NHS login email address has been changed',
    what: 'The email address for your NHS login has been changed. We will not send emails about your NHS login to this address any more.',
    ifNotYou: (support) =>
      `If this was not you, someone else may be using your NHS login. ${cap(support)} straight away.`,
  },
  phone: {
    subject: 'Your NHS login mobile phone number has been changed',
    what: 'The mobile phone number for your NHS login has been changed. We will send security codes to the new number from now on.',
    ifNotYou: (support) =>
      `If this was not you, someone else may be using your NHS login. Reset your password straight away: ${FORGOTTEN}. Then ${support}.`,
  },
  'authenticator-app': {
    subject: 'Your NHS login authenticator app has been changed',
    what: 'The authenticator app you use to log in with NHS login has been changed.',
    ifNotYou: (support) =>
      `If this was not you, someone else may be using your NHS login. Reset your password straight away: ${FORGOTTEN}. Then ${support}.`,
  },
  deleted: {
    subject: 'Your NHS login has been deleted',
    what: 'Your NHS login has been deleted. You can no longer use it to log in to NHS websites and apps.',
    ifNotYou: (support) => `If this was not you, ${support} straight away.`,
  },
};

const SUPPORT_ACTION_TEXT: Record<
  SupportAction,
  { subject: string; what: string[]; ifNotYou: (support: string) => string }
> = {
  locked: {
    subject: 'Your NHS login has been locked',
    what: [
      'NHS login support has locked your NHS login. You cannot use it to log in to NHS websites and apps until it is unlocked.',
      'Your health records have not been changed.',
    ],
    ifNotYou: (support) => `To find out more or to unlock your NHS login, ${support}.`,
  },
  unlocked: {
    subject: 'Your NHS login has been unlocked',
    what: ['NHS login support has unlocked your NHS login. You can use it to log in again.'],
    ifNotYou: (support) => `If you did not expect this, ${support}.`,
  },
  'password-reset-required': {
    subject: 'You need to create a new NHS login password',
    what: [
      'NHS login support has asked you to create a new password. The next time you log in, after you enter your password we will ask you to create a new one.',
      `You can do it now: ${FORGOTTEN}.`,
    ],
    ifNotYou: (support) => `If you did not expect this, ${support}.`,
  },
  'authenticator-removed': {
    subject: 'Your NHS login authenticator app has been removed',
    what: [
      'NHS login support has removed the authenticator app from your NHS login. We will send security codes to your mobile phone instead.',
      'You can set up an authenticator app again from your NHS login account.',
    ],
    ifNotYou: (support) =>
      `If you did not ask for this, someone else may be using your NHS login. Reset your password straight away: ${FORGOTTEN}. Then ${support}.`,
  },
  'data-exported': {
    subject: 'NHS login support has made a copy of your NHS login information',
    what: [
      'NHS login support has made a copy of the information we hold about you in NHS login, for a request to see your information.',
    ],
    ifNotYou: (support) => `If you did not ask for a copy of your information, ${support}.`,
  },
};

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function supportText(options: RenderOptions): string {
  return options.helpUrl ? `contact NHS login support at ${options.helpUrl}` : 'contact NHS login support';
}

/** Fills Notify-style `((placeholders))`; a placeholder without a value is a programming error. */
export function fillTemplate(text: string, personalisation: Record<string, string>): string {
  return text.replace(/\(\(([a-z_]+)\)\)/g, (_, name: string) => {
    const value = personalisation[name];
    if (value === undefined) throw new Error(`no value for placeholder ((${name}))`);
    return value;
  });
}

function render(
  template: TemplateName,
  recipient: string,
  personalisation: Record<string, string>,
): RenderedMessage {
  const t = TEMPLATES[template];
  return {
    template,
    channel: t.channel,
    recipient,
    subject: fillTemplate(t.subject, personalisation),
    body: fillTemplate(t.body, personalisation),
    personalisation,
  };
}

function notice(recipient: string, subject: string, paragraphs: string[]): RenderedMessage {
  return render('email-notice', recipient, { subject, body: paragraphs.join('\n\n') });
}

function assertCode(code: string): void {
  if (!CODE.test(code)) throw new Error('a security code must be 6 digits');
}

export function renderMessage(message: Message, options: RenderOptions = {}): RenderedMessage {
  switch (message.type) {
    case 'email-code': {
      assertCode(message.code);
      const text = EMAIL_CODE_TEXT[message.purpose];
      return render('email-code', message.to, {
        subject: text.subject,
        purpose: text.purpose,
        code: message.code,
        expiry: minutes(EMAIL_CODE_EXPIRY_MINUTES),
        if_not_you: text.if_not_you,
      });
    }
    case 'sms-code':
      assertCode(message.code);
      return render('sms-code', message.to, { code: message.code, expiry: minutes(SMS_CODE_EXPIRY_MINUTES) });
    case 'email-already-registered':
      return notice(message.to, 'You already have an NHS login', [
        'Someone tried to set up a new NHS login with this email address. You already have an NHS login that uses this email address, so you do not need to set up another one.',
        `If this was you, log in with this email address and your password. If you have forgotten your password, ${FORGOTTEN} to reset it.`,
        'If this was not you, you do not need to do anything. Your NHS login has not been changed.',
      ]);
    case 'email-no-account':
      return notice(message.to, 'There is no NHS login for this email address', [
        'Someone asked to reset the password for an NHS login that uses this email address. There is no NHS login that uses this email address.',
        'If this was you, you may have set up your NHS login with a different email address. Try again with that email address. If you do not have an NHS login, you can set one up the next time an NHS website or app asks you to log in.',
        'If this was not you, you do not need to do anything.',
      ]);
    case 'email-account-changed': {
      const text = CHANGE_TEXT[message.change];
      return notice(message.to, text.subject, [
        text.what,
        'If this was you, you do not need to do anything.',
        text.ifNotYou(supportText(options)),
      ]);
    }
    case 'email-account-support-action': {
      const text = SUPPORT_ACTION_TEXT[message.action];
      return notice(message.to, text.subject, [...text.what, text.ifNotYou(supportText(options))]);
    }
    case 'email-erasure-scheduled':
      return notice(message.to, 'Your NHS login will be deleted', [
        `NHS login support has arranged for your NHS login to be deleted on ${message.eraseOn}. After that you will not be able to use it to log in to NHS websites and apps.`,
        `If you want to keep your NHS login, log in to your NHS login account before then and select "Cancel deletion": ${message.accountUrl}`,
        'Deleting your NHS login does not delete your health records.',
        `If you did not expect this, ${supportText(options)}.`,
      ]);
    case 'email-erasure-cancelled':
      return notice(message.to, 'Your NHS login will not be deleted', [
        'You cancelled the deletion of your NHS login. You can keep using it to log in to NHS websites and apps.',
        `If this was not you, someone else may be using your NHS login. Reset your password straight away: ${FORGOTTEN}. Then ${supportText(options)}.`,
      ]);
    case 'email-identity-proved':
      return notice(message.to, 'You have proved who you are with NHS login', [
        message.level === 'P9'
          ? 'You have proved who you are with NHS login. You can now use NHS websites and apps that need you to prove who you are, including those that show your health records.'
          : 'You have proved who you are with NHS login by matching your details to your NHS record. You can now use NHS websites and apps that need this.',
        'If this was you, you do not need to do anything.',
        `If this was not you, someone else may be using your NHS login. Reset your password straight away: ${FORGOTTEN}. Then ${supportText(options)}.`,
      ]);
    case 'email-nhs-number-in-use':
      return notice(message.to, 'Someone tried to use your details with another NHS login', [
        'Someone tried to prove who they are with a different NHS login, using details that match your NHS record. We did not let them: your NHS number stays with this NHS login, and nothing has been changed.',
        `If this was you, you already have an NHS login. Log in with this email address and your password. If you have forgotten your password, ${FORGOTTEN} to reset it.`,
        `If this was not you, someone may have your personal details. ${cap(supportText(options))}.`,
      ]);
    case 'email-photo-id-referred':
      return notice(message.to, 'NHS login: we are checking your photo ID', [
        `We have your photo ID and video. An NHS login ID checker will look at them, usually within ${PHOTO_ID_REVIEW_TEXT}, and we will email you when they have.`,
        'You do not need to do anything now. You can still log in to NHS websites and apps that do not need you to prove who you are.',
        `If this was not you, someone else may be using your NHS login. Reset your password straight away: ${FORGOTTEN}. Then ${supportText(options)}.`,
      ]);
    case 'email-photo-id-rejected':
      return notice(message.to, 'NHS login: we could not confirm who you are', [
        'An NHS login ID checker looked at your photo ID and video, and could not confirm who you are.',
        message.reason,
        'You can try again from your NHS login account, or ask your GP surgery to check your photo ID with you in person.',
        `If this was not you, someone else may be using your NHS login. Reset your password straight away: ${FORGOTTEN}. Then ${supportText(options)}.`,
      ]);
    case 'email-claim-account':
      return notice(message.to, 'Set up the NHS login your GP surgery made for you', [
        'Your GP surgery checked your photo ID and set up an NHS login for you. To start using it, open this link and follow the steps. You will need your mobile phone:',
        message.link,
        `The link works once and stops working on ${message.expiresOn}. Do not forward this email.`,
        'If you did not ask your GP surgery for an NHS login, do not open the link. Contact your GP surgery.',
      ]);
    case 'email-delegation-invitation':
      return notice(message.to, `NHS login: ${message.grantorName} has asked you to help manage their care`, [
        `${message.grantorName} wants to let you manage parts of their care through NHS websites and apps, such as booking appointments or ordering repeat prescriptions.`,
        'To accept, open this link. You will need to log in to NHS login (or create an NHS login) and prove who you are:',
        message.link,
        `The link works once and stops working on ${message.expiresOn}. Do not forward this email.`,
        `If you do not know ${message.grantorName}, do not open the link. ${cap(supportText(options))}.`,
      ]);
    case 'email-delegation-changed': {
      const text = DELEGATION_CHANGE_TEXT[message.change](message.otherName, message.role);
      return notice(message.to, `NHS login: ${text.subject}`, [
        text.what,
        'You can see who can manage your care, and whose care you can manage, in your NHS login account.',
        `If you did not expect this, ${supportText(options)}.`,
      ]);
    }
    case 'staff-invitation':
      return notice(message.to, 'You have been invited to the NHS login back office', [
        `Dear ${message.name},`,
        `You have been invited to the NHS login back office as ${message.role}. To set up your account, open this link and choose a password and an authenticator app:`,
        message.link,
        `The link works once and expires in ${STAFF_INVITATION_EXPIRY_HOURS} hours. Do not forward this email.`,
        'If you were not expecting this invitation, do not open the link. Tell the NHS login service desk.',
      ]);
    default:
      return unreachable(message);
  }
}

function unreachable(message: never): never {
  throw new Error(`unknown message type ${(message as { type: string }).type}`);
}
