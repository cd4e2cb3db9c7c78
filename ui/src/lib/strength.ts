// Passphrase strength (zxcvbn-ts) mapped to a 0–4 meter and translation keys.

import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

export const MIN_PASSPHRASE = 8;

export type Score = 0 | 1 | 2 | 3 | 4;

let factory: ZxcvbnFactory | null = null;

function zxcvbn(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs });
  return factory;
}

/** Clamps any number to a meter score. */
export function toScore(n: number): Score {
  if (!Number.isFinite(n)) return 0;
  return Math.max(0, Math.min(4, Math.round(n))) as Score;
}

/** Strength of a passphrase; anything shorter than the minimum scores at most 1. */
export function passphraseScore(pass: string, userInputs: string[] = []): Score {
  if (pass.length === 0) return 0;
  const score = toScore(zxcvbn().check(pass.slice(0, 256), userInputs).score);
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
