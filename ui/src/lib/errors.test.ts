import { afterEach, describe, expect, it } from 'vitest';
import { toApiError } from './app.svelte';
import { setLang } from './i18n.svelte';

describe('errors from the shell', () => {
  afterEach(() => setLang('en'));

  it('are shown in the current language when their code has a fixed meaning', () => {
    setLang('ko');
    expect(toApiError({ code: 'wrong_passphrase', message: 'wrong passphrase (or the keyslots file is damaged)' }).message).toBe('암호문이 틀렸습니다.');
    setLang('zh-Hans');
    expect(toApiError({ code: 'busy', message: 'the vault is busy' }).message).toContain('保险库');
  });

  it('keep the shell message when it carries the detail, and the field', () => {
    setLang('ko');
    const e = toApiError({ code: 'invalid_value', message: 'field `age`: expected a number', field: 'age' });
    expect(e).toEqual({ code: 'invalid_value', message: 'field `age`: expected a number', field: 'age' });
  });

  it('turn anything that is not a shell error into a generic one', () => {
    expect(toApiError(new Error('boom /home/user/secret')).message).not.toContain('secret');
    expect(toApiError('x').code).toBe('internal');
  });
});
