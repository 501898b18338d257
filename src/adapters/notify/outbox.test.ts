import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type OpenDatabase } from '../../store/db.js';
import { createOutboxNotifier, latestCode, readOutbox } from './outbox.js';
import { printOutbox } from './outbox-command.js';
import type { Notifier } from './port.js';

let database: OpenDatabase;
let notifier: Notifier;

beforeAll(async () => {
  database = await openDatabase({});
  await migrate(database.db);
  notifier = createOutboxNotifier(database.db);
});

afterAll(async () => {
  await database.close();
});

describe('outbox notifier', () => {
  it('stores rendered messages and reads them back newest first', async () => {
    await notifier.send({ type: 'email-code', to: 'store@example.com', code: '111111', purpose: 'register' });
    await notifier.send({ type: 'sms-code', to: '+447700900001', code: '222222' });

    const [sms, email] = await readOutbox(database.db, { limit: 2 });
    expect(sms).toMatchObject({ channel: 'sms', recipient: '+447700900001', subject: '' });
    expect(sms?.body).toContain('222222');
    expect(email).toMatchObject({
      channel: 'email',
      recipient: 'store@example.com',
      subject: 'Confirm your email address for NHS login',
    });
    expect(email?.body).toContain('111111');
    expect(email?.createdAt).toBeInstanceOf(Date);
    expect(sms?.id ?? 0).toBeGreaterThan(email?.id ?? Infinity);
  });

  it('filters by recipient, ignoring the case of email addresses, and limits', async () => {
    await notifier.send({ type: 'email-no-account', to: 'Filter@Example.com' });
    await notifier.send({ type: 'email-account-changed', to: 'filter@example.com', change: 'password' });
    await notifier.send({ type: 'email-no-account', to: 'other@example.com' });

    const mine = await readOutbox(database.db, { recipient: 'filter@example.com' });
    expect(mine.map((m) => m.subject)).toEqual([
      'Your NHS login password has been changed',
      'There is no NHS login for this email address',
    ]);
    expect(await readOutbox(database.db, { recipient: 'FILTER@example.com', limit: 1 })).toHaveLength(1);
    await expect(readOutbox(database.db, { limit: 0 })).rejects.toThrow(RangeError);
  });

  it('finds the newest code for a recipient, not another recipient’s', async () => {
    await notifier.send({ type: 'sms-code', to: '+447700900100', code: '100001' });
    await notifier.send({ type: 'sms-code', to: '+447700900100', code: '100002' });
    await notifier.send({ type: 'sms-code', to: '+447700900200', code: '200001' });
    await notifier.send({
      type: 'email-code',
      to: 'code@example.com',
      code: '300001',
      purpose: 'reset-password',
    });

    expect(await latestCode(database.db, '+447700900100')).toBe('100002');
    expect(await latestCode(database.db, '+447700900200')).toBe('200001');
    expect(await latestCode(database.db, 'CODE@example.com')).toBe('300001');
    expect(await latestCode(database.db, '+447700900999')).toBeUndefined();
  });

  it('finds no code when the newest message carries none', async () => {
    await notifier.send({ type: 'email-code', to: 'twice@example.com', code: '400001', purpose: 'register' });
    await notifier.send({ type: 'email-already-registered', to: 'twice@example.com' });
    expect(await latestCode(database.db, 'twice@example.com')).toBeUndefined();
  });
});

describe('printOutbox', () => {
  it('prints messages readably, newest first', async () => {
    await notifier.send({
      type: 'email-code',
      to: 'print@example.com',
      code: '500001',
      purpose: 'change-email',
    });
    await notifier.send({ type: 'sms-code', to: '+447700900500', code: '500002' });

    const lines: string[] = [];
    const count = await printOutbox(database.db, { limit: 2 }, (line) => lines.push(line));
    expect(count).toBe(2);
    const text = lines.join('\n');
    expect(text.indexOf('Text message to +447700900500')).toBeLessThan(
      text.indexOf('Email to print@example.com'),
    );
    expect(text).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC {2}Text message to \+447700900500/);
    expect(text).toContain('   Subject: Confirm your new email address for NHS login');
    expect(text).toContain('   Your NHS login security code is 500002.');
    expect(text).toContain('   Your security code is 500001');
  });

  it('prints only one recipient’s messages when asked', async () => {
    const lines: string[] = [];
    await printOutbox(database.db, { recipient: 'print@example.com', limit: 10 }, (line) => lines.push(line));
    expect(lines.join('\n')).not.toContain('+447700900500');
    expect(lines.filter((l) => l.startsWith('──'))).toHaveLength(1);
  });

  it('says so when there is nothing to show', async () => {
    const lines: string[] = [];
    expect(
      await printOutbox(database.db, { recipient: 'nobody@nowhere.example', limit: 5 }, (l) => lines.push(l)),
    ).toBe(0);
    expect(lines).toEqual(['No messages to nobody@nowhere.example.']);
  });
});
