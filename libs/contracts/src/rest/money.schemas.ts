import { z } from 'zod';

/**
 * A money amount as the REST API writes it: an exact decimal string with the 4 decimals the amounts
 * are stored with (NUMERIC(38,4) KPIs, NUMERIC(18,4) prices), never a JSON number (no float rounding).
 */
export const moneyAmountSchema = z
  .string()
  .regex(/^-?\d+\.\d{4}$/)
  .describe('Money: an exact decimal string with 4 decimals (e.g. "1001.5000"), in the `currency` of the object.');

/** A decimal string of any scale (a series value, whose decimals depend on its metric's unit). */
export const decimalStringSchema = z.string().regex(/^-?\d+(\.\d+)?$/);

/** An ISO 4217 code's form (not ICU's list of codes, which lags new ones: Node 20's has no VED). */
export const CURRENCY_CODE_PATTERN = /^[A-Z]{3}$/;

/** ISO 4217 code: the tenant's currency setting, which every money amount of an object is in. */
export const currencyCodeSchema = z
  .string()
  .regex(CURRENCY_CODE_PATTERN)
  .describe("ISO 4217 code of every money amount in this object: the tenant's currency setting.");
