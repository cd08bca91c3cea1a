export { measureScore, THRESHOLD_SCORES } from './measure-score';
export { healthBand, type HealthBand } from './health-band';
export { healthTrend, healthTrendSql, HEALTH_TREND_DELTA, type HealthTrend } from './health-trend';
export { SCORABLE_KPIS, measureSource, toScorableNumber, type ScorableKpi, type MeasureSource } from './scorable-kpis';
export { compileScorecard, type CompiledScorecard, type CustomerHealth, type CustomerValues, type HealthContribution } from './score-customer';
