import { z } from 'zod';
import { isPostgresDate } from './postgres-values';

/**
 * `YYYY-MM-DD` that a PostgreSQL `date` holds. zod's ISO date already checks the calendar (no Feb 30)
 * but accepts year 0000, which PostgreSQL has not. `abort`: a malformed date gets one error, not two.
 */
export const calendarDateSchema = z.iso.date({ abort: true }).refine(isPostgresDate, 'A date from 0001-01-01 to 9999-12-31');
