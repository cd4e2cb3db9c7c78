// @vitest-environment node
import {
  MIN_PASSPHRASE,
  loadStrength,
  passphraseProblem,
  passphraseScore,
  rememberUserInputs,
  strengthKey,
  strengthReady,
  toScore,
  userInputsFor,
} from './strength';
import en from '../../../assets/i18n/en.json';

/** Fair or below: the meter does not call it strong. */
const WEAK = 2;

describe('passphrase strength', () => {
  beforeAll(async () => {
    await loadStrength();
  });

  it('loads the dictionaries on demand', () => {
    expect(strengthReady()).toBe(true);
  });

  it('scores an empty passphrase 0', () => {
    expect(passphraseScore('')).toBe(0);
  });

  it('scores common passwords low and long random phrases high', () => {
    expect(passphraseScore('password')).toBe(0);
    expect(passphraseScore('12345678')).toBe(0);
    expect(passphraseScore('vQ7#mz!Lp2@xR9')).toBeGreaterThanOrEqual(3);
    expect(passphraseScore('plinth quorum gadfly ozone tamarind')).toBe(4);
    expect(passphraseScore('Kt8v-Wq2m-Zr5x-Hn4p')).toBe(4);
  });

  it('knows English words', () => {
    expect(passphraseScore('correct horse 1')).toBeLessThanOrEqual(WEAK);
    expect(passphraseScore('sunshine monkey')).toBeLessThanOrEqual(WEAK);
  });

  it('knows romanised Korean and Chinese words', () => {
    expect(passphraseScore('saranghae1234')).toBeLessThanOrEqual(WEAK);
    expect(passphraseScore('nihao woaini')).toBeLessThanOrEqual(WEAK);
    expect(passphraseScore('seoul2024')).toBeLessThanOrEqual(WEAK);
    expect(passphraseScore('yanjidandong')).toBeLessThanOrEqual(WEAK);
  });

  it("knows the user's own names and the app's", () => {
    expect(passphraseScore('Sinmyeong-3 2024', ['Sinmyeong-3'])).toBeLessThanOrEqual(WEAK);
    rememberUserInputs('Hopebridge Relief', null, '  ');
    expect(passphraseScore('hopebridgerelief2024')).toBeLessThanOrEqual(WEAK);
    expect(passphraseScore('satchel2024!')).toBeLessThanOrEqual(WEAK);
    expect(userInputsFor()).toEqual(expect.arrayContaining(['satchel', 'hopebridge relief', 'hopebridgerelief', 'relief']));
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
