import { ConnectorError } from '../connector-errors';
import type { SqlDialectName } from './sql-dialect';

/**
 * A tenant's own SELECT is run as a subquery, `(<query>) src`, with the stored credentials. Whoever may
 * edit a source must not be able to turn that into other statements: a query that closes the
 * parenthesis it is put in (`... ) src; DELETE FROM t; SELECT * FROM (SELECT 1`) or ends a statement
 * would run them as the source's user. SQL Server needs no semicolon between statements and has no
 * read-only session, so the text is checked for every database, read as that database reads it: outside
 * its string literals, quoted names and comments, parentheses must balance without ever closing one not
 * opened, and no `;` may appear. Inside the subquery, anything but a query is a syntax error.
 *
 * Where databases disagree on where a literal ends, the text is refused rather than guessed at: a
 * backslash before a quote (an escape in MySQL and in PostgreSQL's E'' strings, not elsewhere) and
 * Oracle's q'[...]' quoting. Write a quote inside a literal doubled ('').
 */
export function assertOneSubquery(dialect: SqlDialectName, query: string): void {
  if (/\\['"`]/.test(query)) refuse('a backslash before a quote reads differently in different databases (write a quote in a literal doubled: \'\')');
  if (dialect === 'oracle' && /(^|[^A-Za-z0-9_$#])n?q'/i.test(query)) refuse("q'...' quoting is not supported (write a quote in a literal doubled: '')");
  let depth = 0;
  let i = 0;
  while (i < query.length) {
    const skipped = skipLiteralOrComment(dialect, query, i);
    if (skipped !== i) {
      i = skipped;
      continue;
    }
    const char = query[i];
    if (char === ';') refuse('it holds a ";" (one SELECT only, without a statement separator)');
    if (char === '(') depth += 1;
    if (char === ')' && --depth < 0) refuse('it closes a parenthesis it did not open');
    i += 1;
  }
  if (depth !== 0) refuse('a parenthesis is left open');
}

/** Where a string literal, quoted name or comment starting at `i` ends; `i` itself when none starts there. */
function skipLiteralOrComment(dialect: SqlDialectName, text: string, i: number): number {
  const char = text[i];
  const next = text[i + 1];
  if (char === "'" || char === '"') return skipQuoted(text, i, char);
  if (char === '`' && dialect === 'mysql') return skipQuoted(text, i, '`');
  if (char === '[' && dialect === 'mssql') return skipQuoted(text, i, ']');
  // MySQL takes `--` as a comment only when a space or control character follows.
  if (char === '-' && next === '-' && (dialect !== 'mysql' || i + 2 >= text.length || text.charCodeAt(i + 2) <= 32)) return endOfLine(text, i + 2);
  if (char === '#' && dialect === 'mysql') return endOfLine(text, i + 1);
  if (char === '/' && next === '*') return skipBlockComment(dialect, text, i);
  // PostgreSQL's dollar quote: `$$` or `$tag$`, not right after a character of a name (its lexer: any
  // non-ASCII character is a letter, and `$` may continue a name).
  if (char === '$' && dialect === 'postgres' && !/[A-Za-z0-9_$\u0080-\uffff]/.test(text[i - 1] ?? ' ')) {
    const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 256))?.[0];
    if (tag !== undefined) return skipTo(text, i + tag.length, tag);
  }
  return i;
}

/**
 * A block comment, refused where databases read it differently: SQL Server and PostgreSQL nest them
 * (`/* /* *\/` is still open there), MySQL runs the text of `/*!...*\/` as SQL.
 */
function skipBlockComment(dialect: SqlDialectName, text: string, start: number): number {
  if (dialect === 'mysql' && /^\/\*M?!/.test(text.slice(start, start + 4))) refuse('MySQL runs the text of a /*! comment');
  const end = skipTo(text, start + 2, '*/');
  if (text.slice(start + 2, end - 2).includes('/*')) refuse('a comment inside a comment is read differently by different databases');
  return end;
}

function refuse(reason: string): never {
  throw new ConnectorError('invalid_source_config', `The source query must be one SELECT, run as a subquery: ${reason}.`);
}

/** The index after the `close` ending a quoted run that starts at `start` (a doubled `close` is an escaped one). */
function skipQuoted(text: string, start: number, close: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] !== close) i += 1;
    else if (text[i + 1] === close) i += 2;
    else return i + 1;
  }
  return refuse('a quoted string or name is not closed');
}

/** The index after `end`; a block comment or dollar quote left open would hide the rest of the text. */
function skipTo(text: string, from: number, end: string): number {
  const found = text.indexOf(end, from);
  return found === -1 ? refuse('a comment or quoted text is not closed') : found + end.length;
}

/** Where a line comment ends: at the first CR or LF (databases end it at either). */
function endOfLine(text: string, from: number): number {
  const found = text.slice(from).search(/[\r\n]/);
  return found === -1 ? text.length : from + found;
}
