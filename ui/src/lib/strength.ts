// Passphrase strength (zxcvbn-ts) mapped to a 0–4 meter and translation keys.
//
// The dictionaries weigh a few megabytes of script: they load on first use of the meter
// (`loadStrength`), never with the unlock screen.

import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { ROMANISED_WORDS } from './romanised';

export const MIN_PASSPHRASE = 8;

export type Score = 0 | 1 | 2 | 3 | 4;

/** Words any Satchel passphrase guesser tries first. */
const APP_WORDS = ['satchel'];

let factory: ZxcvbnFactory | null = null;
let loading: Promise<void> | null = null;
const known = new Set<string>();

/** Loads zxcvbn with the common and English dictionaries, the keyboard graphs and the
 * romanised Korean and Chinese words. Safe to call often. */
export function loadStrength(): Promise<void> {
  loading ??= (async () => {
    const [{ ZxcvbnFactory }, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    factory = new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary, romanised: [...ROMANISED_WORDS] },
      graphs: common.adjacencyGraphs,
    });
  })();
  return loading;
}

/** True once `passphraseScore` can rate (after `loadStrength` resolved). */
export function strengthReady(): boolean {
  return factory !== null;
}

/** Names the user has in this vault (device, organisation, members), so a passphrase
 * built from them rates as weak. Kept in memory only. */
export function rememberUserInputs(...names: (string | null | undefined)[]): void {
  for (const n of names) {
    const s = n?.trim();
    if (s) known.add(s);
  }
}

/** Clamps any number to a meter score. */
export function toScore(n: number): Score {
  if (!Number.isFinite(n)) return 0;
  return Math.max(0, Math.min(4, Math.round(n))) as Score;
}

/** The words zxcvbn gets as user inputs: the names given, their parts, the app's name. */
export function userInputsFor(extra: string[] = []): string[] {
  const out = new Set<string>(APP_WORDS);
  for (const name of [...known, ...extra]) {
    const lower = name.toLowerCase();
    out.add(lower);
    // "Field laptop 3" is also tried as "fieldlaptop3" and its words.
    out.add(lower.replace(/[\s\-_.]+/g, ''));
    for (const part of lower.split(/[\s\-_.]+/)) if (part.length >= 3) out.add(part);
  }
  return [...out];
}

/** Strength of a passphrase, or null until the dictionaries are loaded; anything shorter
 * than the minimum scores at most 1. */
export function passphraseScore(pass: string, userInputs: string[] = []): Score | null {
  if (pass.length === 0) return 0;
  if (!factory) return null;
  const inputs = userInputsFor(userInputs);
  const cut = pass.slice(0, 256);
  // zxcvbn-ts can miss a dictionary word next to a lone separator ("correct horse 1"
  // scored as brute force); a guesser tries the words run together too.
  const joined = cut.replace(/[\s\-_.,]+/g, '');
  let score = toScore(factory.check(cut, inputs).score);
  if (joined !== cut && joined.length > 0) score = Math.min(score, toScore(factory.check(joined, inputs).score)) as Score;
  return pass.length < MIN_PASSPHRASE ? (Math.min(score, 1) as Score) : score;
}

/** Translation key for the words under the meter. */
export function strengthKey(score: Score): string {
  return `strength.${score}`;
}

export type PassProblem = 'too_short' | 'mismatch' | null;

/** Why a new passphrase + confirmation cannot be submitted, or null. */
export function passphraseProblem(pass: string, confirm: string): PassProblem {
  if ([...pass].length < MIN_PASSPHRASE) return 'too_short';
  if (pass !== confirm) return 'mismatch';
  return null;
}
