import { MIN_PASSPHRASE, passphraseProblem, passphraseScore, strengthKey, toScore } from './strength';
import en from '../../../assets/i18n/en.json';

describe('passphrase strength', () => {
  it('scores an empty passphrase 0', () => {
    expect(passphraseScore('')).toBe(0);
  });

  it('scores common passwords low and long random phrases high', () => {
    expect(passphraseScore('password')).toBe(0);
    expect(passphraseScore('12345678')).toBe(0);
    expect(passphraseScore('correct horse battery staple')).toBe(4);
    expect(passphraseScore('vQ7#mz!Lp2@xR9')).toBeGreaterThanOrEqual(3);
  });

  it('never rates a too-short passphrase above weak', () => {
    expect(passphraseScore('X#9q!z')).toBeLessThanOrEqual(1);
  });

  it('maps every score to a translated word', () => {
    for (const s of [0, 1, 2, 3, 4] as const) {
      expect((en as Record<string, string>)[strengthKey(s)]).toBeTruthy();
    }
  });

  it('clamps scores', () => {
    expect(toScore(-1)).toBe(0);
    expect(toScore(7)).toBe(4);
    expect(toScore(Number.NaN)).toBe(0);
    expect(toScore(2.4)).toBe(2);
  });
});

describe('passphraseProblem', () => {
  it('enforces the minimum length first', () => {
    expect(MIN_PASSPHRASE).toBe(8);
    expect(passphraseProblem('1234567', '1234567')).toBe('too_short');
    expect(passphraseProblem('1234567', 'other')).toBe('too_short');
  });
  it('counts characters, not UTF-16 units', () => {
    expect(passphraseProblem('비밀번호비밀번호', '비밀번호비밀번호')).toBeNull();
    expect(passphraseProblem('😀😀😀😀', '😀😀😀😀')).toBe('too_short');
  });
  it('requires a matching confirmation', () => {
    expect(passphraseProblem('long enough', 'long enougH')).toBe('mismatch');
    expect(passphraseProblem('long enough', 'long enough')).toBeNull();
  });
});
