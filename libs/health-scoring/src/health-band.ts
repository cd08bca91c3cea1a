import type { ScorecardBands } from '@pulse/contracts';

export type HealthBand = 'red' | 'yellow' | 'green';

/**
 * The band of a (whole-number) score: below `yellow` red, below `green` yellow, else green. A score
 * exactly on a band's lower bound belongs to that band, the better one (yellow 40: 40 is yellow).
 */
export function healthBand(score: number, bands: ScorecardBands): HealthBand {
  if (score < bands.yellow) return 'red';
  if (score < bands.green) return 'yellow';
  return 'green';
}
